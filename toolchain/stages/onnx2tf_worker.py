"""Runs onnx2tf in its own process: TensorFlow's layer-name counters then start from zero on every build
(so the same inputs give the same bytes), and its logging cannot reach the user's terminal. onnx2tf's
`onnxsim` command runs in this process too (see _simplify_here).

Usage: python -m tinyctl.stages.onnx2tf_worker WORK_DIR INPUT_NAME [PERCENTILE]
(WORK_DIR holds model.onnx and calibration_nhwc.npy; the result is WORK_DIR/tf/model_full_integer_quant.tflite.
With PERCENTILE, activation ranges are narrowed to that central percentile between calibration and
quantization, see tinyctl.compress.calibration.)
"""

import contextlib
import ctypes
import io
import os
import signal
import subprocess
import sys
import types
from pathlib import Path

import numpy as np

PARENT_PID = "TINYCTL_ONNX2TF_PARENT"   # the build's process id, set by whoever starts this worker


def _narrow_calibrated_ranges(calibration_nhwc: Path, percentile: float) -> None:
    """TFLite's converter calibrates with min/max only: rewrite the ranges it recorded before it quantizes."""
    from tensorflow.lite.python.optimize import calibrator

    from tinyctl.compress.calibration import narrow_ranges

    samples = [x[None] for x in np.load(calibration_nhwc)]
    calibrate = calibrator.Calibrator.calibrate
    calibrator.Calibrator.calibrate = lambda self, gen: narrow_ranges(calibrate(self, gen), samples, percentile)


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


def main(work: Path, input_name: str, percentile: float | None) -> None:
    _die_with_parent()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import onnx2tf

    _simplify_here()
    if percentile is not None:
        _narrow_calibrated_ranges(work / "calibration_nhwc.npy", percentile)
    # the calibration inputs go in as they are: mean 0 and std 1 over the last (channel) axis, at the input's rank
    calibration = np.load(work / "calibration_nhwc.npy", mmap_mode="r")
    stats = (1,) * (calibration.ndim - 1) + (calibration.shape[-1],)
    zeros, ones = np.zeros(stats, np.float32), np.ones(stats, np.float32)
    onnx2tf.convert(
        input_onnx_file_path=str(work / "model.onnx"), output_folder_path=str(work / "tf"),
        output_integer_quantized_tflite=True, quant_type="per-channel",
        custom_input_op_name_np_data_path=[[input_name, str(work / "calibration_nhwc.npy"), zeros, ones]],
        input_quant_dtype="int8", output_quant_dtype="int8", batch_size=1, non_verbose=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else None)
