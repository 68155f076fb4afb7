"""The sweeps' comparisons: which recipes form a series against which reference, each level
against the reference with a person-level interval, and GEE slopes along each series.

A *series* is an ordered list of recipes along one axis (mismatch fraction or abstention
share) whose first recipe is the reference (level 0). The one-dimensional sweeps give one series
each; the grid gives one mismatch series per abstention level (the replace cells), one per
abstention level for the fixed-known cells (the replace level-0 cell as reference), and one
abstention series at zero mismatch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from mismatch.analysis.clustered import Resamples, percentile_interval, ratio
from mismatch.analysis.outcomes import PERSON

AXES = {"mismatch": "mismatch_fraction", "abstention": "abstention_share"}
"""Series factor -> the recipe-table column that measures it (per world and seed run)."""

LEVEL_OUTCOMES = {
    "wrong rate": ("wrong", "n"),
    "wrong rate, facts the student knows": ("wrong@known", "n@known"),
    "wrong rate, facts the student does not know": ("wrong@unknown", "n@unknown"),
    "correct rate, facts the student knows": ("correct@known", "n@known"),
    "correct rate, facts the student does not know": ("correct@unknown", "n@unknown"),
    "abstain rate": ("abstain", "n"),
    "abstain rate, facts the student knows": ("abstain@known", "n@known"),
    "abstain rate, facts the student does not know": ("abstain@unknown", "n@unknown"),
}
"""Outcome of a level comparison -> (numerator, denominator) indicator sums."""


@dataclass(frozen=True)
class SweepSeries:
    """Recipes along one factor, the reference (level 0) first."""

    name: str
    factor: str  # mismatch or abstention (see AXES)
    recipes: tuple[str, ...]
    level_names: tuple[str, ...]  # the configured level of each recipe ("0.50", "teacher")
    holds: str  # what every recipe of the series has in common

    @property
    def axis(self) -> str:
        return AXES[self.factor]


def _label(level: Any) -> str:
    return level if isinstance(level, str) else f"{float(level):.2f}"


def sweep_series(recipes: Mapping[str, Mapping[str, Any]]) -> list[SweepSeries]:
    """Every series of the configured recipes (config ``recipes`` after ``expand_sweeps``)."""
    series = []
    for sweep, holds in (
        ("mismatch", "set size and abstention share"),
        ("abstention", "set size, zero mismatch"),
    ):
        members = sorted(
            (spec["level"], name) for name, spec in recipes.items() if spec.get("sweep") == sweep
        )
        if len(members) >= 2:
            series.append(
                SweepSeries(
                    sweep,
                    sweep,
                    tuple(n for _, n in members),
                    tuple(_label(lv) for lv, _ in members),
                    holds,
                )
            )
    return series + _grid_series(recipes)


def _grid_series(recipes: Mapping[str, Mapping[str, Any]]) -> list[SweepSeries]:
    cells = {name: spec for name, spec in recipes.items() if spec.get("kind") == "grid"}
    shares = list(dict.fromkeys(spec["abstention"] for spec in cells.values()))
    series = []
    origins = []
    for share in shares:
        row = {
            design: sorted(
                (spec["level"], name)
                for name, spec in cells.items()
                if spec["abstention"] == share and spec["design"] == design
            )
            for design in ("replace", "add")
        }
        origin = [(lv, n) for lv, n in row["replace"] if lv == 0]
        if not origin:
            continue
        origins.append((share, origin[0][1]))
        for design, members, holds in (
            ("replace", row["replace"], "set size, abstention share and abstained questions"),
            ("add", origin + row["add"], "known answers and abstentions of the level-0 set"),
        ):
            if len(members) >= 2:
                kind = "mismatch" if design == "replace" else "mismatch added"
                series.append(
                    SweepSeries(
                        f"grid: {kind}, abstention {_label(share)}",
                        "mismatch",
                        tuple(n for _, n in members),
                        tuple(_label(lv) for lv, _ in members),
                        holds,
                    )
                )
    if len(origins) >= 2:
        series.append(
            SweepSeries(
                "grid: abstention, mismatch 0.00",
                "abstention",
                tuple(n for _, n in origins),
                tuple(_label(s) for s, _ in origins),
                "set size, zero mismatch",
            )
        )
    return series


def _measured(recipes: pd.DataFrame, student: str, recipe: str, axis: str) -> float:
    rows = recipes[(recipes["student"] == student) & (recipes["recipe"] == recipe)]
    return float(rows[axis].mean()) if len(rows) and axis in rows.columns else math.nan


def sweep_levels(
    recipes: pd.DataFrame,
    draws: Resamples,
    series: list[SweepSeries],
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Each level of each series against the series' reference, per student: the difference in
    the wrong, correct and abstain rates (overall, and on test facts the student knows and does
    not know), with person-level percentile intervals from the shared resamples (``draws``: the
    same persons in both arms, so the difference is paired). ``level`` and
    ``reference_level`` are the measured axis values (mean over worlds and seed runs);
    not adjusted for multiplicity (descriptive)."""
    rows = []
    arms = draws.design.arms()
    for one in series:
        reference = one.recipes[0]
        for student in pd.unique(recipes["student"]) if len(recipes) else []:
            if (student, reference) not in arms:
                continue
            control = draws.sums((student, reference))
            for recipe, level_name in zip(one.recipes[1:], one.level_names[1:], strict=True):
                if (student, recipe) not in arms:
                    continue
                treatment = draws.sums((student, recipe))
                for outcome, (numerator, denominator) in LEVEL_OUTCOMES.items():
                    metric = ratio(numerator, denominator)
                    est = percentile_interval(metric(treatment) - metric(control), confidence)
                    rows.append(
                        {
                            "student": student,
                            "sweep": one.name,
                            "factor": one.factor,
                            "holds": one.holds,
                            "recipe": recipe,
                            "level_name": level_name,
                            "level": _measured(recipes, student, recipe, one.axis),
                            "reference": reference,
                            "reference_name": one.level_names[0],
                            "reference_level": _measured(recipes, student, reference, one.axis),
                            "outcome": outcome,
                            "estimate": est.estimate,
                            "low": est.low,
                            "high": est.high,
                            "se": est.se,
                            "level_rate": float(metric(treatment)[0]),
                            "reference_rate": float(metric(control)[0]),
                        }
                    )
    return pd.DataFrame(rows)


