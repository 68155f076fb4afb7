"""Measuring a study end to end: its run, its baseline's, the labels compared, a rerun, planning."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from mismatch.studies import study_dir, study_name
from tools.benchmarking.common import NOTHING_TO_DO, ROOT, planned_job_count, stage_table
from tools.benchmarking.processes import Measured, check_ran, run_measured, snakemake_command


def load_study_config(configfile: Path) -> dict[str, Any]:
    """The config as the workflow sees it (``rules/common.smk``): checked against the schema with
    one-line errors, schema defaults filled in, sweeps expanded, cross-key checks run."""
    from snakemake.utils import validate

    from mismatch.configuration import (
        check_config,
        check_sizes,
        expand_sweeps,
        load_layered,
        schema_error,
    )
    from mismatch.errors import InputError

    schema = ROOT / "schemas" / "config.schema.yaml"
    try:
        config = load_layered(configfile)  # with its `extends:` layers, as the workflow reads it
    except (OSError, yaml.YAMLError) as exc:
        raise SystemExit(f"{configfile}: not a readable YAML config ({exc})") from None
    except InputError as exc:
        raise SystemExit(f"{configfile}: invalid config: {exc}") from None
    problem = schema_error(config, schema)
    if problem:
        raise SystemExit(f"{configfile}: invalid config: {problem}")
    validate(config, str(schema))
    expand_sweeps(config)
    try:
        check_config(config, str(configfile))
        check_sizes(config)
    except InputError as exc:
        raise SystemExit(f"{configfile}: invalid config: {exc}") from None
    return config


def startup_seconds(log_dir: Path) -> list[float]:
    """Start-up CPU seconds of every job process, from the ``start-up:`` line of each job log."""
    from mismatch.joblog import STARTUP_MARK

    pattern = re.compile(rf"\] {re.escape(STARTUP_MARK)} ([0-9.]+) s CPU")
    found = []
    for log in sorted(Path(log_dir).rglob("*.log")) if Path(log_dir).is_dir() else []:
        with open(log) as handle:
            for line in handle:
                match = pattern.search(line)
                if match:
                    found.append(float(match.group(1)))
                    break
    return found


@dataclass(frozen=True)
class RunLayout:
    """Where a run's outputs, job logs and benchmarks are: all under ``results/<study>/`` (this
    revision), or ``results/``, ``logs/`` and ``benchmarks/`` of the working directory (a
    baseline revision from before per-study folders)."""

    outputs: Path
    logs: Path
    benchmarks: Path


def run_layout(workdir: Path, configfile: Path, repo: Path = ROOT) -> RunLayout:
    """The layout of the run of ``configfile`` by ``repo``'s workflow in ``workdir``."""
    study = workdir / study_dir(study_name([configfile], None, repo))
    if study.is_dir():
        return RunLayout(study, study / "logs", study / "benchmarks")
    return RunLayout(workdir / "results", workdir / "logs", workdir / "benchmarks")


def measure_study(workdir: Path, configfile: Path, repo: Path = ROOT) -> dict[str, Any]:
    """Run the whole study of ``repo`` in ``workdir``: wall, CPU and peak memory of the process
    tree; job processes started and their start-up CPU time (where the jobs record it)."""
    measured = run_measured(snakemake_command(workdir, configfile, repo=repo))
    check_ran(measured, f"the study ({repo})")
    layout = run_layout(workdir, configfile, repo)
    return {"repo": str(repo), "workdir": str(workdir), **study_numbers(layout, measured)}


def study_numbers(layout: RunLayout, measured: Measured | None) -> dict[str, Any]:
    """Processes and start-up of a run (and the run's own cost when measured)."""
    jobs = int(stage_table(layout.benchmarks)["jobs"].sum())
    startups = startup_seconds(layout.logs)
    numbers: dict[str, Any] = {
        "python_processes": jobs + 1,  # one per job (every rule runs a script) + Snakemake
        "jobs": jobs,
        "startup_recorded": len(startups),
        "startup_cpu_s": sum(startups) if startups else None,
        "startup_cpu_per_process_s": sum(startups) / len(startups) if startups else None,
    }
    if measured is not None:
        numbers.update(
            wall_s=measured.wall_s,
            cpu_s=measured.cpu_s,
            peak_tree_rss_mib=measured.peak_tree_rss_mib,
            peak_process_rss_mib=measured.peak_process_rss_mib,
            startup_share=(sum(startups) / measured.cpu_s) if startups else None,
        )
        if numbers["startup_share"] is not None:
            numbers["startup_share_pct"] = 100 * numbers["startup_share"]
    return numbers


