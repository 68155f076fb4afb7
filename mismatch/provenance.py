"""What produced a result: library versions and the git commit of the code."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata

DISTRIBUTIONS = ("torch", "transformers", "peft", "tokenizers", "datasets", "pandas", "mismatch")


def library_versions() -> dict[str, str]:
    """Versions of Python, the model libraries and ``mismatch`` ("not installed" when absent)."""
    versions = {"python": platform.python_version()}
    for name in DISTRIBUTIONS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


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


def git_commit(path: str | os.PathLike[str] = ".") -> str | None:
    """The HEAD commit of the repository at ``path``, ``-dirty`` if tracked files changed.

    ``None`` when ``path`` is not in a git repository, has no commit yet, or git is missing.
    """
    try:
        commit = _git(path, "rev-parse", "HEAD")
        changes = _git(path, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}-dirty" if changes else commit


def _git(path: str | os.PathLike[str], *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(path), *args], capture_output=True, text=True, check=True, timeout=30
    )
    return result.stdout.strip()
