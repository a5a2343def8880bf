"""Code generators that turn the int8 graph view into C: the engine backend (model.c/model.h) and the
self-test's golden data (golden.c/golden.h)."""

from .engine_c import emit_engine_c
from .golden_c import emit_golden_c

__all__ = ["emit_engine_c", "emit_golden_c"]
