"""The tail of a split model on the server: onnxruntime over frames of the head's int8 output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from ..errors import TinyctlError
from . import wire


class FrameRejected(ValueError):
    """A well-formed frame the tail cannot take; `code` is the wire error code to answer with."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


class TailModel:
    """tail.onnx: (N, C, H, W) float code in, one output per task out."""

    def __init__(self, path: Path, threads: int = 1):
        path = Path(path)
        if not path.is_file():
            raise TinyctlError(f"tail model {path} does not exist", "run `tinyctl split partition` to write tail.onnx")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own Fail, InvalidProtobuf, InvalidGraph... for bad files
            raise TinyctlError(f"tail model {path} is not a valid ONNX model: {str(exc).splitlines()[0][:200]}",
                               "pass the tail.onnx written by `tinyctl split partition`") from exc
        tensor = self.session.get_inputs()[0]
        self.input_name = tensor.name
        if len(tensor.shape) != 4 or not all(isinstance(d, int) and d > 0 for d in tensor.shape[1:]):
            raise TinyctlError(f"tail model {path} takes input of shape {tensor.shape}, not (N, C, H, W) with fixed "
                               "C, H and W", "pass the tail.onnx written by `tinyctl split partition`")
        self.input_shape = tuple(tensor.shape[1:])
        self.output_names = [o.name for o in self.session.get_outputs()]

    def code_batch(self, frame: wire.Frame) -> np.ndarray:
        """The frame's tensor dequantized and laid out as the tail's (N, C, H, W) input."""
        if frame.kind != wire.KIND_TENSOR or frame.array.dtype != np.int8:
            raise FrameRejected(wire.BAD_FIELD, "the tail takes int8 tensor frames")
        x = (frame.array.astype(np.float32) - frame.zero_point) * np.float32(frame.scale)
        c, h, w = self.input_shape
        if frame.layout == "NHWC" and x.ndim in (3, 4):
            x = np.moveaxis(x, -1, -3)
        elif frame.layout == "flat" and x.size % (c * h * w) == 0:
            x = x.reshape(-1, c, h, w)
        x = x[None] if x.ndim == 3 else x
        if x.ndim != 4 or x.shape[1:] != self.input_shape:
            raise FrameRejected(wire.BAD_SHAPE, f"a {frame.layout} tensor of shape {list(frame.array.shape)} does "
                                f"not fit the tail's input (N, {c}, {h}, {w})")
        return np.ascontiguousarray(x)

    def run(self, code: np.ndarray) -> list[np.ndarray]:
        return self.session.run(self.output_names, {self.input_name: code})

    def infer(self, frame: wire.Frame) -> list[np.ndarray]:
        return self.run(self.code_batch(frame))
