"""Benchmark tinyctl's engine on the MLPerf Tiny reference models and the default detector.

Each model is built into engine firmware for a Cortex-M4 (nucleo-l4r5zi, QEMU mps2-an386), a Cortex-M7
(disco-f746ng, QEMU mps2-an500), a Cortex-M33 and a Cortex-M55 (benchmarks/suite.py CORES); the firmware's self-test runs under QEMU with tinyctl's
instruction-counting plugin. The result is a set of markdown tables (see benchmarks/README.md):

    .venv/bin/python benchmarks/run_benchmarks.py                      # print the tables
    .venv/bin/python benchmarks/run_benchmarks.py --out benchmarks/results.md
    .venv/bin/python benchmarks/run_benchmarks.py resnet8 ds_cnn       # some models only
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

if __package__ in (None, ""):      # run as a script: make `benchmarks` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from benchmarks.suite import (CORES, ELEMENT_OPS, MAC_OPS, Prepared, default_detector, prepare, reference_model,
                              run_on_core, split_head)
from tinyctl.paths import REPO_ROOT
from tinyctl.qemu import build_plugin
from tinyctl.reference_models import REFERENCE_MODELS
from tinyctl.targets import resolve_board

DETECTOR = "default_detector"
SPLIT_HEAD = "split_head"
MODELS = (DETECTOR, SPLIT_HEAD, *REFERENCE_MODELS)

# TFLite-Micro with CMSIS-NN kernels on a Cortex-M4: published figures, for comparison.
REFERENCE_INSTR_PER_MAC = {"resnet8": 2.4, "mobilenet_v1_025": 3.2, "ds_cnn": 2.9, "fc_autoencoder": 2.2}
REFERENCE_DEPTHWISE = (7, 9)         # instructions per MAC of CMSIS-NN's depthwise conv (MobileNetV1)
REFERENCE_ADD_PER_ELEMENT = 81       # an int8 residual ADD, instructions per output element
REFERENCE_RUNTIME_CODE = 95_000      # bytes of TFLite-Micro runtime + kernel code
# MLPerf Tiny's best published result on silicon per benchmark (issue 16's table):
# (cycles per inference, system). X-CUBE-AI 10.2 ran on a NUCLEO-L4R5ZI (Cortex-M4) at 120 MHz.
BEST_SILICON = {"resnet8": (19.9e6, "X-CUBE-AI 10.2, NUCLEO-L4R5ZI (165.7 ms at 120 MHz)"),
                "mobilenet_v1_025": (10.7e6, "X-CUBE-AI 10.2, NUCLEO-L4R5ZI"),
                "ds_cnn": (5.2e6, "X-CUBE-AI 10.2, NUCLEO-L4R5ZI"),
                "fc_autoencoder": (0.49e6, "Plumerai")}


# --- running ------------------------------------------------------------------------------------

def run(names: list[str], work: Path, golden: int, seed: int, jobs: int, rebuild_detector: bool,
        console: Console) -> tuple[dict, dict]:
    """{model: result} for the models that ran, {model: error text} for those that failed."""
    build_plugin()                       # once, before parallel QEMU runs look for it
    results, errors = {}, {}
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        overall = progress.add_task("benchmark", total=len(names) * (1 + len(CORES)))
        prepared: dict[str, Prepared] = {}
        for name in names:                # TensorFlow and TFLite-Micro: one model at a time, in this thread
            task = progress.add_task(f"{name}: convert, plan, TFLite-Micro arena and golden data", total=None)
            with _quiet_stderr() as log:  # TensorFlow's and TFLite-Micro's C++ logging
                try:
                    model = (default_detector(work, rebuild_detector, progress) if name == DETECTOR
                             else split_head(work, progress) if name == SPLIT_HEAD else reference_model(name, seed))
                    prepared[name] = prepare(model, golden, seed)
                except Exception as exc:  # one failing model must not hide the others' figures
                    errors[name] = _describe(exc)
                    progress.advance(overall, len(CORES))
            if name in errors and log():
                errors[name] += f" (its log ends: {' '.join(log().split())[-300:]})"
            progress.update(task, total=1, completed=1)
            progress.advance(overall)

        def on_core(name: str, core: str):
            task = progress.add_task(f"{name} on {core} ({CORES[core]}): build, QEMU self-test", total=None)
            try:
                return run_on_core(prepared[name], core, work)
            finally:
                progress.update(task, total=1, completed=1)
                progress.advance(overall)

        with ThreadPoolExecutor(max_workers=jobs) as pool:   # make and QEMU are child processes
            futures = {(name, core): pool.submit(on_core, name, core) for name in prepared for core in CORES}
            for (name, core), future in futures.items():
                try:
                    results.setdefault(name, {"prepared": prepared[name], "cores": {}})["cores"][core] = future.result()
                except Exception as exc:
                    errors[name] = f"{core}: {_describe(exc)}"
    for name in errors:
        results.pop(name, None)
    return results, errors


@contextlib.contextmanager
def _quiet_stderr():
    """Send file descriptor 2 (C++ and Python logging) to a temporary file; yields a function that
    returns what was written there. The progress display writes to its own copy of the descriptor."""
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield lambda: (sink.seek(0), sink.read().decode(errors="replace"))[1]
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def _describe(exc: Exception) -> str:
    from tinyctl.models.errors import ModelsError

    if isinstance(exc, ModelsError):  # TinyctlError too: it extends ModelsError
        return " ".join(str(exc).split())
    return " ".join(traceback.format_exception_only(exc)[-1].split())


# --- the tables ---------------------------------------------------------------------------------

def _n(value) -> str:
    return f"{value:,}" if value is not None else "n/a"


def _ratio(a, b, digits: int = 2) -> str:
    return f"{a / b:.{digits}f}" if a is not None and b else "n/a"


def _table(header: list[str], rows: list[list[str]], align: str) -> list[str]:
    """align: 'l' or 'r' per column."""
    assert len(align) == len(header) and all(len(row) == len(header) for row in rows)
    rule = ["---" if a == "l" else "---:" for a in align]
    return ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |",
            *("| " + " | ".join(row) + " |" for row in rows)]


def render(results: dict, errors: dict, names: list[str], golden: int, seed: int, elapsed: float) -> str:
    boards = {core: resolve_board(board) for core, board in CORES.items()}
    cores = list(CORES)
    lines = ["# tinyctl engine benchmarks", "",
             f"Generated by `benchmarks/run_benchmarks.py` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC "
             f"in {elapsed:.0f} s. Cores: " + "; ".join(
                 f"{core} = {b.name} ({b.core}, QEMU `{b.qemu_machine}`)" for core, b in boards.items()) +
             f". Instructions are counted by QEMU's TCG plugin over `model_invoke`, averaged over the self-test's "
             f"{golden} seeded random int8 inputs (seed {seed}); see benchmarks/README.md for every column.", ""]
    done = [n for n in names if n in results]

    lines += ["## Summary", ""]
    rows = []
    for name in done:
        r, p = results[name], results[name]["prepared"]
        macs = p.macs["total"]
        per_core = [r["cores"][c]["instructions"] for c in cores]
        flash = r["cores"]["M4"]["flash"]
        arena_mark = " †" if p.tflm_arena_note else ""
        rows.append([name, _n(macs), *(_n(i) for i in per_core), *(_ratio(i, macs) for i in per_core),
                     _n(p.plan.peak_bytes), _n(p.tflm_arena) + arena_mark, _ratio(p.plan.peak_bytes, p.tflm_arena),
                     _n(p.arena_bound), _ratio(p.plan.peak_bytes, p.arena_bound),
                     _n(r["cores"]["M4"]["sizes"]["ram_bytes"]), _n(flash["total"]), _n(flash["model"]),
                     _n(len(p.model.tflite)), _ratio(flash["model"], len(p.model.tflite)),
                     _n(flash["kernels"] + flash["runtime"])])
    header = ["model", "MACs", *(f"instr/inf {c}" for c in cores), *(f"instr/MAC {c}" for c in cores),
              "arena (ours) B", "arena TFLM B", "arena ours/TFLM", "arena bound B", "arena ours/bound",
              "firmware RAM B", "firmware flash B", "model code+weights B", ".tflite B", "model/.tflite",
              "kernels+runtime B"]
    lines += _table(header, rows, "l" + "r" * (len(header) - 1))   # two columns per core

    notes = [f"† {name}: {results[name]['prepared'].tflm_arena_note}" for name in done
             if results[name]["prepared"].tflm_arena_note]
    lines += ["", "RAM and flash figures are the M4 firmware's (the M7 build differs by a few bytes); "
              "`firmware RAM` is data + bss with the arena and the 4 KiB stack, `firmware flash` includes the "
              "self-test's golden data, which a deployment leaves out.", *(["", *notes] if notes else [])]

    lines += ["", "## Per op type", "",
              "Instructions per MAC for the MAC ops, per output element for ADD, summed over all layers of "
              "that type; `other ops` is the share of the model's instructions spent in every other op.", ""]
    rows = []
    for name in done:
        for core in cores:
            ops = results[name]["cores"][core]["ops"]
            total = sum(o["instructions"] for o in ops.values())
            cells = [_ratio(ops[op]["instructions"], ops[op]["macs"]) if op in ops else "–" for op in MAC_OPS]
            cells += [_ratio(ops[op]["instructions"], ops[op]["elements"], 1) if op in ops else "–"
                      for op in ELEMENT_OPS]
            other = sum(o["instructions"] for op, o in ops.items() if op not in (*MAC_OPS, *ELEMENT_OPS))
            other_names = ", ".join(sorted(op for op in ops if op not in (*MAC_OPS, *ELEMENT_OPS)))
            rows.append([name, core, *cells, f"{100 * other / total:.1f} %" if total else "n/a", other_names or "–"])
    lines += _table(["model", "core", *(f"{op} instr/MAC" for op in MAC_OPS),
                     *(f"{op} instr/elem" for op in ELEMENT_OPS), "other ops", "other op types"], rows, "llrrrrrl")

    lines += ["", "## Against TFLite-Micro + CMSIS-NN on Cortex-M4", "",
              "Published figures for TFLite-Micro with CMSIS-NN kernels on a Cortex-M4 beside ours on the M4 "
              "(`ours/ref` above 1 means we execute more instructions).", ""]
    rows = []
    for name, ref in REFERENCE_INSTR_PER_MAC.items():
        ours = (results[name]["cores"]["M4"]["instructions"] / results[name]["prepared"].macs["total"]
                if name in results else None)
        rows.append([f"{name}: whole model, instr/MAC", f"{ref}", f"{ours:.2f}" if ours else "n/a", _ratio(ours, ref)])
    dw = _op_rate(results, "mobilenet_v1_025", "DEPTHWISE_CONV_2D", "macs")
    rows.append(["mobilenet_v1_025: DEPTHWISE_CONV_2D, instr/MAC",
                 f"{REFERENCE_DEPTHWISE[0]}–{REFERENCE_DEPTHWISE[1]}",
                 f"{dw:.2f}" if dw else "n/a", _ratio(dw, sum(REFERENCE_DEPTHWISE) / 2)])
    add = _op_rate(results, "resnet8", "ADD", "elements")
    rows.append(["resnet8: int8 residual ADD, instr/element", f"~{REFERENCE_ADD_PER_ELEMENT}",
                 f"{add:.1f}" if add else "n/a", _ratio(add, REFERENCE_ADD_PER_ELEMENT)])
    code = max((r["cores"]["M4"]["flash"]["kernels"] + r["cores"]["M4"]["flash"]["runtime"] for r in results.values()),
               default=None)
    rows.append(["runtime + kernel code, bytes (ours: the largest kernels+runtime above)",
                 f"~{_n(REFERENCE_RUNTIME_CODE)}", _n(code), _ratio(code, REFERENCE_RUNTIME_CODE)])
    lines += _table(["figure", "TFLM+CMSIS-NN M4 (ref)", "tinyctl M4", "ours/ref"], rows, "lrrr")
    lines += ["", "The ratio for the depthwise row is against the middle of the published range."]

    lines += _estimated_cycles(results, boards)
    lines += ["", "## Models", ""]
    lines += [f"- `{name}`: {results[name]['prepared'].model.origin}" for name in done]
    if errors:
        lines += ["", "## Failed", "", *(f"- `{name}`: {text}" for name, text in errors.items())]
    return "\n".join(lines) + "\n"


def _estimated_cycles(results: dict, boards: dict) -> list[str]:
    """Estimated cycles on the M4 beside MLPerf Tiny's best silicon results, per reference model."""
    m4, m7 = boards["M4"], boards["M7"]
    model = next((r["cores"]["M4"]["cycle_model"] for r in results.values()), None)
    lines = ["", "## Estimated cycles against the best silicon (MLPerf Tiny)", "",
             f"Estimated cycles per inference on the M4 ({m4.name}): the instruction classes counted in QEMU "
             f"times the {model['source'] if model else 'Cortex-M4 TRM'} cycles, plus {m4.flash_wait_states} flash "
             "wait states per flash line opened by data reads (benchmarks/README.md, toolchain/cycle_model.py). "
             "An estimate, not a measurement. The silicon column is MLPerf Tiny's best published result on "
             "silicon (issue 16's table; cycles = latency x clock), three of them on the same NUCLEO-L4R5ZI at 120 MHz. "
             f"The M7 columns ({m7.name}) use the single-issue model with no dual-issue credit.", ""]
    rows = []
    for name, (cycles, system) in BEST_SILICON.items():
        ours = results[name]["cores"] if name in results else {}
        m4_run, m7_run = ours.get("M4", {}), ours.get("M7", {})
        estimate = m4_run.get("estimated_cycles")
        rows.append([name, _n(m4_run.get("instructions")), _n(estimate), _ms(m4_run.get("estimated_ms")),
                     _n(m7_run.get("estimated_cycles")), _ms(m7_run.get("estimated_ms")),
                     f"{cycles / 1e6:.2f} M", system, _ratio(estimate, cycles, 3)])
    return lines + _table(["model", "instructions M4", "estimated cycles M4", f"est. ms at {m4.clock_hz / 1e6:.0f} MHz",
                           "estimated cycles M7", f"est. ms at {m7.clock_hz / 1e6:.0f} MHz",
                           "best silicon cycles", "best silicon system", "est. ours M4/silicon"], rows, "lrrrrrrlr")


