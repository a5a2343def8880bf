"""Training speed options (issue 19): bf16 autocast and channels_last train on the CPU, the CPU default
path is unchanged, and the options reach the config, the command line and back."""

import math

import pytest
import torch

from benchmarks.train_throughput import SSN_SMALL
from tinyctl.models.data.synthetic import SyntheticConfig, default_splits
from tinyctl.models.training.cli import parse_config
from tinyctl.models.training.config import TrainConfig
from tinyctl.models.training.loop import fit
from tinyctl.models.training.speed import SpeedOptions, compiled
from tinyctl.models.training.tasks import FitOptions
from tinyctl.models.zoo import build_model

DATA = SyntheticConfig(n_train=32, n_val=16, n_test=8, size=32)
DETECTORS = {"binary_cnn": ({}, FitOptions()), "supersimplenet": (SSN_SMALL, FitOptions(clip_grad=1.0))}
# per-epoch mean losses of 2 epochs on DATA, recorded before the speed options existed (commit b6e9a8d, one
# thread; the thread count moves the last bits of a float32 sum, so the comparison allows 1e-5)
RECORDED_LOSSES = {"binary_cnn": ["0x1.66bf3d0000000p-1", "0x1.5c7d230000000p-1"],
                   "supersimplenet": ["0x1.b4e9980000000p+0", "0x1.80b84b0000000p+0"]}


@pytest.fixture(scope="module")
def splits():
    return default_splits(DATA)


def _train(name: str, splits: dict, speed: SpeedOptions) -> tuple[list[float], torch.nn.Module]:
    options, fit_options = DETECTORS[name]
    torch.manual_seed(0)
    model = build_model(name, {**options, "input_size": DATA.size, "in_channels": DATA.channels})
    result = fit(model, splits["train"], splits["val"], 2, 4e-3, batch_size=16, options=fit_options, progress=False,
                 device="cpu", speed=speed, val_every=1)
    return [entry["loss"] for entry in result.history], model


@pytest.mark.parametrize("name", DETECTORS)
def test_the_cpu_default_path_is_the_plain_path_with_its_recorded_losses(name, splits):
    losses, _ = _train(name, splits, SpeedOptions())
    plain, _ = _train(name, splits, SpeedOptions(precision="fp32", channels_last=False, compile=False))
    assert [loss.hex() for loss in losses] == [loss.hex() for loss in plain]   # auto on the CPU is the plain path
    assert losses == pytest.approx([float.fromhex(text) for text in RECORDED_LOSSES[name]], rel=1e-5)


@pytest.mark.parametrize("name", DETECTORS)
def test_bf16_and_channels_last_train_on_the_cpu_and_leave_an_nchw_model(name, splits):
    losses, model = _train(name, splits, SpeedOptions(precision="bf16", channels_last=True))
    recorded = [float.fromhex(text) for text in RECORDED_LOSSES[name]]
    assert all(math.isfinite(loss) for loss in losses)
    assert losses != recorded, "bf16 rounding should show in the losses: was autocast applied?"
    assert losses == pytest.approx(recorded, rel=0.02)
    assert all(parameter.is_contiguous() for parameter in model.parameters())
    assert all(parameter.dtype == torch.float32 for parameter in model.parameters())


def test_channels_last_alone_reaches_the_model_during_training(splits, monkeypatch):
    seen = []
    options, _ = DETECTORS["binary_cnn"]
    model = build_model("binary_cnn", {**options, "input_size": DATA.size, "in_channels": DATA.channels})
    forward = model.forward

    def recording(images):  # a weight with channels and a spatial kernel: with one of either, both layouts agree
        weight = next(parameter for parameter in model.parameters() if parameter.dim() == 4 and min(parameter.shape[1:]) > 1)
        seen.append(weight.is_contiguous(memory_format=torch.channels_last) and not weight.is_contiguous())
        return forward(images)

    monkeypatch.setattr(model, "forward", recording)
    fit(model, splits["train"], splits["val"], 1, 4e-3, batch_size=16, progress=False, device="cpu",
        speed=SpeedOptions(channels_last=True))
    assert seen and seen[0], "the model should train channels_last"


def test_compile_wraps_the_step_only_when_asked():
    # wrapping is lazy and free; running a compiled step costs ~150 s of compilation on the shared CPU, so that is
    # left to benchmarks/train_throughput.py --variants compile
    step = torch.nn.Linear(2, 1)
    assert compiled(step, SpeedOptions()) is step
    assert compiled(step, SpeedOptions(compile=True))._orig_mod is step


def test_speed_flags_reach_the_config_and_its_command_line():
    config, _, _ = parse_config(["--precision", "bf16", "--channels-last", "--compile", "--device", "cpu"])
    assert config.speed == SpeedOptions(precision="bf16", channels_last=True, compile=True)
    assert "--precision bf16 --channels-last --compile" in config.command()
    assert parse_config([])[0].speed == SpeedOptions()
    assert TrainConfig.from_dict(config.to_dict()).speed == config.speed
    assert "--precision" not in TrainConfig().command()


def test_automatic_choices_follow_the_device():
    cpu, cuda = SpeedOptions().resolved(torch.device("cpu")), SpeedOptions().resolved(torch.device("cuda"))
    assert (cpu.precision, cpu.channels_last) == ("fp32", False)
    assert (cuda.precision, cuda.channels_last) == ("bf16", True)
    assert SpeedOptions(precision="fp32").resolved(torch.device("cuda")).precision == "fp32"


def test_the_speed_section_of_a_config_file_turns_channels_last_off(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("[speed]\nchannels_last = false\n")
    assert parse_config(["--config", str(path)])[0].speed.channels_last is False


def test_a_config_from_before_the_speed_options_still_loads():
    values = TrainConfig().to_dict()
    del values["speed"]
    assert TrainConfig.from_dict(values).speed == SpeedOptions()


def test_an_unknown_precision_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as caught:
        parse_config(["--config", "/dev/null", "--precision", "fp8"])
    assert caught.value.code == 2
