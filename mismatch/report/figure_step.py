"""The figure functions of the registered figures (``mismatch.analysis.outputs.FIGURES``; the
step that draws them: ``mismatch.report.drawing``). Each takes the tables by name, as the
registry hands them, and calls a plotting function of ``mismatch.report.figures``."""

from __future__ import annotations

import os
from collections.abc import Mapping

import pandas as pd

from mismatch.report.figures import (
    plot_dose_response,
    plot_effect_by_gap,
    plot_forest,
    plot_grid,
    plot_loss_curves,
    plot_outcomes,
    plot_recall_by_exposure,
    plot_wrong_by_knowledge,
)

Tables = Mapping[str, pd.DataFrame]
PathLike = str | os.PathLike[str]


def outcomes_figure(tables: Tables, path: PathLike) -> None:
    """Outcomes per recipe (``summary``)."""
    plot_outcomes(tables["summary"], path)


def wrong_by_knowledge_figure(tables: Tables, path: PathLike) -> None:
    """Wrong answers by what the base student knew (``by_knowledge``)."""
    plot_wrong_by_knowledge(tables["by_knowledge"], path)


def forest_figure(tables: Tables, path: PathLike) -> None:
    """Every contrast per world and pooled (``per_world``)."""
    plot_forest(tables["per_world"], path)


def loss_curves_figure(tables: Tables, path: PathLike) -> None:
    """Training loss per recipe (``losses``)."""
    plot_loss_curves(tables["losses"], path)


def _fits(tables: Tables) -> pd.DataFrame | None:
    """The dose-response fits; ``None`` for a study without sweeps (an empty file)."""
    fits = tables["dose_response"]
    return None if fits.columns.empty else fits


def dose_response_mismatch_figure(tables: Tables, path: PathLike) -> None:
    """Rates against the mismatch fraction (``summary``, ``recipes``, ``dose_response``)."""
    plot_dose_response(
        tables["summary"], tables["recipes"], path, x="mismatch_fraction", fits=_fits(tables)
    )


def dose_response_abstention_figure(tables: Tables, path: PathLike) -> None:
    """Rates against the abstention share (``summary``, ``recipes``, ``dose_response``)."""
    plot_dose_response(
        tables["summary"], tables["recipes"], path, x="abstention_share", fits=_fits(tables)
    )


def dose_response_grid_figure(tables: Tables, path: PathLike) -> None:
    """The mismatch x abstention grid against level 0 (``sweep_levels``)."""
    plot_grid(tables["sweep_levels"], path)


def recall_by_exposure_figure(tables: Tables, path: PathLike) -> None:
    """Recall per exposure bin (``recall_by_exposure``)."""
    plot_recall_by_exposure(tables["recall_by_exposure"], path)


def effect_by_gap_figure(tables: Tables, path: PathLike) -> None:
    """The effect against the knowledge gap (``gap_points``, ``gap_fit``)."""
    plot_effect_by_gap(tables["gap_points"], tables["gap_fit"], path)
