"""Split computing: I-SPLIT ranking, partition, wire format, tail server, communication simulation."""
