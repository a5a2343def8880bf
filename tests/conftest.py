"""Shared fixtures: one real build of the shipped default detector, reused by the build tests."""

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
