"""Static memory plan for the activation arena: every non-constant tensor gets a fixed, 16-byte aligned
offset, chosen greedily (largest first, lowest offset free over its lifetime). RESHAPE's output shares
its input's bytes, an element-wise op may write its output over an input that dies there (in place),
and a depthwise op a fixed shift below such an input (engine/window_in_place.py). The plan is of the
engine's lowered graph (engine/pad_fusion.py: a folded PAD's output is never planned).
`check_plan` proves a plan by simulating the op steps."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .engine.pad_fusion import lower
from .engine.registry import in_place_shift, is_alias, require_supported
from .engine.window_in_place import ALIGNMENT  # every offset's, so that in-place shifts keep it
from .errors import TinyctlError
from .graph import Graph, Operator

_ITEM_BYTES = {"INT8": 1, "UINT8": 1, "BOOL": 1, "INT16": 2, "FLOAT16": 2, "INT32": 4, "FLOAT32": 4, "INT64": 8}


@dataclass(frozen=True)
class Plan:
    offsets: dict[int, int]                      # tensor index -> byte offset in the arena
    sizes: dict[int, int]                        # tensor index -> bytes
    peak_bytes: int                              # arena size the plan needs
    lifetimes: dict[int, tuple[int, int]] = field(default_factory=dict)  # first, last op step
    aliases: dict[int, int] = field(default_factory=dict)  # RESHAPE output -> the tensor it shares
    in_place: dict[int, int] = field(default_factory=dict)  # in-place output -> the input it overwrites


def tensor_bytes(graph: Graph, index: int) -> int:
    t = graph.tensors[index]
    if t.dtype not in _ITEM_BYTES:
        raise TinyctlError(f"tensor {t.name!r} has type {t.dtype}, which the engine cannot hold",
                           "export a fully-int8 model")
    return int(np.prod(t.shape, dtype=np.int64)) * _ITEM_BYTES[t.dtype]


def activations(graph: Graph) -> list[int]:
    """Non-constant tensors the graph reads or writes, in index order."""
    used = set(graph.inputs) | set(graph.outputs)
    for op in graph.operators:
        used.update(i for i in (*op.inputs, *op.outputs) if i >= 0)
    return sorted(i for i in used if not graph.tensors[i].is_constant)


def lifetimes(graph: Graph) -> dict[int, tuple[int, int]]:
    """(first, last) op step each activation is live: producer .. last consumer; graph inputs from
    step 0, graph outputs to the last step."""
    last_step = max(len(graph.operators) - 1, 0)
    first: dict[int, int] = {i: 0 for i in graph.inputs}
    last: dict[int, int] = {i: last_step for i in graph.outputs}
    for op in graph.operators:
        for i in op.outputs:
            first.setdefault(i, op.index)
        for i in op.inputs:
            if i >= 0 and not graph.tensors[i].is_constant:
                last[i] = max(last.get(i, op.index), op.index)
    spans = {}
    for i in activations(graph):
        if i not in first:
            raise TinyctlError(f"tensor {graph.tensors[i].name!r} is read but no op writes it",
                               "re-export the model; variable tensors are not supported")
        spans[i] = (first[i], last.get(i, first[i]))
    return spans


def _aliases(graph: Graph) -> dict[int, int]:
    """RESHAPE output -> root tensor whose bytes it reuses."""
    root: dict[int, int] = {}
    for op in graph.operators:
        if is_alias(op.opcode):
            src = op.inputs[0]
            root[op.outputs[0]] = root.get(src, src)
    return root


def in_place_inputs(graph: Graph, spans: dict[int, tuple[int, int]]) -> dict[int, dict[int, int]]:
    """Op step -> {input: shift}: the inputs whose bytes its output may take, starting `shift` bytes
    below them (registry.in_place_shift): activations last read by that op, not graph outputs (which
    must outlive every op), and for an element-wise op (shift 0) of the output's byte size."""
    legal = {}
    for op in graph.operators:
        shift = in_place_shift(graph, op)
        if shift is not None:
            size = tensor_bytes(graph, op.outputs[0])
            legal[op.index] = {i: shift for i in op.inputs if i in spans and spans[i][1] == op.index
                               and i not in graph.outputs and (shift or tensor_bytes(graph, i) == size)}
    return legal


