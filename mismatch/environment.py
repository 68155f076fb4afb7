"""Where and with what a run was made, recorded by the analysis (``results/<study>/summary``)."""

from __future__ import annotations

import os
import platform
from importlib import metadata

from mismatch.provenance import git_commit

RUN_PACKAGES = (
    "torch",
    "transformers",
    "peft",
    "snakemake",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
)


def cpu_model() -> str:
    """The processor's model name (``/proc/cpuinfo``), or what ``platform`` knows."""
    cpuinfo = "/proc/cpuinfo"
    if os.path.exists(cpuinfo):
        with open(cpuinfo) as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "OPENBLAS_CORETYPE",
)


def blas_library() -> str:
    """numpy's BLAS (name, version and build configuration): results that go through it can
    differ in the last digits between BLAS builds and processors."""
    import numpy as np

    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    detail = blas.get("openblas configuration") or blas.get("version", "")
    return f"{blas.get('name', 'unknown')} {detail}".strip()


def run_environment(threads: int) -> dict[str, object]:
    """Where and with what a run was made: Python, platform, CPU model and count, the threads
    each job was given, the BLAS library and the thread variables that steer it, package
    versions and the code's git commit."""
    versions = {}
    for name in RUN_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "threads_per_job": threads,
        "blas": blas_library(),
        "thread_variables": {name: os.environ.get(name) for name in THREAD_VARIABLES},
        "packages": versions,
        "git_commit": git_commit(os.path.dirname(__file__)),
    }
