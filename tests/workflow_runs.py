"""Helpers for tests that run the Snakemake workflow on a private copy of the repository."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from mismatch.configuration import load_layered, validated
from tools.benchmarking.processes import snakemake_command as benchmark_command

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW_PARTS = [
    "Snakefile",
    "rules",
    "scripts",
    "mismatch",
    "schemas",
    "envs",
    "report",
    "configs",
    "profiles",
    "slurm",
]


def copy_workflow(destination: Path) -> Path:
    """Copy the workflow and library to ``destination`` so a test may edit or touch them."""
    destination.mkdir(parents=True, exist_ok=True)
    for part in WORKFLOW_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(
                source, destination / part, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(source, destination / part)
    return destination


STUDY = "test"  # the study every test config writes to: results/test/ (unless it names another)


def write_config(path: Path, config: dict) -> Path:
    """Write ``config`` to ``path``, naming its study ``STUDY`` unless it names one, so a test's
    configs of one study (edited copies too) share one results folder whatever their file names."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"study": STUDY, **config}, sort_keys=False))
    return path


def load_config(name: str) -> dict:
    """A shipped config file with its ``extends:`` layers resolved and the schema's defaults
    filled in (a self-contained copy whose every section a test may edit)."""
    return validated(load_layered(ROOT / name))


NOTHING_TO_DO = "Nothing to be done"  # what Snakemake says when every output is up to date


@dataclass
class Run:
    returncode: int
    output: str

    @property
    def nothing_to_do(self) -> bool:
        """Snakemake's own verdict that a (dry) run has no job to run."""
        return self.returncode == 0 and NOTHING_TO_DO in self.output


def snakemake_command(repo: Path, workdir: Path, configfile: Path, *args: str) -> list[str]:
    """The command line of a 2-core Snakemake run of ``repo``'s workflow in ``workdir`` (the
    benchmark's, ``tools.benchmarking.processes.snakemake_command``)."""
    return benchmark_command(workdir, configfile, *args, repo=repo)


def snakemake(repo: Path, workdir: Path, configfile: Path, *args: str, timeout: int = 900) -> Run:
    """Run Snakemake from ``repo`` in ``workdir`` with ``configfile``; return code and output."""
    command = snakemake_command(repo, workdir, configfile, *args)
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    return Run(done.returncode, done.stdout + done.stderr)


_JOB = re.compile(r"^rule (\w+):\n(?:    .*\n)*?    wildcards: (.*)$", re.M)
_RULE = re.compile(r"^(?:local)?rule (\w+):$", re.M)


def planned_jobs(output: str) -> list[tuple[str, dict[str, str]]]:
    """(rule, wildcards) of every job a dry run lists."""
    jobs = []
    for block in re.split(r"\n(?=\[[^\]]+\]\n(?:local)?rule )", output):
        rule = _RULE.search(block)
        if not rule:
            continue
        wildcards = re.search(r"^    wildcards: (.*)$", block, re.M)
        values = (
            dict(kv.split("=", 1) for kv in wildcards.group(1).split(", ")) if wildcards else {}
        )
        jobs.append((rule.group(1), values))
    return jobs


def planned_rules(output: str) -> dict[str, int]:
    """Jobs per rule in a dry run."""
    counts: dict[str, int] = {}
    for rule, _ in planned_jobs(output):
        counts[rule] = counts.get(rule, 0) + 1
    return counts


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` (with a throwaway identity) and return its output."""
    done = subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.org", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def finished_study(base: Path, config: dict) -> tuple[Path, Path]:
    """A git repository holding the workflow and ``config`` (``study.yaml``, committed), with the
    study run to completion inside it, as an operator would: returns (repository, config file)."""
    repo = copy_workflow(base / "repo")
    configfile = write_config(repo / "study.yaml", config)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the workflow")
    run = snakemake(repo, repo, configfile, timeout=2400)  # minutes alone, more on a busy machine
    assert run.returncode == 0, run.output[-5000:]
    return repo, configfile


def nothing_to_do(run: Run) -> bool:
    """Whether a Snakemake dry run planned no job (its own words)."""
    return run.returncode == 0 and "Nothing to be done" in run.output
