"""The bridge of a split deployment: the head runs on the board (runner protocol over its serial
link), its int8 output goes to the tail server over TCP in the split wire format, the prediction
comes back. The same split computed on the host (int8 head in LiteRT, the same tail) is its reference."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..runner import BoardSession, open_link
from ..runtimes import quantize_input, run_tflite
from .client import TailClient
from .tail import TailModel


@dataclass
class BridgeResult:
    scores: np.ndarray          # first tail output's first value per image (the detector logit)
    outputs: list               # every tail output per image
    cycles: list


def _layout(shape: tuple) -> str:
    return "NHWC" if len(shape) == 4 else "flat"


class Bridge:
    """One board session and one tail connection."""

    def __init__(self, link_url: str, tail_host: str, tail_port: int):
        self.session = BoardSession(open_link(link_url))
        self.info = self.session.handshake()
        self.client = TailClient(tail_host, tail_port)

    def predict(self, image_int8: np.ndarray) -> tuple[list[np.ndarray], int]:
        """One image, already int8 in the board's input layout: the tail's outputs and the head's cycles."""
        output, cycles = self.session.infer(np.ascontiguousarray(image_int8, np.int8).tobytes())
        code = np.frombuffer(output, np.int8).reshape(self.info.output.shape)
        out = self.info.output
        return self.client.infer(code, out.scale, out.zero_point, _layout(out.shape)), cycles

    def run(self, images: np.ndarray, advance=None) -> BridgeResult:
        """Float NCHW images through board and tail."""
        inp = self.info.input
        quantized = quantize_input(images, inp.shape, inp.scale, inp.zero_point)
        outputs, cycles = [], []
        for image in quantized:
            out, count = self.predict(image[None])
            outputs.append(out)
            cycles.append(count)
            if advance:
                advance()
        return BridgeResult(np.array([o[0].reshape(-1)[0] for o in outputs]), outputs, cycles)

    def close(self) -> None:
        self.client.close()
        self.session.close()


def host_split_scores(head_build: Path, tail_path: Path, images: np.ndarray) -> np.ndarray:
    """The same split on the host: the head's int8 TFLite in LiteRT's reference kernels, then the tail."""
    from ..graph import read_graph
    from . import wire

    tflite = (Path(head_build) / "model_int8.tflite").read_bytes()
    graph = read_graph(tflite)
    out = graph.tensors[graph.outputs[0]]
    raw = run_tflite(tflite, images).raw
    tail = TailModel(tail_path)
    frames = [wire.tensor_frame(i, code[None], out.scale[0], out.zero_point[0], _layout(out.shape))
              for i, code in enumerate(raw)]
    return np.array([tail.infer(f)[0].reshape(-1)[0] for f in frames])
