"""A pre-registered confirmatory run's verdict, by the rule its pre-registration fixed.

``docs/preregistration/paper-regime.md``: the effect is *confirmed* when the "new worlds"
random-effects interval excludes 0 from below and the exact two-sided sign test over worlds gives
p < 0.05; *reversed* when that interval lies below 0; *not confirmed* otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from mismatch.errors import InputError
from mismatch.knowing.knowledge_checks import known_rate_table

ALPHA = 0.05


def verdict(contrast: Mapping[str, Any], alpha: float = ALPHA) -> str:
    """The registered verdict of one contrasts-table row (its new-worlds interval and its sign
    test over worlds)."""
    low, high = float(contrast["new_worlds_low"]), float(contrast["new_worlds_high"])
    if high < 0:
        return "reversed"
    if low > 0 and float(contrast["worlds_sign_p"]) < alpha:
        return "confirmed"
    return "not confirmed"


def primary_contrast(contrasts: pd.DataFrame, name: str = "contrasts") -> Mapping[str, Any]:
    """The contrasts table's one primary row."""
    rows = contrasts[contrasts["role"] == "primary"]
    if len(rows) != 1:
        raise InputError(name, f"expected one primary contrast, found {len(rows)}")
    return rows.iloc[0].to_dict()


def world_table(
    per_world: pd.DataFrame, knowledge: pd.DataFrame, contrast: Mapping[str, Any]
) -> pd.DataFrame:
    """Each world's difference of the primary contrast (persons and seed runs resampled within
    it) beside the student's and the teacher's known rate on the pool (the run's definition)."""
    rows = per_world[
        (per_world["student"] == contrast["student"])
        & (per_world["treatment"] == contrast["treatment"])
        & (per_world["control"] == contrast["control"])
        & (per_world["kind"] == "world")
    ]
    rates = known_rate_table(knowledge)
    table = rows[["world", "estimate", "low", "high"]].rename(columns={"world": "world_seed"})
    table = table.astype({"world_seed": int})
    return table.assign(
        student_known=table["world_seed"].map(rates[contrast["student"]]).to_numpy(),
        teacher_known=table["world_seed"].map(rates[contrast["treatment"]]).to_numpy(),
    ).reset_index(drop=True)
