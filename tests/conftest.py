"""Shared fixtures: one real build of the shipped default detector, reused by the build tests; the four
reference models, converted once."""

import shutil

import pytest

from tinyctl.pipeline import BuildOptions, build


@pytest.fixture(scope="session")
def default_build(tmp_path_factory):
    """`tinyctl build --target stm32` on the default model: (build directory, report)."""
    out = tmp_path_factory.mktemp("builds") / "default-stm32"
    directory, report = build(BuildOptions(target="stm32", out=str(out)))
    return directory, report


@pytest.fixture
def build_copy(default_build, tmp_path):
    """A private copy of the default build that a test may change."""
    copy = tmp_path / "copy"
    shutil.copytree(default_build[0], copy)
    return copy


@pytest.fixture(scope="session")
def reference_tflite():
    """{name: int8 TFLite bytes} of the four MLPerf Tiny reference models (seed 0), one conversion each."""
    from tinyctl.reference_models import build_reference_model

    return {name: build_reference_model(name) for name in ("resnet8", "mobilenet_v1_025", "ds_cnn", "fc_autoencoder")}
