"""Results by relation (a question's kind: a country's capital, a person's profession), and
who knows what: each model's accuracy per relation, the 2x2 of two models' knowledge, and the
effect of a recipe per relation with cluster-level intervals.

"Knowing" here is the study's one definition (``knowledge.basis``, ``mismatch.knowing.knows``), the
one the fine-tuning sets are built from, named in every table.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mismatch.analysis.clustered import Resamples, arm_difference, percentile_interval, ratio
from mismatch.knowing.knows import knows_column

RELATION = "relation"


def relation_columns(data: pd.DataFrame) -> list[str]:
    """Add ``relation_n|R`` and ``relation_wrong|R`` indicators for every relation of a design
    table (none without a relation column; no ``@``: they are no knowledge groups); the added
    columns' names."""
    if RELATION not in data.columns:
        return []
    columns = []
    for relation in sorted(data[RELATION].dropna().unique()):
        member = (data[RELATION] == relation).astype(float)
        data[f"relation_n|{relation}"] = member
        data[f"relation_wrong|{relation}"] = data["wrong"] * member
        columns += [f"relation_n|{relation}", f"relation_wrong|{relation}"]
    return columns


def effect_by_relation(
    contrasts: Sequence, draws: Resamples, confidence: float = 0.95
) -> pd.DataFrame:
    """Each contrast's wrong-rate difference within each relation: treatment and control rates
    and the difference with its percentile interval (persons and seed runs resampled within
    each world, as every interval of the study)."""
    relations = sorted(
        c.split("|", 1)[1] for c in draws.design.columns if c.startswith("relation_n|")
    )
    rows = []
    for c in contrasts:
        arm_t, arm_c = (c.student, c.treatment), (c.student, c.control)
        for relation in relations:
            wrong = ratio(f"relation_wrong|{relation}", f"relation_n|{relation}")
            difference = percentile_interval(arm_difference(draws, wrong, arm_t, arm_c), confidence)
            rows.append(
                {
                    "student": c.student,
                    "treatment": c.treatment,
                    "control": c.control,
                    RELATION: relation,
                    "n": int(draws.sums(arm_c)[f"relation_n|{relation}"][0]),
                    "treatment_wrong": float(wrong(draws.sums(arm_t))[0]),
                    "control_wrong": float(wrong(draws.sums(arm_c))[0]),
                    "estimate": difference.estimate,
                    "low": difference.low,
                    "high": difference.high,
                    "interval": "percentile bootstrap: persons and seed runs within each world",
                }
            )
    return pd.DataFrame(rows)


def knowledge_by_relation(answers: pd.DataFrame) -> pd.DataFrame:
    """Each model's share of questions known per world, split and relation (``answers``:
    world_seed, model, split, question_id, knows, definition, relation)."""
    knows, definition = knows_column(answers)
    table = (
        answers.assign(knows=knows)
        .groupby(["world_seed", "model", "split", RELATION], sort=True)["knows"]
        .agg(n="size", known_rate="mean")
        .reset_index()
    )
    return table.assign(definition=definition)


def who_knows(answers: pd.DataFrame, students: Sequence[str]) -> pd.DataFrame:
    """For each student and each other model: how many questions both know, only the other
    (teacher) knows, only the student knows, and neither, per world, split and relation."""
    knows, definition = knows_column(answers)
    wide = answers.assign(knows=knows).pivot_table(
        index=["world_seed", "split", RELATION, "question_id"],
        columns="model",
        values="knows",
        aggfunc="first",
    )
    rows = []
    for student in students:
        for teacher in [m for m in wide.columns if m != student]:
            pair = wide[[student, teacher]].dropna().astype(bool)
            s, t = pair[student].to_numpy(), pair[teacher].to_numpy()
            cells = pd.DataFrame(
                {
                    "both": s & t,
                    "teacher_only": ~s & t,
                    "student_only": s & ~t,
                    "neither": ~s & ~t,
                },
                index=pair.index,
            ).astype(int)
            counts = cells.groupby(level=["world_seed", "split", RELATION]).sum()
            counts.insert(0, "n", counts.sum(axis=1))
            rows.append(counts.reset_index().assign(student=student, teacher=teacher))
    if not rows:
        return pd.DataFrame()
    table = pd.concat(rows, ignore_index=True)
    first = ["world_seed", "split", "student", "teacher", RELATION, "n"]
    table = table[first + ["both", "teacher_only", "student_only", "neither"]]
    return table.assign(definition=definition)


def empty_effects() -> pd.DataFrame:
    """The effect table of a study without relations (no question carries one)."""
    columns = ["student", "treatment", "control", RELATION, "n", "estimate", "low", "high"]
    return pd.DataFrame(columns=columns).astype({"n": np.int64})
