"""Gekhman et al. (2024)'s linear fit in this world: test accuracy against the shares of a
fine-tuning set that teach answers the student knows (Kn / |D|) and does not know (Unk / |D|),

    accuracy = b0 + b_kn * Kn / |D| + b_unk * Unk / |D|,

with Gekhman's in-distribution estimates (b_kn = +7.3, b_unk = -8.3 accuracy points) beside it.

Known is Gekhman's where the sets recorded the student's SliCK categories (any category but
Unknown), else the study's knowledge rule. Gekhman counts the known and unknown examples the
model has *fitted*; here they are the set's composition (every answered example counts; sets
are trained to convergence, where nearly all are fitted). Abstention targets are neither: the
share of "I don't know" is the remainder, so the three shares are not collinear when the
recipes differ in it. One point per (world, converged recipe of the first student), its
composition averaged over seed runs; the intervals refit the plane in every replicate of the
study's bootstrap (persons and seed runs resampled within each world; worlds and recipes fixed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mismatch.analysis.clustered import Resamples, percentile_interval, ratio

GEKHMAN = {"b_kn": 7.3, "b_unk": -8.3, "b_unk - b_kn": -15.6}
"""Gekhman et al. 2024, in-distribution fit (accuracy points per unit share); the difference is
what replacing a known example by an unknown one does, whatever the remainder of |D| is."""

TERMS = ("b0", "b_kn", "b_unk", "b_unk - b_kn")
FIT_COLUMNS = ["term", "estimate", "low", "high", "gekhman", "same_sign", "n_points", "interval"]
UNIT = "persons and seed runs resampled within each world; worlds and recipes fixed"


def set_shares(recipes: pd.DataFrame) -> pd.DataFrame:
    """Per (world, student, recipe): Kn / |D| and Unk / |D|, means over seed runs, with the
    ``known_by`` used. Known is Gekhman's (the student's SliCK category is not Unknown) where
    every set recorded it (``n_answered_slick_known``), else the set's ``student_knows`` (the
    study's knowledge rule)."""
    answered = recipes["n_answered"].astype(float)
    slick = (
        "n_answered_slick_known" in recipes.columns
        and recipes["n_answered_slick_known"].notna().all()
    )
    if slick:
        known = recipes["n_answered_slick_known"].astype(float)
    else:
        known = answered - (recipes["mismatch_fraction"].astype(float) * answered).fillna(0.0)
    table = recipes.assign(
        known_share=known / recipes["n_examples"],
        unknown_share=(answered - known) / recipes["n_examples"],
    )
    keys = ["world_seed", "student", "recipe"]
    shares = table.groupby(keys, sort=False)[["known_share", "unknown_share"]].mean()
    return shares.reset_index().assign(known_by="SliCK category" if slick else "knowledge rule")


def gekhman_fit(
    shares: pd.DataFrame,
    draws: Resamples,
    recipes: Mapping[str, Mapping[str, Any]],
    students: Sequence[str],
    confidence: float = 0.95,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The points (world, recipe, shares, test accuracy) and the fit (term, estimate, low,
    high in accuracy points, Gekhman's value and whether the signs agree); the fit is empty when
    the shares do not determine the plane (fewer than three independent points)."""
    if not students or shares.empty:
        return pd.DataFrame(), pd.DataFrame(columns=FIT_COLUMNS)
    student = students[0]
    converged = [n for n, s in recipes.items() if s.get("stopping", "converged") == "converged"]
    points = shares[(shares["student"] == student) & shares["recipe"].isin(converged)]
    points = points[
        [
            (student, r) in draws.design.arms() and w in draws.design.worlds_of((student, r))
            for w, r in zip(points["world_seed"], points["recipe"], strict=True)
        ]
    ].reset_index(drop=True)
    correct = ratio("correct")
    accuracy = np.array(
        [correct(draws.sums((student, r.recipe), [r.world_seed])) for r in points.itertuples()]
    ).reshape(len(points), draws.n_boot + 1)  # (points, B + 1), row 0 of each the observed
    points = points.assign(accuracy=accuracy[:, 0])
    design = np.column_stack([np.ones(len(points)), points["known_share"], points["unknown_share"]])
    if len(points) < 3 or np.linalg.matrix_rank(design) < 3:
        return points, pd.DataFrame(columns=FIT_COLUMNS)
    betas = 100 * np.linalg.lstsq(design, accuracy, rcond=None)[0]  # (3, B + 1), points
    betas = np.vstack([betas, betas[2] - betas[1]])  # b_unk - b_kn
    rows = []
    for term, values in zip(TERMS, betas, strict=True):
        est = percentile_interval(values, confidence)
        reference = GEKHMAN.get(term)
        rows.append(
            {
                "term": term,
                "estimate": est.estimate,
                "low": est.low,
                "high": est.high,
                "gekhman": reference,
                "same_sign": None
                if reference is None
                else bool(np.sign(est.estimate) == np.sign(reference)),
                "n_points": len(points),
                "interval": f"{confidence:.0%} percentile bootstrap, {UNIT}",
            }
        )
    return points, pd.DataFrame(rows)
