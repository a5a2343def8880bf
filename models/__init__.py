"""tinyctl.models: training stack that produces the detectors tinyctl compiles."""
