"""Where and with what a run was made, recorded by the summary (``results/summary``)."""

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


def run_environment(threads: int) -> dict[str, object]:
    """Where and with what a run was made: Python, platform, CPU model and count, the threads
    each job was given, package versions and the code's git commit."""
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
        "packages": versions,
        "git_commit": git_commit(os.path.dirname(__file__)),
    }
