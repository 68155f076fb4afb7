"""Where a study's summary files are: the gathered inputs the analysis reads
(``summary/inputs/``) and the tables it writes (``summary/``; their names and files:
``mismatch.analysis.outputs``), and how to read them back.

The summary stage runs as three rules: ``gather_labels`` writes the inputs, ``analyse`` computes
every table from them (``mismatch.analysis.study_tables``), ``render_summary`` and ``plot_figures``
render
the tables alone. A published run commits the same files, so its tables can be recomputed
(``tools/recompute_tables.py``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from mismatch.analysis.outputs import TABLES
from mismatch.io import read_parquet

INPUTS = {  # gathered input -> file under summary/inputs/
    "labels": "labels.parquet",
    "questions": "questions.parquet",
    "answers": "answers.parquet",
    "recipes": "recipes.parquet",
    "losses": "losses.parquet",
    "probes": "probes.parquet",
}


def input_paths(folder: str | Path) -> dict[str, Path]:
    """The gathered inputs' files under ``folder`` (a study's ``summary/inputs`` or a published
    copy); the probes only where the study has them."""
    folder = Path(folder)
    return {
        name: folder / file
        for name, file in INPUTS.items()
        if name != "probes" or (folder / file).exists()
    }


def read_inputs(paths: Mapping[str, str | Path]) -> dict[str, pd.DataFrame]:
    """The gathered inputs, by name (``INPUTS``), from their files."""
    return {name: read_parquet(path) for name, path in paths.items()}


def table_paths(folder: str | Path) -> dict[str, Path]:
    """The analysis tables' files that ``folder`` (a study's ``summary`` or a published copy)
    holds."""
    folder = Path(folder)
    files = {name: table.file for name, table in TABLES.items()}
    return {name: folder / file for name, file in files.items() if (folder / file).exists()}


def read_table(path: str | Path) -> pd.DataFrame:
    """A table as written by the analysis; a table without rows or columns (a study without
    sweeps, say) is written as an empty file and read as an empty frame."""
    return pd.read_csv(path) if Path(path).read_text().strip() else pd.DataFrame()


def read_tables(paths: Mapping[str, str | Path], headline: str | Path) -> dict[str, Any]:
    """The analysis tables, by name, with the headline, as the renderers take them."""
    tables: dict[str, Any] = {name: read_table(path) for name, path in paths.items()}
    tables["headline"] = json.loads(Path(headline).read_text())
    return tables


def differing_tables(paths: Mapping[str, str | Path], tables: Mapping[str, Any]) -> list[str]:
    """The files among ``paths`` whose CSV text differs from the recomputed table's (written as
    the analyse rule writes it), or that it has no table for."""
    differing = []
    for name, path in paths.items():
        table = tables.get(name)
        if table is None or Path(path).read_text() != table.to_csv(index=False):
            differing.append(Path(path).name)
    return differing
