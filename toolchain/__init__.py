"""tinyctl: take a trained detector or split head to a microcontroller (int8 ONNX, TFLite, TFLite-Micro)."""

__version__ = "0.1.0"

import os as _os

# TensorFlow (under onnx2tf and LiteRT) logs CUDA probing from C++ at import; users need none of it.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
