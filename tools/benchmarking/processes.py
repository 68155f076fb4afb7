"""Running a command with its whole process tree measured (wall, CPU, peak memory, processes)."""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tools.benchmarking.common import CORES, ROOT


@dataclass(frozen=True)
class Measured:
    """A finished command: exit status, output, and what it cost (its whole process tree)."""

    returncode: int
    output: str
    wall_s: float
    cpu_s: float
    peak_tree_rss_mib: float
    peak_process_rss_mib: float


def run_measured(command: Sequence[str], interval: float = 0.2) -> Measured:
    """Run ``command``, sampling the RSS of its process tree every ``interval`` seconds.

    CPU time is that of every finished descendant (``RUSAGE_CHILDREN``); the tree's peak RSS is
    the largest sum over its processes at one sample, which can miss spikes shorter than
    ``interval``.
    """
    import psutil  # a Snakemake dependency

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_tree = peak_process = 0
    with tempfile.TemporaryFile(mode="w+") as log:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True)
        root = psutil.Process(process.pid)
        while process.poll() is None:
            sizes = []
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                tree = []
            for member in tree:
                try:
                    sizes.append(member.memory_info().rss)
                except psutil.Error:
                    continue
            if sizes:
                peak_tree = max(peak_tree, sum(sizes))
                peak_process = max(peak_process, max(sizes))
            time.sleep(interval)
        wall = time.perf_counter() - start
        log.seek(0)
        output = log.read()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    mib = 1024 * 1024
    return Measured(process.returncode, output, wall, cpu, peak_tree / mib, peak_process / mib)


def snakemake_command(workdir: Path, configfile: Path, *args: str, repo: Path = ROOT) -> list[str]:
    """The command line of a ``CORES``-core Snakemake run of ``repo``'s workflow in ``workdir``
    (the tests' runs use it too: tests/workflow_runs.py)."""
    return [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(repo / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(configfile),
        "--cores",
        str(CORES),
        *args,
    ]


def check_ran(measured: Measured, what: str) -> None:
    if measured.returncode != 0:
        tail = "\n".join(measured.output.splitlines()[-30:])
        raise RuntimeError(f"{what} failed (exit {measured.returncode}):\n{tail}")
