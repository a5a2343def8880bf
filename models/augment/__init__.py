"""Anomaly synthesis: procedural noise and masks used to paint defects."""
