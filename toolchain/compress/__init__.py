"""Compression that pays on the device: structured pruning with fine-tuning, quantization-aware
training, PTQ calibration options, per-layer int8 sensitivity and an accuracy-drop budget."""

# Pruning the default detector by half (benchmarks/compression.md): one cut and 60 fine-tune epochs lost
# 2.0-2.3 test AP points; four slices, each fine-tuned 50 epochs, lose 0.4-0.8 points on 4,000 fresh images.
# About 5 minutes on two CPU cores.
FINE_TUNE_EPOCHS = 200
PRUNE_STEPS = 4
