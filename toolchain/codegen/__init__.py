"""Code generators that turn the int8 graph view into C: the engine backend (model.c/model.h)."""

from .engine_c import emit_engine_c

__all__ = ["emit_engine_c"]
