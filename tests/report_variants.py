"""Report pages of tasks the default build is not: its report.json with another validation block written in (a
classifier, a reconstruction model, a build with no labelled data) or without the estimated cycles per layer, rendered by
`rerender_report`, the function `tinyctl report BUILD` uses."""

import copy
import json
import shutil
from pathlib import Path

import numpy as np

from tinyctl.build_results import rerender_report

CLASSES = [f"{name} on the left edge of the brushed-aluminium housing, seen from above" for name in
           ("scratch", "dent", "hairline crack", "missing screw", "oil stain", "bent pin", "burr", "discoloration",
            "misaligned label", "no defect")]
CLASSIFIER_DATA = {"spec": "classes:/data/housings", "split": "test", "count": 200,
                   "description": "ImageFolder at /data/housings, test split, 200 images, 10 classes"}


MOVED_BY_INT8 = ((0, 3), (4, 5), (7, 2))   # (true class, class int8 predicts instead) for one image each


def confusions(seed: int = 0) -> dict[str, np.ndarray]:
    """Float, int8 and device confusion matrices (20 test images per class): int8 moves one image of each class
    in MOVED_BY_INT8 to another class, the device agrees with int8."""
    rng = np.random.default_rng(seed)
    float_matrix = np.diag(np.full(len(CLASSES), 17)) + rng.multinomial(3, [0.1] * 10, size=10)
    int8 = float_matrix.copy()
    for true, predicted in MOVED_BY_INT8:
        int8[true, true] -= 1
        int8[true, predicted] += 1
    return {"float": float_matrix, "int8": int8, "device": int8}


def _classifier_runtime(label: str, matrix: np.ndarray) -> dict:
    return {"label": label, "top1": float(np.trace(matrix) / matrix.sum()),
            "per_class_accuracy": [float(v) for v in np.diag(matrix) / matrix.sum(axis=1)],
            "confusion": matrix.tolist()}


def classification_validation(validation: dict) -> dict:
    """10 classes with long names; int8 QDQ ONNX not run, the firmware in QEMU skipped with its reason."""
    matrices = confusions()
    runtimes = {"float_torch": _classifier_runtime(validation["runtimes"]["float_torch"]["label"], matrices["float"]),
                "float_onnx": _classifier_runtime(validation["runtimes"]["float_onnx"]["label"], matrices["float"]),
                **{name: _classifier_runtime(validation["runtimes"][name]["label"], matrices["int8"])
                   for name in ("int8_tflite", "tflm", "engine_host")},
                "engine_qemu": {"label": validation["runtimes"]["engine_qemu"]["label"],
                                "skipped": "the board has no QEMU machine"}}
    top1 = {name: runtime["top1"] for name, runtime in runtimes.items() if "top1" in runtime}
    return {"task": "classification", "split": "test", "samples": 200, "accuracy_measured": True,
            "data": CLASSIFIER_DATA, "classes": CLASSES, "runtimes": runtimes, "reference": "float_torch",
            "drop_pp": {"top1": round(100 * (top1["float_torch"] - top1["int8_tflite"]), 4)},
            "agreement": {k: v for k, v in validation["agreement"].items() if k != "engine_qemu_vs_tflm"}}


def reconstruction_validation(validation: dict) -> dict:
    """The default detector's figures, read as an autoencoder's AUROC of the reconstruction error."""
    return {**validation, "task": "reconstruction",
            "data": {"spec": "arrays:test.npz", "split": "test", "count": validation["samples"],
                     "description": f"arrays in test.npz, {validation['samples']} samples"}}


def agreement_validation(validation: dict) -> dict:
    """No labelled data: the runtimes only compared with each other, one of them not bit-exact."""
    agreement = copy.deepcopy(validation["agreement"])
    agreement["int8_tflite_vs_tflm"].update(bit_exact=False, mismatched=3, max_abs_diff_lsb=1, rmse=0.00123,
                                            cosine=0.999991)
    return {"task": "agreement", "split": "generated", "samples": 100, "accuracy_measured": False,
            "note": "no accuracy measured: the model came with no data, so the runtimes are only compared with "
                    "each other on inputs drawn uniformly over its int8 input range",
            "runtimes": {name: {"label": runtime["label"]} for name, runtime in validation["runtimes"].items()},
            "agreement": agreement}


def without_estimated_cycles(report: dict) -> dict:
    """The build as on a core without a cycle table (e.g. a Cortex-M33): instructions, no estimated cycles."""
    report = copy.deepcopy(report)
    selftest = report["engine"]["selftest"]
    selftest.pop("estimated_cycles")
    for layer in selftest["instructions"]["per_layer"]:
        layer.pop("estimated_cycles")
        layer.pop("estimated_ms")
    report["cost"] = selftest["instructions"]
    return report


VARIANTS = {"classification": lambda r: {**r, "validation": classification_validation(r["validation"])},
            "reconstruction": lambda r: {**r, "validation": reconstruction_validation(r["validation"])},
            "agreement": lambda r: {**r, "validation": agreement_validation(r["validation"])},
            "no-cycles": without_estimated_cycles}


def variant_page(build_dir: Path, out: Path, variant: str) -> str:
    """report.html of the build's report.json changed into `variant`, rendered as `tinyctl report` does."""
    out.mkdir(parents=True)
    shutil.copy(build_dir / "report.json", out / "report.json")
    report = VARIANTS[variant](json.loads((out / "report.json").read_text()))
    (out / "report.json").write_text(json.dumps(report, indent=2, sort_keys=True))
    return rerender_report(out).read_text()
