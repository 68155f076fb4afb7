"""A study folder's marker and state: what the workflow wrote, and what the tools may delete.

The workflow writes ``results/<study>/.mismatch-study.json`` when a run starts (``onstart``) and
records there how the run ended (``onsuccess``, ``onerror``). ``tools/studies.py`` lists a study's
state from it and deletes only a folder that holds it, directly under the checkout's results root.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mismatch.errors import InputError

MARKER = ".mismatch-study.json"
STATES = ("running", "finished", "failed")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_marker(folder: str | Path) -> dict[str, Any] | None:
    """The marker of a study folder, or None where the workflow never wrote one (or it is not
    JSON)."""
    path = Path(folder) / MARKER
    try:
        marker = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) and "study" in marker else None


def write_marker(folder: str | Path, study: str, state: str, **fields: Any) -> Path:
    """Write (atomically) the marker of study ``study`` in ``folder`` with ``state``, keeping the
    fields an earlier write recorded (the start time); returns its path."""
    if state not in STATES:
        raise ValueError(f"state {state!r} is not one of {STATES}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    marker = read_marker(folder) or {}
    if state == "running":
        marker = {"started": _now()}
    marker.update(fields, study=study, state=state, updated=_now())
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f"{MARKER}.", suffix=".tmp")
    with os.fdopen(handle, "w") as stream:
        json.dump(marker, stream, indent=2, sort_keys=True)
    os.replace(temporary, folder / MARKER)
    return folder / MARKER


def published_studies(results_dirs: Iterable[str | Path]) -> set[str]:
    """The study names of published runs: each ``run.json`` under ``docs/results`` names the
    config it ran (its stem is the study; ``config.yaml`` is ``default``)."""
    names = set()
    for folder in results_dirs:
        for run in Path(folder).rglob("run.json"):
            try:
                config = json.loads(run.read_text()).get("config")
            except (OSError, ValueError, AttributeError):
                continue
            if isinstance(config, str) and config:
                stem = Path(config).stem
                names.add("default" if stem == "config" else stem)
    return names


def deletable_study(results_root: str | Path, root: str | Path, name: str) -> Path:
    """The folder of study ``name`` under ``root``, once it is certain to be a study folder the
    workflow wrote directly under ``results_root`` (the checkout's ``results/``); a one-line
    error otherwise. Links, ``..``, absolute names and other roots cannot lead elsewhere."""
    allowed = Path(results_root).resolve()
    given = Path(root)
    if given.resolve() != allowed:
        raise InputError(
            f"--root {root}",
            f"clean deletes only under this checkout's {allowed}/ (leave --root out)",
        )
    if not name or name in (".", "..") or Path(name).name != name or name.startswith("."):
        raise InputError(
            name or "''", "not a study name: give the name `studies.py list` shows (no / or ..)"
        )
    folder = allowed / name
    if folder.is_symlink() or folder.resolve().parent != allowed:
        raise InputError(str(folder), "is a link out of the results folder: remove it by hand")
    if not folder.is_dir():
        raise InputError(str(folder), "no such study folder (see `studies.py list`)")
    marker = read_marker(folder)
    if marker is None:
        raise InputError(
            str(folder),
            f"has no {MARKER}: the workflow did not write it, so clean leaves it (remove by hand)",
        )
    if marker["study"] != name:
        raise InputError(
            str(folder / MARKER), f"names study {marker['study']!r}, not {name!r}: remove by hand"
        )
    return folder


def report_requested(argv: Iterable[str]) -> bool:
    """Whether the command line asks Snakemake for the HTML report (``--report [FILE]``)."""
    return any(arg == "--report" or arg.startswith("--report=") for arg in argv)


def unfinished_report(folder: str | Path, source: str) -> str | None:
    """The one line refusing ``--report`` for a study whose summary is not built, or None."""
    summary = Path(folder) / "summary" / "summary.md"
    if summary.is_file():
        return None
    return (
        f"{summary} does not exist: the report shows a finished study; run it to the end "
        f"first (.venv/bin/snakemake --cores 2 with {source})"
    )
