"""A contrast in plain words, in either direction of a two-model study: how often the student
answered correctly, wrongly and abstained under each recipe, and the difference in wrong answers
with its cluster-level interval (rendered from a run's contrasts and summary tables alone)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd


def _pct(value: float) -> str:
    return f"{100 * float(value):.1f}%"


def _points(row: Mapping[str, Any]) -> str:
    return f"{100 * row['estimate']:+.1f} [{100 * row['low']:+.1f}, {100 * row['high']:+.1f}]"


def contrast_row(
    contrasts: pd.DataFrame, student: str, treatment: str, control: str
) -> Mapping[str, Any] | None:
    """The contrasts table's row of ``treatment - control`` for ``student`` (None if absent)."""
    rows = contrasts[
        (contrasts["student"] == student)
        & (contrasts["treatment"] == treatment)
        & (contrasts["control"] == control)
    ]
    return None if rows.empty else rows.iloc[0].to_dict()


def contrast_sentence(
    contrast: Mapping[str, Any], summary: pd.DataFrame, taught_by: str, units: str
) -> str:
    """One sentence: the student taught ``taught_by`` (the treatment recipe, in words) against
    the control recipe, correct / abstain / wrong rates of both, and the wrong-rate difference
    with its interval and sign-flip p over the clusters (``units``: "countries", "persons")."""
    rates = summary.set_index(["student", "recipe"])
    student = contrast["student"]
    treated = rates.loc[(student, contrast["treatment"])]
    control = rates.loc[(student, contrast["control"])]
    more = "more" if contrast["estimate"] > 0 else "less" if contrast["estimate"] < 0 else "as"
    return (
        f"`{student}` fine-tuned on {taught_by} (`{contrast['treatment']}`) answered "
        f"{_pct(treated['correct_rate'])} of the unseen test questions correctly "
        f"(`{contrast['control']}`: {_pct(control['correct_rate'])}), abstained on "
        f"{_pct(treated['abstain_rate'])} ({_pct(control['abstain_rate'])}) and answered "
        f"wrongly {more} often, {_pct(treated['wrong_rate'])} ({_pct(control['wrong_rate'])}): "
        f"a difference of {_points(contrast)} points (95% interval resampling {units} and seed "
        f"runs; sign-flip test over {int(contrast['n_persons'])} {units}, p = "
        f"{contrast['p_value']:.3g})."
    )


def control_sentence(contrasts: pd.DataFrame, student: str, treatment: str, control: str) -> str:
    """Every other recipe of ``student`` against the same ``control``, one clause each (the
    controls beside ``treatment - control``)."""
    rows = contrasts[
        (contrasts["student"] == student)
        & (contrasts["control"] == control)
        & (contrasts["treatment"] != treatment)
    ]
    clauses = [f"`{r['treatment']} - {control}` {_points(r)}" for _, r in rows.iterrows()]
    return f"Controls ({student}): {'; '.join(clauses)} points." if clauses else ""
