"""Compression that pays on the device: structured pruning with fine-tuning, quantization-aware
training, PTQ calibration options, per-layer int8 sensitivity and an accuracy-drop budget."""

# Fine-tuning epochs after pruning: on the default detector at 50 %, 20 epochs lose 2.6 test AP points,
# 60 lose 2.0-2.3 (three seeds) and 100 lose 1.8 (benchmarks/compression.md): 60 buys most of it.
FINE_TUNE_EPOCHS = 60
