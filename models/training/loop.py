"""The fit loop every detector shares: epochs of shuffled batches, periodic validation, best-epoch
weights, resumable state. Public entry point: `fit` (also used to fine-tune compressed models)."""

import copy
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.profiler import record_function
from torch.utils.data import DistributedSampler

from ..data import Samples
from ..metrics import detector_metrics, localisation_metrics, youden_threshold
from . import distributed
from .speed import SpeedOptions, compiled
from .tasks import FitOptions, task_for

DEVICE_DATA_BYTES = 4 << 30
# Validating every second epoch keeps it near 5 % of the epoch loop (val:train 1:5, a forward pass and the
# metrics; every epoch cost 10-11 %), and the best of the even epochs scores as well as the best of all
# (benchmarks/training_throughput_cpu.md). The last epoch always validates.
DEFAULT_VAL_EVERY = 2


@dataclass
class FitResult:
    """Best epoch (by val AP), its val metrics and Youden threshold, every validation, seconds taken."""

    best_epoch: int
    val: dict
    threshold: float
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    loop_seconds: float = 0.0  # the epochs alone: without setup (e.g. feature caching) and the final weight load
    validation_seconds: float = 0.0  # the part of loop_seconds spent validating (on_validation calls included)
    main_process: bool = True
    state: dict | None = None  # the training state after the last validation (for a later --resume)


def progress_bar(enabled: bool) -> Progress:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, disable=not enabled, transient=True)


def evaluate(task, inputs: torch.Tensor, samples: Samples, threshold: float | None = None) -> tuple[dict, float]:
    """Image metrics (and pixel metrics when the detector makes maps and the split has defects),
    at `threshold` or, if None, at the split's own Youden threshold; returns (metrics, threshold)."""
    scores, maps = task.predict(inputs)
    threshold = youden_threshold(scores, samples.labels) if threshold is None else threshold
    metrics = detector_metrics(scores, samples.labels, threshold)
    if maps is not None and samples.masks.any():
        metrics.update(localisation_metrics(maps, samples.masks))
    return metrics, threshold


def _subset(samples: Samples, indices: np.ndarray) -> Samples:
    if len(indices) == len(samples):
        return samples
    if len(indices) == 0:
        raise ValueError("no training images left: unsupervised training needs defect-free (label 0) images")
    return Samples(images=samples.images[indices], labels=samples.labels[indices], masks=samples.masks[indices])


def _on_device(tensors: list[torch.Tensor], device: torch.device) -> list[torch.Tensor]:
    """The training split moved to the device once when it fits in DEVICE_DATA_BYTES, so that a step
    copies nothing from the host (a no-op on the CPU)."""
    if sum(t.nbytes for t in tensors) > DEVICE_DATA_BYTES:
        return tensors
    return [t.to(device) for t in tensors]


def _batches(count: int, batch_size: int, epoch: int, seed: int, generator: torch.Generator, context) -> list[torch.Tensor]:
    """This process's shuffled batches: a DistributedSampler share under torchrun, else a seeded permutation."""
    if context.distributed:
        sampler = DistributedSampler(range(count), context.world_size, context.rank, shuffle=True, seed=seed)
        sampler.set_epoch(epoch)
        order = torch.tensor(list(sampler))
    else:
        order = torch.randperm(count, generator=generator, device=generator.device)
    return list(order.split(batch_size))