def label_files(outputs: Path) -> list[str]:
    """Every labels file of a run, relative to its outputs folder."""
    return sorted(str(p.relative_to(outputs)) for p in outputs.glob("w*/labels/*/*/ft*.parquet"))


def compare_labels(new: Path, old: Path) -> dict[str, Any]:
    """How many labels files two runs share, and which differ (``DataFrame.equals``)."""
    files = label_files(new)
    differ = [
        f
        for f in files
        if not (old / f).is_file() or not pd.read_parquet(new / f).equals(pd.read_parquet(old / f))
    ]
    return {
        "files": len(files),
        "missing_in_baseline": len(set(files) - set(label_files(old))),
        "differ": differ,
        "identical": bool(files) and not differ and set(files) == set(label_files(old)),
    }


def measure_baseline(rev: str, configfile: Path, scratch: Path) -> dict[str, Any]:
    """The study as revision ``rev`` runs it, in a git worktree of this repository under
    ``scratch``; its config file is the one at ``configfile``'s path in that revision."""
    tree = scratch / "baseline-repo"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev],
        check=True,
        capture_output=True,
        text=True,
    )
    try:
        commit = subprocess.run(
            ["git", "-C", str(tree), "rev-parse", "HEAD"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        config = configfile.resolve()
        if config.is_relative_to(ROOT):  # the revision's own version of the config
            config = tree / config.relative_to(ROOT)
        result = measure_study(scratch / "baseline-work", config, repo=tree)
        return {"rev": rev, "commit": commit, **result}
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
            check=False,
            capture_output=True,
        )


def ratios(new: dict[str, Any], old: dict[str, Any]) -> dict[str, float]:
    """new/old for wall time, CPU time and processes started."""
    return {
        key: new[key] / old[key]
        for key in ("wall_s", "cpu_s", "python_processes")
        if new.get(key) and old.get(key)
    }


def measure_planning(grid: Path, scratch: Path) -> dict[str, Any]:
    """Wall time of ``snakemake -n`` on the grid config (nothing runs)."""
    measured = run_measured(snakemake_command(scratch, grid, "-n"))
    check_ran(measured, f"planning {grid}")
    return {
        "config": str(grid.relative_to(ROOT)),
        "jobs": planned_job_count(measured.output),
        "wall_s": measured.wall_s,
    }


def measure_rerun(workdir: Path, configfile: Path) -> dict[str, Any]:
    """Wall time of ``snakemake --cores 2`` on a completed run, which should have nothing to do.

    If it did work (e.g. a library file changed since the run), the time is not a rerun time:
    it is left out and the first reason Snakemake gave is kept instead.
    """
    measured = run_measured(snakemake_command(workdir, configfile))
    check_ran(measured, "the rerun")
    if NOTHING_TO_DO in measured.output:
        return {"wall_s": measured.wall_s, "nothing_to_do": True}
    reason = re.search(r"^\s*reason: (.*)$", measured.output, re.M)
    return {
        "did_work_s": measured.wall_s,
        "nothing_to_do": False,
        "reason": reason.group(1) if reason else "unknown",
    }


def job_phases(log_dir: Path) -> dict[str, float]:
    """Seconds the student jobs spent fine-tuning (from each unit's 'fine-tuning on' line to its
    last step) and the rest (loading, labelling the test questions), from their job logs."""
    from mismatch.joblog import fine_tuning_seconds

    tuning = total = 0.0
    for log in sorted(Path(log_dir).rglob("finetune_and_label/**/*.log")):
        unit_tuning, job = fine_tuning_seconds(log.read_text(errors="replace"))
        tuning, total = tuning + unit_tuning, total + job
    return {"fine_tuning_s": tuning, "other_s": total - tuning, "jobs_s": total}
