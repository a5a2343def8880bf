"""Structure-aware fuzzing of the model loaders and the build's pre-conversion checks: thousands of
mutated .tflite, .onnx and .pt files, and only tinyctl's own error may escape (benchmarks/fuzz.py runs
100,000 of them)."""

import collections

from benchmarks import fuzz
from benchmarks.fuzz_seeds import seeds

CASES = 2100


def test_the_seeds_are_models_the_checks_accept(tmp_path):
    for suffix, models in seeds().items():
        for number, data in enumerate(models):
            path = tmp_path / f"seed{number}{suffix}"
            path.write_bytes(data)
            assert fuzz.outcome(path) == (fuzz.ACCEPTED, None)


def test_a_traceback_is_caught_and_counted(tmp_path, monkeypatch):
    def crash(path):
        raise IndexError("list index out of range")

    monkeypatch.setattr(fuzz, "check_model_file", crash)
    counts, examples = fuzz.run(3, 0, tmp_path)
    assert sum(n for (_, result), n in counts.items() if result == "traceback IndexError") == 3
    assert "IndexError" in next(iter(examples.values()))


def test_mutated_models_give_only_the_projects_error(tmp_path):
    counts, examples = fuzz.run(CASES, 20, tmp_path)
    assert not examples, "\n".join(examples.values())
    by_kind = collections.defaultdict(dict)
    for (suffix, result), count in counts.items():
        by_kind[suffix][result] = count
    assert set(by_kind) == {".tflite", ".onnx", ".pt"}
    for suffix, results in by_kind.items():    # mutants reach past the first check, and the checks refuse some
        assert set(results) == {fuzz.ACCEPTED, fuzz.CLEAN}, (suffix, results)
        assert sum(results.values()) == CASES // 3