def _ms(value) -> str:
    return f"{value:.2f}" if value is not None else "n/a"


def _op_rate(results: dict, name: str, opcode: str, unit: str) -> float | None:
    ops = results.get(name, {}).get("cores", {}).get("M4", {}).get("ops", {})
    return ops[opcode]["instructions"] / ops[opcode][unit] if opcode in ops and ops[opcode][unit] else None


def raw(results: dict, errors: dict) -> dict:
    """The measurements as JSON-friendly data (--json)."""
    out = {}
    for name, r in results.items():
        p: Prepared = r["prepared"]
        out[name] = {"origin": p.model.origin, "tflite_bytes": len(p.model.tflite), "macs": p.macs["total"],
                     "macs_by_opcode": p.macs["by_opcode"], "arena_bytes": p.plan.peak_bytes,
                     "arena_lower_bound_bytes": p.arena_bound,
                     "tflm_arena_bytes": p.tflm_arena, "tflm_arena_note": p.tflm_arena_note, "cores": r["cores"]}
    return {"results": out, "errors": errors}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog=f"models: {', '.join(MODELS)}")
    parser.add_argument("models", nargs="*", metavar="MODEL", help="models to benchmark (default: all)")
    parser.add_argument("--out", metavar="FILE", help="write the markdown tables to FILE (default: print them)")
    parser.add_argument("--json", metavar="FILE", help="also write the raw measurements as JSON")
    parser.add_argument("--work", metavar="DIR", default=str(REPO_ROOT / "build" / "benchmarks"),
                        help="build directories go here (default: build/benchmarks)")
    parser.add_argument("--golden", type=int, default=4, metavar="N",
                        help="self-test inputs per firmware, instructions are their mean (default 4)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the reference models and inputs (default 0)")
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1),
                        help="boards built and run at once (default: CPUs, at most 4)")
    parser.add_argument("--rebuild-detector", action="store_true",
                        help="build the default detector afresh instead of reusing an existing build")
    args = parser.parse_args(argv)
    names = args.models or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODELS)}")
    if args.golden < 1:
        parser.error("--golden must be at least 1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    console = Console(file=os.fdopen(os.dup(2), "w", buffering=1))   # stays visible while fd 2 is quieted
    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    results, errors = run(names, work, args.golden, args.seed, max(1, args.jobs), args.rebuild_detector, console)
    text = render(results, errors, names, args.golden, args.seed, time.perf_counter() - start)
    if args.json:
        Path(args.json).write_text(json.dumps(raw(results, errors), indent=1, default=str) + "\n")
    if args.out:
        Path(args.out).write_text(text)
        console.print(f"wrote {args.out} ({len(results)} models, {len(errors)} failed) "
                      f"in {time.perf_counter() - start:.0f} s")
    else:
        print(text, end="")
    for name, error in errors.items():
        console.print(f"[red]{name} failed:[/red] {error}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
