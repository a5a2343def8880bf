"""MTL-Split (Capogrosso et al., DAC 2024): one shared head on the device, one small tail per task on the server.

A task tail follows the paper's task head on the transmitted code: Flatten -> Linear(hidden) ->
Dropout(0.1) -> ReLU -> Linear(classes); a two-class task keeps one logit (the detector's form).
"""

from __future__ import annotations

import math

from torch import nn


def task_tail(code_shape: tuple, classes: int, hidden: int = 64) -> nn.Sequential:
    return nn.Sequential(nn.Flatten(), nn.Linear(math.prod(code_shape), hidden), nn.Dropout(0.1), nn.ReLU(),
                         nn.Linear(hidden, 1 if classes == 2 else classes))


class TaskTails(nn.Module):
    """Every task's tail on the same code; returns one logit tensor per task, in `tasks` order."""

    def __init__(self, code_shape: tuple, tasks: dict[str, int], hidden: int = 64) -> None:
        super().__init__()
        self.tasks = nn.ModuleDict({name: task_tail(code_shape, classes, hidden) for name, classes in tasks.items()})

    def forward(self, z):
        return tuple(tail(z) for tail in self.tasks.values())