def fit(model: nn.Module, train: Samples, val: Samples, epochs: int, lr: float, *, batch_size: int = 64, seed: int = 0,
        options: FitOptions = FitOptions(), val_every: int = DEFAULT_VAL_EVERY, progress: bool = True, device: str = "auto",
        state: dict | None = None, on_validation=None, speed: SpeedOptions = SpeedOptions()) -> FitResult:
    """Train `model` in place on `train`, keep the weights of the validation with the best val AP.

    Works for every zoo detector (the task follows the model's kind). state: a training state
    from an earlier run's `on_validation` to resume from. on_validation(epoch, model, metrics,
    threshold, state) is called on the main process after each validation (for checkpoints).
    Under torchrun, each process trains on its share and the main process validates.
    speed: precision, memory format and compilation of the steps (the model leaves in NCHW).
    """
    started = time.perf_counter()
    context = distributed.setup(device)
    speed = speed.resolved(context.device)
    model.to(context.device)
    if speed.channels_last:
        model.to(memory_format=torch.channels_last)
    task = task_for(model, options, (len(train), len(val)), speed)
    train = _subset(train, task.training_indices(train.labels))
    inputs = {"train": task.inputs(train.images), "val": task.inputs(val.images)}
    labels, masks = torch.from_numpy(train.labels), torch.from_numpy(train.masks)
    inputs["train"], labels, masks = _on_device([inputs["train"], labels, masks], context.device)
    share = -(-len(train) // context.world_size)  # DistributedSampler pads every share to this
    steps_per_epoch = -(-share // batch_size)
    optimizers = task.optimizers(lr, epochs * steps_per_epoch)
    step = task.step
    if context.distributed:
        step = DistributedDataParallel(step, find_unused_parameters=task.find_unused_parameters)
    step = compiled(step, speed)
    # on the training device, so that shuffling, augmentation and synthesis need no host round trip
    generator = torch.Generator(context.device).manual_seed(seed + context.rank)
    first, best, history = 1, {"ap": -1.0, "epoch": 0, "weights": None, "val": {}, "threshold": 0.0}, []
    last_state = state
    if state is not None:
        first, best, history = _restore(state, model, optimizers, generator)
    loop_started, validation_seconds = time.perf_counter(), 0.0
    with progress_bar(progress and context.is_main) as bar:
        bar_task = bar.add_task("training", total=epochs * steps_per_epoch, completed=(first - 1) * steps_per_epoch)
        for epoch in range(first, epochs + 1):
            model.train()
            losses = []
            for index, batch in enumerate(_batches(len(train), batch_size, epoch, seed, generator, context)):
                with record_function("train.data"):
                    batch = batch.to(labels.device, non_blocking=True)
                    data = (inputs["train"][batch], labels[batch], masks[batch])
                losses.append(task.train_batch(step, data, generator, (epoch - 1) * steps_per_epoch + index, optimizers))
                bar.advance(bar_task)
            if context.is_main and (epoch % val_every == 0 or epoch == epochs):
                _finish_queued_work(context.device)  # so that the steps' time is not counted as validation
                validation_started = time.perf_counter()
                with record_function("train.validation"):
                    metrics, threshold = evaluate(task, inputs["val"], val)
                    history.append({"epoch": epoch, "loss": torch.stack(losses).double().mean().item(), "val": metrics})
                    if metrics["ap"] >= best["ap"]:  # ties go to the later, lower-learning-rate epoch
                        weights = {key: value.detach().cpu().clone() for key, value in model.state_dict().items()}
                        best = {"ap": metrics["ap"], "epoch": epoch, "weights": weights, "val": metrics, "threshold": threshold}
                    bar.update(bar_task, description=f"epoch {epoch}/{epochs} loss {history[-1]['loss']:.4f} "
                               f"val AP {metrics['ap']:.4f}" + (f" AUPRO {metrics['aupro']:.4f}" if "aupro" in metrics else ""))
                    if on_validation is not None:
                        last_state = _state(epoch, model, best, history, optimizers, generator)
                        on_validation(epoch, model, metrics, threshold, last_state)
                validation_seconds += time.perf_counter() - validation_started
    loop_seconds = time.perf_counter() - loop_started
    if context.is_main and on_validation is None and first <= epochs:  # copied once, not at every validation
        last_state = _state(epochs, model, best, history, optimizers, generator)  # the last epoch always validates
    if speed.channels_last:  # export and the checkpoint's readers expect NCHW weights
        model.to(memory_format=torch.contiguous_format)
    if context.is_main:
        model.load_state_dict(best["weights"])
    distributed.teardown(context)
    return FitResult(best_epoch=best["epoch"], val=best["val"], threshold=best["threshold"], history=history,
                     seconds=time.perf_counter() - started, loop_seconds=loop_seconds,
                     validation_seconds=validation_seconds, main_process=context.is_main,
                     state=last_state)


def _finish_queued_work(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _state(epoch: int, model: nn.Module, best: dict, history: list, optimizers: list, generator: torch.Generator) -> dict:
    """Everything a resumed run needs, as tensors and plain containers (weights_only-loadable), copied
    so that training on does not change it."""
    weights = {key: value.detach().cpu() for key, value in model.state_dict().items()}
    return copy.deepcopy({
        "epoch": epoch, "weights": weights, "best": best, "history": history, "generator": generator.get_state(),
        "torch_rng": torch.get_rng_state(),
        "optimizers": [optimizer.state_dict() for optimizer, _ in optimizers],
        "schedulers": [scheduler.state_dict() if scheduler is not None else None for _, scheduler in optimizers]})


def _restore(state: dict, model: nn.Module, optimizers: list, generator: torch.Generator) -> tuple[int, dict, list]:
    if len(state["optimizers"]) != len(optimizers):
        raise ValueError("the saved training state is for another kind of detector; start a fresh run")
    model.load_state_dict(state["weights"])
    for (optimizer, scheduler), saved, saved_schedule in zip(optimizers, state["optimizers"], state["schedulers"]):
        optimizer.load_state_dict(saved)
        if scheduler is not None:
            scheduler.load_state_dict(saved_schedule)
    try:
        generator.set_state(state["generator"])
    except RuntimeError as error:  # the generator lives on the training device: CPU and CUDA states differ
        raise ValueError(f"the saved training state was made on another kind of device ({error}); "
                         "resume with the --device it was trained on") from error
    torch.set_rng_state(state["torch_rng"])
    return state["epoch"] + 1, state["best"], list(state["history"])
