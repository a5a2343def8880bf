"""Datasets: the built-in synthetic surface-defect set."""
