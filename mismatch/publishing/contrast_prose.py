"""A contrast in plain words, in either direction of a two-model study: how often the student
answered correctly, wrongly and abstained under each recipe, and the difference in wrong answers
with its cluster-level interval (rendered from a run's contrasts and summary tables alone)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from mismatch.analysis.grid_counts import n_mismatched
from mismatch.report.formatting import format_pct, format_points, p_phrase


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


def mismatched_targets(sets: pd.DataFrame, student: str, recipe: str) -> tuple[float, float]:
    """(mismatched targets, examples) of the recipe's fine-tuning sets for ``student``, means over
    worlds and seed runs: answered targets the student did not know (the recipe table)."""
    rows = sets[(sets["student"] == student) & (sets["recipe"] == recipe)]
    return float(n_mismatched(rows).mean()), float(rows["n_examples"].mean())


def contrast_sentence(
    contrast: Mapping[str, Any],
    summary: pd.DataFrame,
    taught_by: str,
    units: str,
    sets: pd.DataFrame | None = None,
) -> str:
    """One sentence: the student taught ``taught_by`` (the treatment recipe, in words) against
    the control recipe, correct / abstain / wrong rates of both, and the wrong-rate difference
    with its interval and sign-flip p over the clusters (``units``: "countries", "persons");
    with ``sets`` (the recipe table), how many mismatched targets the treatment's sets held."""
    rates = summary.set_index(["student", "recipe"])
    student = contrast["student"]
    treated = rates.loc[(student, contrast["treatment"])]
    control = rates.loc[(student, contrast["control"])]
    more = "more" if contrast["estimate"] > 0 else "less" if contrast["estimate"] < 0 else "as"
    held = ""
    if sets is not None:
        mismatched, examples = mismatched_targets(sets, student, contrast["treatment"])
        held = f"; per set, {mismatched:.1f} of {examples:.0f} targets were answers it did not know"
    difference = format_points(contrast["estimate"], contrast["low"], contrast["high"])
    p_value = p_phrase(contrast["p_value"], contrast.get("n_flips"))
    return (
        f"`{student}` fine-tuned on {taught_by} (`{contrast['treatment']}`{held}) answered "
        f"{format_pct(treated['correct_rate'])} of the unseen test questions correctly "
        f"(`{contrast['control']}`: {format_pct(control['correct_rate'])}), abstained on "
        f"{format_pct(treated['abstain_rate'])} ({format_pct(control['abstain_rate'])}) and "
        f"answered wrongly {more} often, {format_pct(treated['wrong_rate'])} "
        f"({format_pct(control['wrong_rate'])}): a difference of {difference} points (95% "
        f"interval resampling {units} and seed runs; sign-flip test over "
        f"{int(contrast['n_persons'])} {units}, p {p_value})."
    )


def control_sentence(contrasts: pd.DataFrame, student: str, treatment: str, control: str) -> str:
    """Every other recipe of ``student`` against the same ``control``, one clause each (the
    controls beside ``treatment - control``)."""
    rows = contrasts[
        (contrasts["student"] == student)
        & (contrasts["control"] == control)
        & (contrasts["treatment"] != treatment)
    ]
    clauses = [
        f"`{r['treatment']} - {control}` {format_points(r['estimate'], r['low'], r['high'])}"
        for _, r in rows.iterrows()
    ]
    return f"Controls ({student}): {'; '.join(clauses)} points." if clauses else ""
