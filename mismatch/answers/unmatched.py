"""The answers graded neither correct nor abstain, most frequent first: where a grader miss
(a refusal wording not recognised, a right answer in words the aliases lack) would show."""

from __future__ import annotations

import pandas as pd

UNMATCHED_LABELS = ("wrong", "malformed")
COLUMNS = ["student", "answer", "label", "count", "share", "recipes"]


def normalised_answer(answer: str) -> str:
    """Lower case, single spaces, no trailing full stop: one row for trivial variants."""
    return " ".join(str(answer).lower().split()).rstrip(".")


def frequent_unmatched_answers(labels: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """Per student, the ``top`` most frequent answers labelled wrong or malformed over all
    recipes and seeds: the count, its share of the student's unmatched answers, and the
    recipes it came from (columns ``COLUMNS``)."""
    unmatched = labels[labels["label"].isin(UNMATCHED_LABELS)]
    if unmatched.empty:
        return pd.DataFrame(columns=COLUMNS)
    unmatched = unmatched.assign(text=unmatched["answer"].map(normalised_answer))
    rows = []
    for student, answers in unmatched.groupby("student", sort=True):
        grouped = answers.groupby(["text", "label"], sort=False)
        counts = grouped.size().sort_values(ascending=False, kind="stable").head(top)
        for (text, label), count in counts.items():
            recipes = grouped.get_group((text, label))["recipe"]
            rows.append(
                {
                    "student": student,
                    "answer": text,
                    "label": label,
                    "count": int(count),
                    "share": count / len(answers),
                    "recipes": ", ".join(sorted(pd.unique(recipes))),
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)
