"""Training length: each teacher's effect when the student stops early (the best dev step) and
when it trains the full budget (convergence), side by side.

A pair is two recipes that differ only in ``stopping``; each is contrasted with the own-data
recipe of the same stopping (``analysis.contrasts_of``). The difference between the two effects
comes from the study's bootstrap (persons and seed runs resampled within each world, worlds
fixed), so it is paired by person.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from mismatch.analysis.clustered import Resamples, arm_difference, percentile_interval, ratio

UNIT = "persons and seed runs resampled within each world; worlds fixed"


def stopping_pairs(recipes: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(converged recipe, early recipe) pairs whose specs differ only in ``stopping``."""
    pairs = []
    for early, spec in recipes.items():
        if spec.get("stopping") != "early":
            continue
        twin = {k: v for k, v in spec.items() if k != "stopping"}
        for name, other in recipes.items():
            if other.get("stopping", "converged") == "converged" and (
                {k: v for k, v in other.items() if k != "stopping"} == twin
            ):
                pairs.append((name, early))
                break
    return pairs


def kept_steps(losses: pd.DataFrame) -> pd.DataFrame:
    """Per early-stopped run (rows of loss tables with ``dev_accuracy``): the step kept (the
    first best dev accuracy), its dev accuracy, and the last step."""
    if "dev_accuracy" not in losses.columns:
        return pd.DataFrame(columns=["student", "recipe", "world_seed", "ft_seed", "kept_step"])
    measured = losses.dropna(subset=["dev_accuracy"])
    rows = []
    for keys, run in measured.groupby(["student", "recipe", "world_seed", "ft_seed"]):
        best = run.loc[run["dev_accuracy"].idxmax()]
        rows.append(
            dict(zip(["student", "recipe", "world_seed", "ft_seed"], keys, strict=True))
            | {
                "kept_step": int(best["step"]),
                "dev_accuracy": float(best["dev_accuracy"]),
                "last_step": int(losses.loc[run.index, "step"].max()),
            }
        )
    return pd.DataFrame(rows)


def training_length(
    contrasts: pd.DataFrame,
    draws: Resamples,
    recipes: Mapping[str, Mapping[str, Any]],
    losses: pd.DataFrame,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Per pair and student: the effect (treatment minus its own-data control wrong rate) at
    convergence and at early stopping, their difference (early minus converged), and the steps
    the early runs kept."""
    wrong = ratio("wrong")
    steps = kept_steps(losses)
    rows = []
    for converged, early in stopping_pairs(recipes):
        for student in pd.unique(contrasts["student"]) if not contrasts.empty else []:
            found = {
                name: contrasts[
                    (contrasts["student"] == student) & (contrasts["treatment"] == name)
                ]
                for name in (converged, early)
            }
            if any(f.empty for f in found.values()):
                continue
            effects = {
                name: (
                    arm_difference(
                        draws, wrong, (student, name), (student, row.iloc[0]["control"])
                    ),
                    row.iloc[0],
                )
                for name, row in found.items()
            }
            change = percentile_interval(effects[early][0] - effects[converged][0], confidence)
            kept = steps[(steps["student"] == student) & (steps["recipe"] == early)]
            c, e = effects[converged][1], effects[early][1]
            rows.append(
                {
                    "student": student,
                    "converged": converged,
                    "early": early,
                    "converged_control": c["control"],
                    "early_control": e["control"],
                    "converged_estimate": c["estimate"],
                    "converged_low": c["low"],
                    "converged_high": c["high"],
                    "early_estimate": e["estimate"],
                    "early_low": e["low"],
                    "early_high": e["high"],
                    "change_estimate": change.estimate,
                    "change_low": change.low,
                    "change_high": change.high,
                    "kept_step_mean": float(kept["kept_step"].mean()) if len(kept) else np.nan,
                    "kept_step_min": float(kept["kept_step"].min()) if len(kept) else np.nan,
                    "kept_step_max": float(kept["kept_step"].max()) if len(kept) else np.nan,
                    "last_step": float(kept["last_step"].max()) if len(kept) else np.nan,
                    "interval": f"{confidence:.0%} percentile bootstrap, {UNIT}",
                }
            )
    return pd.DataFrame(rows)
