"""Where a study's summary files are: the gathered inputs the analysis reads
(``summary/inputs/``) and the tables it writes (``summary/``), and how to read them back.

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

from mismatch.io import read_parquet

INPUTS = {  # gathered input -> file under summary/inputs/
    "labels": "labels.parquet",
    "questions": "questions.parquet",
    "answers": "answers.parquet",
    "recipes": "recipes.parquet",
    "losses": "losses.parquet",
    "probes": "probes.parquet",
}
TABLES = {  # analysis table -> file under summary/ (CSV unless named otherwise)
    "summary": "summary.csv",
    "contrasts": "contrasts.csv",
    "per_world": "per_world.csv",
    "robustness": "robustness.csv",
    "mcnemar": "mcnemar.csv",
    "dose_response": "dose_response.csv",
    "sweep_levels": "sweep_levels.csv",
    "grid_counts": "grid_counts.csv",
    "grid_interaction": "grid_interaction.csv",
    "by_knowledge": "wrong_by_knowledge.csv",
    "recipes": "recipes.csv",
    "losses": "losses.csv",
    "gekhman_points": "gekhman_points.csv",
    "gekhman_fit": "gekhman_fit.csv",
    "effect_by_relation": "effect_by_relation.csv",
    "knowledge_by_relation": "knowledge_by_relation.csv",
    "who_knows": "who_knows.csv",
    "unmatched_answers": "unmatched_answers.csv",
    "controls": "controls.csv",
}
OPTIONAL_TABLES = {  # written where the study has them
    "training_length": "training_length.csv",
    "probe_auroc": "probe_auroc.csv",
    "recall_by_exposure": "recall_by_exposure.csv",
    "gap_points": "gap_points.csv",
    "gap_fit": "gap_fit.csv",
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
    files = {**TABLES, **OPTIONAL_TABLES}
    return {name: folder / file for name, file in files.items() if (folder / file).exists()}


def _read_table(path: Path) -> pd.DataFrame:
    """A table as written by the analysis; a table without rows or columns (a study without
    sweeps, say) is written as an empty file and read as an empty frame."""
    return pd.read_csv(path) if path.read_text().strip() else pd.DataFrame()


def read_tables(paths: Mapping[str, str | Path], headline: str | Path) -> dict[str, Any]:
    """The analysis tables, by name, with the headline, as the renderers take them."""
    tables: dict[str, Any] = {name: _read_table(Path(path)) for name, path in paths.items()}
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
