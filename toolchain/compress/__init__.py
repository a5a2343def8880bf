"""Compression that pays on the device: structured pruning with fine-tuning, quantization-aware
training, PTQ calibration options, per-layer int8 sensitivity and an accuracy-drop budget."""
