"""The teacher's knowledge gap as the dose: each teacher's effect against the student's own
answers as a function of how much more of the pool the teacher answers, a line through those
points, and what the line predicts for the paper's regime (Llama-2 7B student, 13B teacher).

One point per (world, teacher recipe): the gap is the teacher's minus the student's greedy pool
accuracy in that world (measured on the pool, held fixed), the effect the wrong-rate difference
on the test questions. Every interval comes from the study's bootstrap (``clustered.resample``:
persons and seed runs resampled within each world; worlds and teachers fixed): in each replicate
the line is refitted through that replicate's per-world differences.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mismatch.clustered import Resamples, arm_difference, percentile_interval, ratio
from mismatch.stats import questions_to_detect

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
    "quantity", "estimate", "low", "high", "se", "n_points", "gap_min", "gap_max", "paper_gap",
    "student_accuracy_range", "paper_student_accuracy", "interval", "control_rate",
    "triviaqa_questions_per_arm", "triviaqa_questions_per_arm_at_low", "triviaqa_unfiltered_dev",
]  # fmt: skip


def teacher_gaps(
    knowledge: pd.DataFrame, recipes: Mapping[str, Mapping[str, Any]], student: str
) -> pd.DataFrame:
    """One row per (world, converged teacher recipe) of ``student``: the student's and the
    teacher's greedy pool accuracy (``knowledge.csv``'s measured known rate) and the gap."""
    pool = knowledge[knowledge["split"] == "pool"].set_index(["world_seed", "model"])
    rows = []
    for name, spec in recipes.items():
        teacher = spec.get("teacher")
        if spec["kind"] != "teacher" or teacher in (None, "self"):
            continue
        if spec.get("stopping", "converged") != "converged":  # the gap line is at convergence
            continue
        for world in sorted(pool.index.get_level_values("world_seed").unique()):
            if (world, student) not in pool.index or (world, teacher) not in pool.index:
                continue
            own = float(pool.loc[(world, student), "measured_known_rate"])
            other = float(pool.loc[(world, teacher), "measured_known_rate"])
            rows.append(
                {
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
    control_rate: float | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-point effects (``gaps`` plus estimate, low, high) and the fit: slope (wrong-rate
    points per point of gap), intercept, the prediction at the paper's gap, and the TriviaQA
    test questions per arm that a two-proportion test needs to detect that prediction (80%
    power, two-sided 5%) over ``control_rate`` (the student's own-answers wrong rate)."""
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
        estimate=[e.estimate for e in estimates],
        low=[e.low for e in estimates],
        high=[e.high for e in estimates],
        interval=f"{confidence:.0%} percentile bootstrap, {UNIT}",
    )
    usable = ~np.isnan(replicates).any(axis=1)
    x = gaps["gap"].to_numpy(dtype=float)[usable]
    if np.unique(x).size < 2:
        return points, pd.DataFrame(columns=FIT_COLUMNS)
    slopes, intercepts = _lines(x, replicates[usable].T)
    paper_gap = PAPER_REGIME["teacher_accuracy"] - PAPER_REGIME["student_accuracy"]
    predictions = intercepts + slopes * paper_gap
    rows = []
    for name, values in (
        ("slope", slopes),
        ("intercept", intercepts),
        ("predicted effect at the paper's gap", predictions),
    ):
        est = percentile_interval(values, confidence)
        rows.append({"quantity": name, **est.__dict__})
    fit = pd.DataFrame(rows)
    fit["n_points"] = int(usable.sum())
    fit["gap_min"], fit["gap_max"] = float(x.min()), float(x.max())
    fit["paper_gap"] = paper_gap
    fit["student_accuracy_range"] = (
        f"{gaps['student_accuracy'].min():.1%} to {gaps['student_accuracy'].max():.1%}"
    )
    fit["paper_student_accuracy"] = PAPER_REGIME["student_accuracy"]
    fit["interval"] = f"{confidence:.0%} percentile bootstrap, {UNIT}"
    predicted = fit.set_index("quantity").loc["predicted effect at the paper's gap"]
    p0 = control_rate if control_rate is not None else math.nan
    fit["control_rate"] = p0
    fit["triviaqa_questions_per_arm"] = [
        questions_to_detect(predicted["estimate"], p0) if q.startswith("predicted") else math.nan
        for q in fit["quantity"]
    ]
    fit["triviaqa_questions_per_arm_at_low"] = [
        questions_to_detect(predicted["low"], p0) if q.startswith("predicted") else math.nan
        for q in fit["quantity"]
    ]
    fit["triviaqa_unfiltered_dev"] = TRIVIAQA_UNFILTERED_DEV
    return points, fit[FIT_COLUMNS]


def gap_tables(
    knowledge: pd.DataFrame,
    recipes: Mapping[str, Mapping[str, Any]],
    students: Sequence[str],
    control: str | None,
    draws: Resamples,
    control_rate: float | None,
    confidence: float = 0.95,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``gap_effects`` for the first student (the primary contrast's); empty tables when the run
    has no control recipe, no student or no teacher recipe."""
    if control is None or not students:
        return pd.DataFrame(), pd.DataFrame(columns=FIT_COLUMNS)
    gaps = teacher_gaps(knowledge, recipes, students[0])
    return gap_effects(gaps, draws, control, confidence, control_rate)
