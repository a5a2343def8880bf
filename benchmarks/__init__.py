"""tinyctl's engine benchmarks: the MLPerf Tiny reference models and the default detector, built for
Cortex-M4 and Cortex-M7 and measured under QEMU (see README.md; run benchmarks/run_benchmarks.py)."""
