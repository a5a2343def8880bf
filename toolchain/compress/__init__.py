"""Compression that pays on the device: structured pruning with fine-tuning, quantization-aware
training, PTQ calibration options, per-layer int8 sensitivity and an accuracy-drop budget."""

# Fine-tuning epochs after pruning: on the default detector at 50 %, 20 epochs lose 2.8 AP points,
# 60 lose 1.7 and 100 about 1.4 (benchmarks/compression.md); 60 is where the gain flattens.
FINE_TUNE_EPOCHS = 60
