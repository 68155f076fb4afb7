"""A published run's record and files: its wall time from the Snakemake logs, the line naming
its config and machine, the runs it replaced, and copying its summary files (the registry's
``published`` pages, ``mismatch.analysis.outputs``) and gathered inputs."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime
from pathlib import Path

import pandas as pd

from mismatch.analysis.confirmation import primary_contrast
from mismatch.analysis.outputs import published_files
from mismatch.publishing.site import END, START
from mismatch.report.formatting import format_points

_STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$", re.M)


def run_wall_seconds(study: Path) -> float:
    """Wall time of the study's run: for each Snakemake invocation that did work for it (a log
    under the working directory's .snakemake/log/ that names the study's folder), its last
    timestamp minus its first, summed."""
    study = study.resolve()
    workdir, marker = study.parents[1], f"{study.parent.name}/{study.name}/"
    total = 0.0
    for log in sorted((workdir / ".snakemake" / "log").glob("*.snakemake.log")):
        text = log.read_text()
        if marker not in text:
            continue  # another study's run from the same checkout
        stamps = [
            datetime.strptime(" ".join(s.split()), "%a %b %d %H:%M:%S %Y")
            for s in _STAMP.findall(text)
        ]
        if len(stamps) >= 2:
            total += (stamps[-1] - stamps[0]).total_seconds()
    if total <= 0:
        raise SystemExit(f"{workdir}: no Snakemake log of {marker} with job timestamps")
    return total


def run_figures(study: Path) -> list[Path]:
    """The figures the study's run drew (its own folder holds no others)."""
    return sorted((study / "figures").glob("*.png"))


def run_line(run: dict[str, object], env: dict[str, object]) -> str:
    """Which config produced the findings, and how long it took where."""
    line = (
        f"Run: `{run['config']}`, wall time {float(run['wall_s']) / 60:.0f} min on "
        f"{env['cpus']} CPUs ({env['cpu']}), {env['threads_per_job']} thread(s) per job."
    )
    return f"{line} {run['note']}" if run.get("note") else line


def readme_with(block: str, readme: str, start: str = START, end: str = END) -> str:
    """The README text with its block between ``start`` and ``end`` replaced."""
    head, rest = readme.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{block}{end}{tail}"


def replaced_runs(destination: Path) -> list[dict[str, object]]:
    """The runs published in ``destination`` before the one about to replace them: the earlier
    record's own list plus its primary estimate ("these worlds") and commit, so that a replaced
    run stays disclosed beside its successor."""
    if not (destination / "contrasts.csv").exists():
        return []
    record = json.loads((destination / "run.json").read_text())
    contrast = primary_contrast(pd.read_csv(destination / "contrasts.csv"))
    commit = json.loads((destination / "environment.json").read_text()).get("git_commit")
    return [
        *record.get("earlier", []),
        {
            "commit": str(commit)[:12],
            "estimate": float(contrast["estimate"]),
            "low": float(contrast["low"]),
            "high": float(contrast["high"]),
        },
    ]


def replaced_sentence(run: dict[str, object]) -> str:
    """The sentence disclosing the runs a published run replaced (empty without any)."""
    earlier = run.get("earlier") or []
    if not earlier:
        return ""
    shown = "; ".join(
        f"{format_points(e['estimate'], e['low'], e['high'])} (commit {e['commit']})"
        for e in earlier
    )
    return (
        f" It replaces the run(s) published before with the same config, which gave {shown}: "
        "the same design rerun on later code and possibly another machine (docs/statistics.md, "
        "what is bit-identical)."
    )


def note_clause(run: dict[str, object]) -> str:
    """A run record's note (e.g. that the machine was shared), as a clause."""
    return f"; {run['note']}" if run.get("note") else ""


def refuse_dirty_run(study: Path) -> None:
    """Publishing needs a run whose code is a commit: one made from a tree with uncommitted
    changes (environment.json's git_commit ends in -dirty) cannot be reproduced."""
    environment = json.loads((study / "summary" / "environment.json").read_text())
    commit = str(environment.get("git_commit"))
    if commit.endswith("-dirty") or commit == "None":
        raise SystemExit(
            f"{study}: the run's code is {commit}, not a commit; commit the change, rerun the "
            "analysis (snakemake ... results/<study>/summary/summary.md), then publish"
        )


def publish_inputs(study: Path, destination: Path) -> None:
    """Copy the gathered inputs the study's tables were computed from (every labelled answer,
    the test questions, sets, losses, probes) and its knowledge table, so anyone can recompute
    the published tables (tools/recompute_tables.py)."""
    shutil.rmtree(destination / "inputs", ignore_errors=True)
    shutil.copytree(study / "summary" / "inputs", destination / "inputs")
    shutil.copy2(study / "summary" / "knowledge.csv", destination / "knowledge.csv")


def copy_published(study: Path, destination: Path, page: str) -> None:
    """Copy the summary files ``page`` publishes (``mismatch.analysis.outputs``) from the run
    into ``destination``: each table where the run has it (else an earlier run's copy is
    removed), and the page's records."""
    tables, records = published_files(page)
    for name in tables:
        source = study / "summary" / name
        if source.exists():
            shutil.copy2(source, destination / name)
        else:
            (destination / name).unlink(missing_ok=True)
    for name in records:
        source = study / "summary" / name
        if not source.exists():
            raise SystemExit(f"{source}: missing; the {page} page publishes it: rerun the summary")
        shutil.copy2(source, destination / name)
