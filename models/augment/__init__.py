"""Anomaly synthesis as torch ops (on the GPU when the inputs are there): Perlin masks, DRAEM and
MemSeg superimposition, DIAG diffusion inpainting, and In&Out mixing of the two kinds."""