def _sharing(graph: Graph, spans: dict[int, tuple[int, int]], legal: dict[int, dict[int, int]]
             ) -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
    """(root, delta, in_place): each RESHAPE or in-place output -> the root tensor of the bytes it
    reuses and its byte offset from the root's (negative below it), and each in-place output -> the
    input it overwrites. An output goes in place only if nothing sharing that input's bytes (RESHAPE
    views, earlier in-place tensors) is live after the op."""
    root: dict[int, int] = {}
    delta: dict[int, int] = {}
    in_place: dict[int, int] = {}
    for op in graph.operators:
        if is_alias(op.opcode):
            root[op.outputs[0]] = root.get(op.inputs[0], op.inputs[0])
            delta[op.outputs[0]] = delta.get(op.inputs[0], 0)
        for i, shift in legal.get(op.index, {}).items():
            r = root.get(i, i)
            group = [r, *(t for t, tr in root.items() if tr == r)]
            if all(spans[t][1] <= op.index and t not in graph.outputs for t in group):
                root[op.outputs[0]], in_place[op.outputs[0]] = r, i
                delta[op.outputs[0]] = delta.get(i, 0) - shift
                break
    return root, delta, in_place


def op_bytes(graph: Graph, op: Operator) -> int:
    """The bytes one op needs at once: its activation inputs and its output, less what the output
    may share with an input (a RESHAPE view; in place: all but its shift)."""
    inputs = {i: tensor_bytes(graph, i) for i in op.inputs if i >= 0 and not graph.tensors[i].is_constant}
    out = sum(tensor_bytes(graph, i) for i in op.outputs)
    shift = 0 if is_alias(op.opcode) else in_place_shift(graph, op)
    shares = shift is not None and bool(inputs) and (shift > 0 or out in inputs.values())
    return sum(inputs.values()) + (shift if shares else out)


def arena_lower_bound(graph: Graph) -> tuple[int, int]:
    """(bytes, op index): the op needing the most bytes at once (op_bytes), which no plan can go below
    whatever the tensors' lifetimes, alignment and placement."""
    graph = lower(graph)
    return max(((op_bytes(graph, op), op.index) for op in graph.operators), key=lambda b: b[0], default=(0, -1))


def _align(n: int) -> int:
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _lowest_free(size: int, taken: list[tuple[int, int]]) -> int:
    """Lowest aligned offset where [offset, offset + size) misses every (offset, size) in `taken`."""
    offset = 0
    for start, length in sorted(taken):
        if offset + size <= start:
            break
        offset = max(offset, _align(start + length))
    return offset


def _place(graph: Graph, spans: dict[int, tuple[int, int]], legal: dict[int, dict[int, int]]) -> Plan:
    """Greedy placement, largest buffer first, of every activation over its lifetime; tensors that
    share bytes (RESHAPE, in place as `legal` allows) are placed as one group over their joint
    lifetime, each at its delta from the group's lowest byte."""
    sizes = {i: tensor_bytes(graph, i) for i in spans}
    root, delta, in_place = _sharing(graph, spans, legal)
    groups: dict[int, list[int]] = {}
    for i in spans:
        groups.setdefault(root.get(i, i), []).append(i)
    group_span = {r: (min(spans[i][0] for i in m), max(spans[i][1] for i in m)) for r, m in groups.items()}
    group_low = {r: min(delta.get(i, 0) for i in m) for r, m in groups.items()}
    group_size = {r: max(delta.get(i, 0) + sizes[i] for i in m) - group_low[r] for r, m in groups.items()}
    placed: dict[int, int] = {}
    for r in sorted(groups, key=lambda r: (-group_size[r], group_span[r][0], r)):
        taken = [(placed[o], group_size[o]) for o in placed if _overlaps(group_span[r], group_span[o])]
        placed[r] = _lowest_free(group_size[r], taken)
    offsets = {i: placed[r] + delta.get(i, 0) - group_low[r] for r in groups for i in groups[r]}
    peak = max((offsets[i] + sizes[i] for i in spans), default=0)
    aliases = {i: r for i, r in _aliases(graph).items() if i in spans}
    return Plan(offsets, sizes, peak, spans, aliases, in_place)


