"""Config dataclasses for zoo models: plain-dict round trip with tuples kept hashable."""

from dataclasses import asdict, fields


class ZooConfig:
    """Mixin for frozen config dataclasses: `to_dict` for checkpoints, `from_dict` that names typos."""

    def _freeze_sequences(self) -> None:
        # JSON and torch checkpoints hand back lists; frozen configs keep tuples so they stay hashable.
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, list):
                object.__setattr__(self, item.name, tuple(value))

    def to_dict(self) -> dict:
        """Plain JSON/torch-safe dict (tuples as lists)."""
        return {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(self).items()}

    @classmethod
    def from_dict(cls, values: dict):
        """Build from a dict, rejecting unknown keys so typos surface early."""
        known = {item.name for item in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown {cls.__name__} keys {unknown}; known keys are {sorted(known)}")
        return cls(**values)


def input_sides(input_size) -> tuple[int, int]:
    """(height, width) of a config's `input_size`: a side (square input) or [height, width]."""
    if isinstance(input_size, int) and not isinstance(input_size, bool):
        return input_size, input_size
    if isinstance(input_size, (tuple, list)) and len(input_size) == 2 and all(
            isinstance(side, int) and not isinstance(side, bool) for side in input_size):
        return tuple(input_size)
    raise ValueError(f"input_size must be a side or [height, width] in whole pixels, got {input_size!r}")
