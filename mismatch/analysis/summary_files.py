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


# Recomputed numbers may differ from the published ones in the last bits where a fit's BLAS
# kernel differs between machines (seen: 1e-17 in dose_response.csv); anything larger differs.
RELATIVE_TOLERANCE = 1e-9
ABSOLUTE_TOLERANCE = 1e-12


def differing_tables(paths: Mapping[str, str | Path], tables: Mapping[str, Any]) -> list[str]:
    """The files among ``paths`` whose content differs from the recomputed table's (written as
    the analyse rule writes it), or that it has no table for. Text must match exactly, except
    numbers, which may differ by floating-point rounding (``RELATIVE_TOLERANCE``)."""
    differing = []
    for name, path in paths.items():
        table = tables.get(name)
        if table is None or not _same_table(Path(path), table.to_csv(index=False)):
            differing.append(Path(path).name)
    return differing


def _same_table(path: Path, recomputed_csv: str) -> bool:
    """The CSV file holds the recomputed table: the same text, or the same cells with numbers
    equal up to rounding."""
    import io

    import numpy as np

    published = path.read_text()
    if published == recomputed_csv:
        return True
    old, new = pd.read_csv(path), pd.read_csv(io.StringIO(recomputed_csv))
    if list(old.columns) != list(new.columns) or old.shape != new.shape:
        return False
    for column in old.columns:
        a, b = old[column], new[column]
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            close = np.isclose(
                a, b, rtol=RELATIVE_TOLERANCE, atol=ABSOLUTE_TOLERANCE, equal_nan=True
            )
            if not close.all():
                return False
        elif not a.astype(str).equals(b.astype(str)):
            return False
    return True
