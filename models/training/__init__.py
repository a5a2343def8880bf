"""Training: losses, per-detector training steps, the fit loop, distributed set-up, run configs."""