def plan_arena(graph: Graph) -> Plan:
    """The greedy placement (_place) with the shifted (depthwise) in-place outputs that lower its
    peak: a shifted group is wider than either tensor and can push the greedy order into a larger
    arena, so starting from none of them (the plan of element-wise in-place only, which the arena
    never exceeds), each is kept only if it lowers the peak; all of them at once wins if lower still."""
    require_supported(graph)
    graph = lower(graph)
    spans = lifetimes(graph)
    legal = in_place_inputs(graph, spans)
    shifted = [step for step, takers in legal.items() if any(takers.values())]

    def place(allowed: set[int]) -> Plan:
        return _place(graph, spans, {step: takers for step, takers in legal.items()
                                     if step in allowed or step not in shifted})

    best, kept = place(set()), set()
    for step in shifted:
        trial = place(kept | {step})
        if trial.peak_bytes < best.peak_bytes:
            best, kept = trial, kept | {step}
    every = place(set(shifted))
    return every if every.peak_bytes < best.peak_bytes else best


def free_at(plan: Plan, step: int, size: int) -> int | None:
    """The lowest aligned offset where `size` bytes lie inside the arena clear of every activation live at op
    step `step` (scratch for that op alone: the arena does not grow), or None where no gap is that large."""
    taken = [(plan.offsets[i], plan.sizes[i]) for i, (first, last) in plan.lifetimes.items() if first <= step <= last]
    offset = _lowest_free(size, taken)
    return offset if offset + size <= plan.peak_bytes else None


def check_plan(graph: Graph, plan: Plan) -> None:
    """Simulate every op step: each live activation is placed, aligned, inside the arena, and no
    two live ones share a byte, except a RESHAPE output and its source (which must share exactly) and,
    at an op that runs in place, its output and an input of `in_place_inputs` at exactly that input's
    shift below it."""
    graph = lower(graph)
    spans = lifetimes(graph)
    aliases = _aliases(graph)
    legal = in_place_inputs(graph, spans)
    for i in spans:
        name = graph.tensors[i].name
        if i not in plan.offsets:
            raise AssertionError(f"tensor {name!r} has no place in the plan")
        offset, size = plan.offsets[i], tensor_bytes(graph, i)
        if offset % ALIGNMENT or offset < 0 or offset + size > plan.peak_bytes:
            raise AssertionError(f"tensor {name!r} at {offset}+{size} is unaligned or outside the "
                                 f"{plan.peak_bytes}-byte arena")
    for out, root in aliases.items():
        if out in spans and plan.offsets[out] != plan.offsets[root]:
            raise AssertionError(f"RESHAPE output {graph.tensors[out].name!r} does not share its input's bytes")
    for step in range(len(graph.operators)):
        live = sorted((plan.offsets[i], tensor_bytes(graph, i), i) for i, s in spans.items() if s[0] <= step <= s[1])
        out, takers = (graph.operators[step].outputs or (None,))[0], legal.get(step, {})
        for k, (a_off, a_size, a) in enumerate(live):
            for b_off, b_size, b in live[k + 1:]:
                if b_off >= a_off + a_size:
                    break
                if aliases.get(a, a) == aliases.get(b, b):
                    continue
                if (a == out and takers.get(b) == b_off - a_off) or (b == out and takers.get(a) == a_off - b_off):
                    continue
                raise AssertionError(f"op step {step}: tensors {graph.tensors[a].name!r} [{a_off}, {a_off + a_size}) "
                                     f"and {graph.tensors[b].name!r} [{b_off}, {b_off + b_size}) overlap")


def lower_bound_record(graph: Graph) -> dict:
    """report.json's engine.arena_lower_bound_bytes and the op that sets it."""
    bound, index = arena_lower_bound(graph)
    op = graph.operators[index] if index >= 0 else None
    return {"arena_lower_bound_bytes": bound,
            "arena_lower_bound_op": op and {"index": index, "opcode": op.opcode, "layer": graph.layer_name(op)}}


def plan_record(plan: Plan) -> list[dict]:
    """report.json's engine.plan: each activation's box in the arena (ops first..last, bytes at offset)."""
    return [{"tensor": i, "offset": plan.offsets[i], "bytes": plan.sizes[i], "first": plan.lifetimes[i][0],
             "last": plan.lifetimes[i][1]} for i in sorted(plan.offsets)]
