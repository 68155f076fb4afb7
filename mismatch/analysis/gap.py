"""The teacher's knowledge gap as the dose: each teacher's effect against the student's own
answers as a function of how much more of the pool the teacher answers, a line through those
points, and what the line predicts for the paper's regime (Llama-2 7B student, 13B teacher).

One point per (world, teacher recipe): the gap is the teacher's minus the student's known rate on
the pool in that world, by the study's one definition of knowing (``knowledge.basis``, named in
every row; a sensitivity fit uses the other definition), the effect the wrong-rate difference on
the test questions. The paper's gap is a gap in greedy accuracy, so the prediction at it is made
only on the ``measured`` axis. Every interval comes from the study's bootstrap
(``clustered.resample``: persons and seed runs resampled within each world; worlds and teachers
fixed): in each replicate the line is refitted through that replicate's per-world differences.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mismatch.analysis.clustered import Resamples, arm_difference, percentile_interval, ratio
from mismatch.knowing.knowledge_checks import known_rate_table, other_definition, study_definition

PAPER_REGIME = {
    "student_accuracy": 0.689,
    "teacher_accuracy": 0.772,
    "source": "Llama-2 7B and 13B, 1-shot TriviaQA (filtered dev), Touvron et al. 2023",
}
"""Published pool accuracies of the paper's student and teacher: the regime to predict."""

TRIVIAQA_UNFILTERED_DEV = 11313
"""Questions in TriviaQA's unfiltered (no-context) validation split, Joshi et al. 2017."""

UNIT = "persons and seed runs resampled within each world; worlds and teachers fixed"
FIT_COLUMNS = [
    "definition", "role", "quantity", "estimate", "low", "high", "se", "n_points", "gap_min",
    "gap_max", "paper_gap", "student_accuracy_range", "paper_student_accuracy", "interval",
]  # fmt: skip


def teacher_gaps(
    knowledge: pd.DataFrame,
    recipes: Mapping[str, Mapping[str, Any]],
    student: str,
    definition: str | None = None,
) -> pd.DataFrame:
    """One row per (world, converged teacher recipe) of ``student``: the student's and the
    teacher's known rate on the pool by ``definition`` (``knowledge.known_rates``; the study's
    when ``None``), the gap, and the definition's name."""
    rates = known_rate_table(knowledge, definition)
    knowing = definition or study_definition(knowledge)
    rows = []
    for name, spec in recipes.items():
        teacher = spec.get("teacher")
        if spec["kind"] != "teacher" or teacher in (None, "self"):
            continue
        if spec.get("stopping", "converged") != "converged":  # the gap line is at convergence
            continue
        for world in sorted(rates.index):
            if student not in rates.columns or teacher not in rates.columns:
                continue
            own, other = float(rates.loc[world, student]), float(rates.loc[world, teacher])
            if pd.isna(own) or pd.isna(other):
                continue
            rows.append(
                {
                    "definition": knowing,
                    "world_seed": world,
                    "student": student,
                    "recipe": name,
                    "teacher": teacher,
                    "student_accuracy": own,
                    "teacher_accuracy": other,
                    "gap": other - own,
                }
            )
    return pd.DataFrame(rows)


def _world_differences(
    draws: Resamples, student: str, treatment: str, control: str, world: Any
) -> np.ndarray:
    arms = ((student, treatment), (student, control))
    if any(world not in draws.design.worlds_of(arm) for arm in arms):
        return np.full(draws.n_boot + 1, math.nan)
    return arm_difference(draws, ratio("wrong"), *arms, [world])


