"""The mismatch x abstention grid in counts: how many mismatched and "I don't know" targets
each cell's fine-tuning sets hold, and the interaction of the two factors on the wrong rate with
a cluster-level interval.

The interaction of mismatch level ``m`` between abstention levels ``a1`` and ``a2`` is
``[wrong(m, a2) - wrong(0, a2)] - [wrong(m, a1) - wrong(0, a1)]``: how much more (or less) the
mismatch raises the wrong rate at ``a2`` than at ``a1``. All four cells come from the same
resamples of clusters (persons or countries) and seed runs, so the interval is paired.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from mismatch.analysis.clustered import Resamples, percentile_interval, ratio

COUNT_COLUMNS = [
    "student",
    "recipe",
    "mismatch",
    "abstention",
    "n_examples",
    "n_mismatched",
    "n_idk",
    "n_known_answered",
]


def n_mismatched(sets: pd.DataFrame) -> pd.Series:
    """Mismatched targets of each fine-tuning set (a recipe-table row): its answered targets
    times the share the student did not know (a set with no answered target has none)."""
    return sets["mismatch_fraction"].fillna(0) * sets["n_answered"]


def _replace_cells(recipes: Mapping[str, Mapping[str, Any]]) -> dict[tuple[float, Any], str]:
    """(mismatch level, abstention level) -> recipe name, for the grid's replace cells."""
    return {
        (float(spec["level"]), spec["abstention"]): name
        for name, spec in recipes.items()
        if spec.get("kind") == "grid" and spec.get("design", "replace") == "replace"
    }


def grid_counts(recipes: Mapping[str, Mapping[str, Any]], sets: pd.DataFrame) -> pd.DataFrame:
    """Per student and grid cell (replace and add designs), the mean over worlds and seed runs
    of the examples, the mismatched targets (answered, the student does not know), the "I don't
    know" targets, and the answered targets the student knows (``sets``: the recipe table)."""
    rows = []
    for name, spec in recipes.items():
        if spec.get("kind") != "grid":
            continue
        for student, cell in sets[sets["recipe"] == name].groupby("student", sort=False):
            mismatched = n_mismatched(cell)
            rows.append(
                {
                    "student": student,
                    "recipe": name,
                    "mismatch": float(spec["level"]),
                    "abstention": str(spec["abstention"]),
                    "n_examples": float(cell["n_examples"].mean()),
                    "n_mismatched": float(mismatched.mean()),
                    "n_idk": float(cell["n_abstain"].mean()),
                    "n_known_answered": float((cell["n_answered"] - mismatched).mean()),
                }
            )
    return pd.DataFrame(rows, columns=COUNT_COLUMNS)


def grid_interactions(
    recipes: Mapping[str, Mapping[str, Any]],
    draws: Resamples,
    students: list[str],
    confidence: float = 0.95,
) -> pd.DataFrame:
    """The mismatch x abstention interaction on the wrong rate for every mismatch level above 0
    and every pair of abstention levels (in the config's order), per student, with a percentile
    interval from ``draws`` (clusters and seed runs resampled, the four cells paired)."""
    cells = _replace_cells(recipes)
    shares = list(dict.fromkeys(a for _, a in cells))
    levels = sorted({m for m, _ in cells if m > 0})
    arms = draws.design.arms()
    wrong = ratio("wrong", "n")
    rows = []
    for student in students:
        for i, low in enumerate(shares):
            for high in shares[i + 1 :]:
                for level in levels:
                    names = [
                        cells.get(key)
                        for key in ((level, high), (0.0, high), (level, low), (0.0, low))
                    ]
                    if any(n is None or (student, n) not in arms for n in names):
                        continue
                    rates = [wrong(draws.sums((student, n))) for n in names]
                    effect_high, effect_low = rates[0] - rates[1], rates[2] - rates[3]
                    est = percentile_interval(effect_high - effect_low, confidence)
                    rows.append(
                        {
                            "student": student,
                            "mismatch": level,
                            "abstention_low": str(low),
                            "abstention_high": str(high),
                            "effect_at_low": float(effect_low[0]),
                            "effect_at_high": float(effect_high[0]),
                            "interaction": est.estimate,
                            "low": est.low,
                            "high": est.high,
                            "se": est.se,
                        }
                    )
    return pd.DataFrame(rows)
