"""Where a study's outputs live: one folder per study under ``results/``, named after its config.

Every output, log, benchmark and figure of a run goes under ``results/<study>/``, so studies run
from one checkout coexist and can be compared (``tools/studies.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from mismatch.errors import InputError
from mismatch.questions.sources import cluster_plural
from mismatch.study_state import MARKER, read_marker

RESULTS_ROOT = "results"
DEFAULT_STUDY = "default"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def study_name(
    configfiles: Iterable[str | Path],
    command_line: Mapping[str, Any] | None,
    repo: str | Path,
) -> str:
    """The study's name: ``--config study=NAME``, else the ``study`` key written in the last
    config file itself (not inherited through ``extends:``: a config that extends another is
    another study), else that file's stem; the embedded default (``<repo>/config.yaml``) is
    ``default``."""
    files = [Path(f) for f in configfiles]
    name = (command_line or {}).get("study")
    if name is None and files:
        last = files[-1]
        own = yaml.safe_load(last.read_text()) if last.is_file() else None
        if isinstance(own, dict) and own.get("study") is not None:
            name = own["study"]
        elif last.resolve() == (Path(repo) / "config.yaml").resolve():
            name = DEFAULT_STUDY
        else:
            name = last.stem
    name = DEFAULT_STUDY if name is None else str(name)
    if not _NAME.match(name):
        raise InputError(
            "study",
            f"{name!r} is not a folder name (letters, digits, '.', '_' and '-'; no leading '.')",
        )
    return name


def study_dir(name: str) -> str:
    """The folder (relative to the working directory) that holds every output of study ``name``."""
    return f"{RESULTS_ROOT}/{name}"


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _pts(value: float) -> str:
    return f"{100 * value:+.1f}"


def headline_line(headline: Mapping[str, Any], unit: str = "person") -> str:
    """The primary contrast in one plain line (from the summary's ``headline.json``); ``unit``
    names the clusters (``mismatch.questions.sources.cluster_unit``)."""
    p = headline["primary"]
    units = cluster_plural(unit)
    return (
        f"{p['student']} fine-tuned on {p['treatment']}'s answers vs its own ({p['control']}): "
        f"wrong {_pct(p['treatment_rate'])} vs {_pct(p['control_rate'])}, difference "
        f"{_pts(p['estimate'])} [{_pts(p['low'])}, {_pts(p['high'])}] points "
        f"(95% interval resampling {units} and seed runs; {p['n_questions']} test questions, "
        f"{p['n_persons']} {units}, {p['k_worlds']} world(s))"
    )


def run_epilogue(folder: str | Path, unit: str = "person") -> str:
    """What the end of a run prints: the headline and where the full text, tables, figures and
    report are, each only where it exists (a run of a partial target names what it wrote);
    ``unit`` names the clusters."""
    folder = Path(folder)
    summary = folder / "summary"
    complete = (summary / "summary.md").is_file()
    if complete:
        lines = [f"Study `{folder.name}` finished: everything it wrote is under {folder}/"]
    else:
        lines = [
            f"Run of study `{folder.name}` done; its summary is not built yet (the study's "
            f"default target builds it). What it wrote is under {folder}/"
        ]
    try:
        lines.append(
            "  Headline: "
            + headline_line(json.loads((summary / "headline.json").read_text()), unit)
        )
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no summary (a partial target) or not a headline
    if complete:
        lines.append(f"  Full summary: {summary / 'summary.md'}")
    tables = sorted(summary.glob("*.csv")) if summary.is_dir() else []
    if tables:
        labels = summary / "labels.parquet"
        known = f" (per-question labels: {labels})" if labels.is_file() else ""
        lines.append(f"  Tables:       {summary}/*.csv{known}")
    figures = folder / "figures"
    if figures.is_dir() and any(figures.glob("*.png")):
        lines.append(f"  Figures:      {figures}/")
    if complete:
        lines.append(
            f"  HTML report:  snakemake --report {folder / 'report.html'} "
            "(and the run's --configfile)"
        )
    lines.append("  All studies:  .venv/bin/python tools/studies.py list")
    return "\n".join(lines)


@dataclass(frozen=True)
class StudyRecord:
    """One study folder under ``results/``: its name, whether its summary exists, its headline,
    and its state (finished, published, failed, running, unfinished)."""

    name: str
    folder: Path
    finished: bool
    headline: dict[str, Any] | None
    state: str = "unfinished"


def study_state(folder: Path, finished: bool, published: bool) -> str:
    """A study folder's state: ``published`` (a run.json under docs/results names its config),
    ``finished`` (its summary table exists), else how its last run ended by the marker the
    workflow writes (``failed``, ``running``), else ``failed`` for a folder holding only logs."""
    if published:
        return "published"
    if finished:
        return "finished"
    marker = read_marker(folder)
    if marker is not None and marker.get("state") in ("failed", "running"):
        return str(marker["state"])
    if (folder / "logs").is_dir() and not any(folder.glob("w*")):
        return "failed"
    return "unfinished"


def list_studies(
    root: str | Path = RESULTS_ROOT, published: Iterable[str] = ()
) -> list[StudyRecord]:
    """Every study folder under ``root``, by name (a folder counts once it holds a world, a
    summary, logs or the workflow's marker); ``published`` names the published studies."""
    records = []
    published = set(published)
    for folder in (
        sorted(p for p in Path(root).iterdir() if p.is_dir()) if Path(root).is_dir() else []
    ):
        if folder.name.startswith("."):
            continue
        if not any((folder / sub).exists() for sub in ("summary", "logs", MARKER)) and not any(
            folder.glob("w*")
        ):
            continue
        headline_file = folder / "summary" / "headline.json"
        try:
            headline = json.loads(headline_file.read_text()) if headline_file.is_file() else None
        except ValueError:
            headline = None
        finished = (folder / "summary" / "summary.csv").is_file()
        state = study_state(folder, finished, folder.name in published)
        records.append(StudyRecord(folder.name, folder, finished, headline, state))
    return records


def comparison_table(folders: Iterable[str | Path]) -> pd.DataFrame:
    """Correct, wrong and abstain rate (with intervals) of every (student, recipe) of each
    study, one row each, read from the studies' ``summary/summary.csv``."""
    columns = ["student", "recipe", "n", "n_worlds"] + [
        f"{m}{s}"
        for m in ("correct_rate", "wrong_rate", "abstain_rate")
        for s in ("", "_low", "_high")
    ]
    frames = []
    for folder in folders:
        path = Path(folder) / "summary" / "summary.csv"
        if not path.is_file():
            raise InputError(str(path), "no summary table: has this study finished?")
        table = pd.read_csv(path)
        frames.append(table[columns].assign(study=Path(folder).name))
    return pd.concat(frames, ignore_index=True)[["study", *columns]]