def _lines(gaps: np.ndarray, effects: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares slope and intercept of every replicate (rows of ``effects``) on ``gaps``."""
    centred = gaps - gaps.mean()
    slopes = (effects - effects.mean(axis=1, keepdims=True)) @ centred / (centred**2).sum()
    return slopes, effects.mean(axis=1) - slopes * gaps.mean()


def gap_effects(
    gaps: pd.DataFrame,
    draws: Resamples,
    control: str,
    confidence: float = 0.95,
    role: str = "primary",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-point effects (``gaps`` plus estimate, low, high) and the fit: slope (wrong-rate
    points per point of gap), intercept, the correlation of effect and gap, and, on the
    ``measured`` axis only (the paper's gap is one of greedy accuracy), the prediction at the
    paper's gap. ``role`` (primary, sensitivity) names the fit in its rows."""
    if gaps.empty:
        return gaps.assign(estimate=[], low=[], high=[]), pd.DataFrame(columns=FIT_COLUMNS)
    replicates = np.vstack(
        [
            _world_differences(draws, row.student, row.recipe, control, row.world_seed)
            for row in gaps.itertuples()
        ]
    )  # (points, B + 1)
    estimates = [percentile_interval(r, confidence) for r in replicates]
    points = gaps.assign(
        role=role,
        estimate=[e.estimate for e in estimates],
        low=[e.low for e in estimates],
        high=[e.high for e in estimates],
        interval=f"{confidence:.0%} percentile bootstrap, {UNIT}",
    )
    usable = ~np.isnan(replicates).any(axis=1)
    x = gaps["gap"].to_numpy(dtype=float)[usable]
    if np.unique(x).size < 2:
        return points, pd.DataFrame(columns=FIT_COLUMNS)
    effects = replicates[usable].T  # (B + 1, points)
    slopes, intercepts = _lines(x, effects)
    paper_gap = PAPER_REGIME["teacher_accuracy"] - PAPER_REGIME["student_accuracy"]
    definition = str(gaps["definition"].iloc[0])
    quantities = [
        ("slope", slopes),
        ("intercept", intercepts),
        ("correlation", _correlations(x, effects)),
    ]
    if definition == "measured":
        quantities.append(("predicted effect at the paper's gap", intercepts + slopes * paper_gap))
    rows = [
        {"quantity": name, **percentile_interval(values, confidence).__dict__}
        for name, values in quantities
    ]
    fit = pd.DataFrame(rows)
    fit["definition"], fit["role"] = definition, role
    fit["n_points"] = int(usable.sum())
    fit["gap_min"], fit["gap_max"] = float(x.min()), float(x.max())
    fit["paper_gap"] = paper_gap
    fit["student_accuracy_range"] = (
        f"{gaps['student_accuracy'].min():.1%} to {gaps['student_accuracy'].max():.1%}"
    )
    fit["paper_student_accuracy"] = PAPER_REGIME["student_accuracy"]
    fit["interval"] = f"{confidence:.0%} percentile bootstrap, {UNIT}"
    return points, fit[FIT_COLUMNS]


def _correlations(gaps: np.ndarray, effects: np.ndarray) -> np.ndarray:
    """Pearson correlation of gap and effect in every replicate (rows of ``effects``)."""
    centred = gaps - gaps.mean()
    deviations = effects - effects.mean(axis=1, keepdims=True)
    spread = np.sqrt((deviations**2).sum(axis=1) * (centred**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return deviations @ centred / spread


def gap_tables(
    knowledge: pd.DataFrame,
    recipes: Mapping[str, Mapping[str, Any]],
    students: Sequence[str],
    control: str | None,
    draws: Resamples,
    confidence: float = 0.95,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``gap_effects`` for the first student (the primary contrast's) on the study's definition
    of knowing (role primary) and on the other (``knowledge.other_definition``, role
    sensitivity), stacked; empty tables when the run has no control recipe, no student or no
    teacher recipe."""
    if control is None or not students:
        return pd.DataFrame(), pd.DataFrame(columns=FIT_COLUMNS)
    fits = [(None, "primary")]
    other = other_definition(knowledge)
    if other is not None:
        fits.append((other, "sensitivity"))
    points, lines = [], []
    for definition, role in fits:
        gaps = teacher_gaps(knowledge, recipes, students[0], definition)
        table, fit = gap_effects(gaps, draws, control, confidence, role)
        points.append(table)
        lines.append(fit)
    return pd.concat(points, ignore_index=True), pd.concat(lines, ignore_index=True)
