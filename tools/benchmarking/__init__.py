"""The benchmark tool's modules (tools/benchmark.py is the command): targets and pure helpers,
measured processes, the study end to end, micro-benchmarks, reports, publishing."""
