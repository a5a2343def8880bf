"""Fuzz tinyctl's model loaders and the build's checks that run before any conversion: mutated .tflite,
.onnx and .pt files (benchmarks/fuzz_mutate.py) go through them, and only tinyctl's own error may
escape. Prints the count per outcome: accepted, clean error, or traceback by exception type.

    .venv/bin/python benchmarks/fuzz.py                        # 100,000 cases, seed 0
    .venv/bin/python benchmarks/fuzz.py --cases 5000 --seed 3 extra/model_int8.tflite   # more seed files
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

import numpy as np

if __package__ in (None, ""):      # run as a script: make `benchmarks` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.fuzz_mutate import mutate
from benchmarks.fuzz_seeds import seeds
from tinyctl.errors import TinyctlError
from tinyctl.graph import read_graph
from tinyctl.stages.engine import engine_support, plan_engine_arena
from tinyctl.stages.quantize import check_fully_int8
from tinyctl.model_source import load_source
from tinyctl.tflm_ops import check_tflm_ops

ACCEPTED, CLEAN = "accepted", "clean error"


def check_model_file(path: Path) -> None:
    """What `tinyctl build` runs on a model before converting it: loading, and for TFLite the graph checks."""
    if path.suffix == ".tflite":
        graph = read_graph(path)
        check_tflm_ops(graph)
        check_fully_int8(graph)
        if engine_support(graph) is None:
            plan_engine_arena(graph)
    load_source(path)


def outcome(path: Path) -> tuple[str, str | None]:
    """(outcome, the traceback's text when one escaped)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_model_file(path)
    except TinyctlError:
        return CLEAN, None
    except Exception as exc:  # anything else is what the fuzzer hunts: a traceback a user would see
        return f"traceback {type(exc).__name__}", traceback.format_exc()
    return ACCEPTED, None


def run(cases: int, seed: int, work: Path, extra: list[Path] = (),
        progress: bool = False) -> tuple[collections.Counter, dict[str, str]]:
    """Counts per (suffix, outcome) over `cases` mutants, and one example traceback per outcome;
    `progress` prints the counts so far every 10,000 cases."""
    corpus = seeds()
    for path in extra:
        corpus.setdefault(path.suffix, []).append(path.read_bytes())
    rng = np.random.default_rng(seed)
    suffixes = sorted(corpus)
    counts, examples = collections.Counter(), {}
    for case in range(cases):
        suffix = suffixes[case % len(suffixes)]
        models = corpus[suffix]
        base, other = models[int(rng.integers(len(models)))], models[int(rng.integers(len(models)))]
        mutation, data = mutate(rng, suffix, base, other)
        path = work / f"case{suffix}"
        path.write_bytes(data)
        result, text = outcome(path)
        counts[suffix, result] += 1
        if text is not None:
            examples.setdefault(f"{suffix} {result}", f"case {case} ({mutation}):\n{text}")
        if progress and (case + 1) % 10_000 == 0:
            print(f"{case + 1:,} cases: {dict(counts)}", file=sys.stderr, flush=True)
    return counts, examples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("files", nargs="*", type=Path, help="more real models to mutate")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tinyctl-fuzz-") as tmp:
        counts, examples = run(args.cases, args.seed, Path(tmp), args.files, progress=True)
    for (suffix, result), count in sorted(counts.items()):
        print(f"{suffix:8} {result:32} {count:8,}")
    totals = collections.Counter()
    for (_, result), count in counts.items():
        totals[result] += count
    print(f"all      " + ", ".join(f"{result} {count:,}" for result, count in sorted(totals.items()))
          + f" ({args.cases:,} cases, seed {args.seed}, {time.perf_counter() - start:.0f} s)")
    for text in examples.values():
        print(text)
    return 1 if examples else 0


if __name__ == "__main__":
    sys.exit(main())
