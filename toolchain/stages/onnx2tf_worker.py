"""Runs onnx2tf in a process of its own, kept for the conversions of one build process (one per thread): a
pruning search's or a savings baseline's conversions then import TensorFlow once, not once each. Keras's
session is cleared after each conversion, so TensorFlow's layer-name counters start from zero on every one and
the same inputs give the bytes a fresh process gives; a conversion that fails ends the process (the next starts
a fresh one). Each conversion's output goes to its own log, never to the user's terminal. onnx2tf's `onnxsim`
command runs in this process too (see _simplify_here).

Protocol: python -m tinyctl.stages.onnx2tf_worker reads one JSON request a line on stdin,
{"work": WORK_DIR, "input_name": NAME, "percentile": PERCENTILE or null, "log": LOG_FILE}, and answers each
with a line on stdout, "ok" or "failed". WORK_DIR holds model.onnx and calibration_nhwc.npy; the result is
WORK_DIR/tf/model_full_integer_quant.tflite. With PERCENTILE, activation ranges are narrowed to that central
percentile between calibration and quantization, see tinyctl.compress.calibration.
"""

import contextlib
import ctypes
import io
import json
import os
import signal
import subprocess
import sys
import traceback
import types
from pathlib import Path

import numpy as np

PARENT_PID = "TINYCTL_ONNX2TF_PARENT"   # the build's process id, set by whoever starts this worker
OK, FAILED = "ok", "failed"


@contextlib.contextmanager
def _narrowed_ranges(calibration_nhwc: Path, percentile: float | None):
    """TFLite's converter calibrates with min/max only: with a percentile, rewrite the ranges it records before
    it quantizes, for this conversion only."""
    if percentile is None:
        yield
        return
    from tensorflow.lite.python.optimize import calibrator

    from tinyctl.compress.calibration import narrow_ranges

    samples = [x[None] for x in np.load(calibration_nhwc)]
    calibrate = calibrator.Calibrator.calibrate
    calibrator.Calibrator.calibrate = lambda self, gen: narrow_ranges(calibrate(self, gen), samples, percentile)
    try:
        yield
    finally:
        calibrator.Calibrator.calibrate = calibrate


def _simplify_here() -> None:
    """onnx2tf simplifies the model with the `onnxsim` command three or four times a conversion, each a new
    Python importing torch (about 3.5 s, most of a small model's conversion). Run that command's own entry point
    here instead, with the same arguments on the same files: a failure raises what the command's exit status
    would have (onnx2tf then goes on with the unsimplified model, as before) and its output is returned."""
    import onnx2tf.onnx2tf as converter
    import onnxsim

    def check_output(command: list[str], **_) -> bytes:   # onnx2tf runs no other command
        argv, sys.argv = sys.argv, list(command)
        try:
            with contextlib.redirect_stdout(io.StringIO()) as printed:
                onnxsim.main()
        except SystemExit as exit_:
            if exit_.code not in (None, 0):
                raise subprocess.CalledProcessError(exit_.code, command) from exit_
        except Exception as error:
            raise subprocess.CalledProcessError(1, command) from error
        finally:
            sys.argv = argv
        return printed.getvalue().encode()

    converter.subprocess = types.SimpleNamespace(check_output=check_output, PIPE=subprocess.PIPE)


def _die_with_parent() -> None:
    """A build killed with SIGKILL cannot stop us: on Linux, ask the kernel to kill us when it dies (the
    build's next run removes the temporary folder we leave, see staging.owned_temp_dir)."""
    if sys.platform == "linux":
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if str(os.getppid()) != os.environ.get(PARENT_PID, str(os.getppid())):   # the build died before that
        os._exit(1)


@contextlib.contextmanager
def _output_to(log: Path):
    """This process's stdout and stderr (Python's and TensorFlow's own) appended to `log` meanwhile."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(log, "ab") as sink:
        for fd in (1, 2):
            os.dup2(sink.fileno(), fd)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, original in zip((1, 2), saved):
                os.dup2(original, fd)
                os.close(original)


def convert(work: Path, input_name: str, percentile: float | None) -> None:
    """One conversion, in `work` (onnx2tf reads its sample images from the current directory)."""
    import onnx2tf

    _simplify_here()
    os.chdir(work)
    # the calibration inputs go in as they are: mean 0 and std 1 over the last (channel) axis, at the input's rank
    calibration = np.load(work / "calibration_nhwc.npy", mmap_mode="r")
    stats = (1,) * (calibration.ndim - 1) + (calibration.shape[-1],)
    zeros, ones = np.zeros(stats, np.float32), np.ones(stats, np.float32)
    with _narrowed_ranges(work / "calibration_nhwc.npy", percentile):
        onnx2tf.convert(
            input_onnx_file_path=str(work / "model.onnx"), output_folder_path=str(work / "tf"),
            output_integer_quantized_tflite=True, quant_type="per-channel",
            custom_input_op_name_np_data_path=[[input_name, str(work / "calibration_nhwc.npy"), zeros, ones]],
            input_quant_dtype="int8", output_quant_dtype="int8", batch_size=1, non_verbose=True)


def _forget_names() -> None:
    """Keras numbers its layers per session: a new session starts the next conversion's names from zero."""
    import tf_keras

    tf_keras.backend.clear_session()


def serve(requests, replies) -> None:
    for line in requests:
        request = json.loads(line)
        with _output_to(Path(request["log"])):
            try:
                convert(Path(request["work"]), request["input_name"], request["percentile"])
                _forget_names()
                answer = OK
            except (Exception, SystemExit):   # onnx2tf exits on what it cannot convert
                traceback.print_exc()
                answer = FAILED
        replies.write(answer + "\n")
        replies.flush()
        if answer == FAILED:
            return


if __name__ == "__main__":
    _die_with_parent()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    serve(sys.stdin, os.fdopen(os.dup(1), "w"))
