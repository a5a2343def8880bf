"""Split computing: a detector cut into a head (on the MCU) and a tail (on a server), with a bottleneck."""