GEE_METHOD = (
    "GEE, Gaussian identity (linear probability), independence working correlation, "
    "clusters = persons, robust (sandwich) SE"
)


def dose_response(
    data: pd.DataFrame, recipes: pd.DataFrame, series: list[SweepSeries]
) -> pd.DataFrame:
    """GEE slopes of the wrong rate, the wrong rate among answered and the abstain rate against
    each series' measured axis (per world and seed run), clusters = persons, one row per
    (student, series, outcome); empty when no series is configured."""
    from statsmodels.genmod.cov_struct import Independence
    from statsmodels.genmod.families import Gaussian
    from statsmodels.genmod.generalized_estimating_equations import GEE

    rows = []
    outcomes = {
        "wrong_rate": ("wrong", None),
        "wrong_among_answered": ("wrong", "answered"),
        "abstain_rate": ("abstain", None),
    }
    keys = ["world_seed", "student", "recipe", "ft_seed"]
    for one in series:
        axis = one.axis
        chosen = recipes[recipes["recipe"].isin(one.recipes)]
        for student, sets in chosen.groupby("student", sort=False):
            if sets["recipe"].nunique() < 2:
                continue
            # a set with no answered target has no mismatch fraction: it cannot place a point
            rows_x = data.merge(sets[[*keys, axis]].dropna(), on=keys, how="inner")
            levels = sets.groupby("recipe")[axis].mean().sort_values()
            for name, (outcome, subset) in outcomes.items():
                part = rows_x if subset is None else rows_x[rows_x[subset] > 0]
                if part[axis].nunique() < 2 or part[outcome].nunique() < 2:
                    continue  # no slope to fit: one level, or the outcome never varies
                groups = part["world_seed"].astype(str) + ":" + part[PERSON].astype(str)
                exog = np.column_stack([np.ones(len(part)), part[axis].to_numpy(dtype=float)])
                fit = GEE(
                    part[outcome].to_numpy(dtype=float),
                    exog,
                    groups=pd.factorize(groups)[0],
                    family=Gaussian(),
                    cov_struct=Independence(),
                ).fit()
                slope, se = float(fit.params[1]), float(fit.bse[1])
                z = float(sps.norm.ppf(0.975))
                rows.append(
                    {
                        "student": student,
                        "sweep": one.name,
                        "x": axis,
                        "outcome": name,
                        "slope": slope,
                        "low": slope - z * se,
                        "high": slope + z * se,
                        "se": se,
                        "p_value": float(2 * sps.norm.sf(abs(slope / se))) if se > 0 else math.nan,
                        "intercept": float(fit.params[0]),
                        "n_clusters": int(groups.nunique()),
                        "n_answers": len(part),
                        "levels": ", ".join(f"{v:.2f}" for v in levels),
                        "method": GEE_METHOD,
                    }
                )
    return pd.DataFrame(rows)
