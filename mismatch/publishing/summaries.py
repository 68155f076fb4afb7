"""The one-screen summary each published page opens with: the question, the answer, the main
table and the figure, then a link to every table (the run's full summary and its CSVs) instead
of inlining them; rendered from a published run's tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from mismatch.report.formatting import format_pct, format_points, markdown_table

QUESTION = (
    "Does a small model fine-tuned on a larger model's answers answer more unseen questions "
    "wrongly than the same model fine-tuned on its own answers?"
)
EXPOSURE_QUESTION = (
    "In the exposure world (knowing a fact depends on how often it was stated), does a student "
    "fine-tuned on a teacher's answers answer more unseen questions wrongly than fine-tuned on "
    "its own, and does the effect grow with the teacher's knowledge gap?"
)
REAL_QUESTION = (
    "Does each real model, fine-tuned on the other model's graded answers, answer more unseen "
    "questions wrongly than fine-tuned on its own?"
)
INTERVALS = "95% intervals resampling {units} and seed runs"


def screen(question: str, answer: str, table: str, figure: tuple[str, str], links: str) -> str:
    """The summary: question, answer, main table, figure (alt text, path), links."""
    alt, path = figure
    return (
        f"**The question.** {question}\n\n**The answer.** {answer.strip()}\n\n{table.strip()}\n\n"
        f"![{alt}]({path})\n\n{links}\n\n"
    )


def table_links(folder: str, label: str = "results") -> str:
    """The sentence linking a published run's full summary and its CSVs (``folder``: relative
    to docs/)."""
    return (
        f"Every table of the run: [its full summary]({folder}/summary.md) and the CSVs in "
        f"[{label}/]({folder}/)."
    )


def contrast_answer(row: Mapping[str, Any], teacher: str, units: str) -> str:
    """One direction of a contrast in a sentence: wrong rates and their difference."""
    higher = "more" if row["estimate"] > 0 else "less"
    return (
        f"`{row['student']}` fine-tuned on `{teacher}`'s answers answered wrongly {higher} often "
        f"than on its own: {format_pct(row['treatment_rate'])} vs "
        f"{format_pct(row['control_rate'])}, a difference of "
        f"{format_points(row['estimate'], row['low'], row['high'])} points "
        f"({INTERVALS.format(units=units)})."
    )


def teacher_rows(
    contrasts: pd.DataFrame, gaps: pd.DataFrame, student: str, teachers: Sequence[str]
) -> list[Mapping[str, Any]]:
    """Each teacher's contrast against the student's own data, with its mean knowledge gap."""
    rows = []
    for teacher in teachers:
        found = contrasts[(contrasts["treatment"] == teacher) & (contrasts["student"] == student)]
        if not found.empty:
            gap = float(gaps[f"gap_{teacher}"].mean())
            rows.append({**found.iloc[0].to_dict(), "teacher": teacher, "gap": gap})
    return rows


def teacher_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """Teacher, knowledge gap, wrong rates with the teacher's and the own data, difference."""
    frame = pd.DataFrame(
        {
            "Teacher": [f"`{r['teacher']}`" for r in rows],
            "Knowledge gap, points": [f"{100 * r['gap']:+.1f}" for r in rows],
            "Wrong, teacher's data": [format_pct(r["treatment_rate"]) for r in rows],
            "Wrong, own data": [format_pct(r["control_rate"]) for r in rows],
            "Difference, points [95%]": [
                format_points(r["estimate"], r["low"], r["high"]) for r in rows
            ],
        }
    )
    return markdown_table(frame)


def teachers_answer(rows: Sequence[Mapping[str, Any]], student: str, definition: str) -> str:
    """The teachers' effects in one sentence: in how many the student was wrong more often, and
    the range of the differences."""
    if not rows:
        return "No teacher's contrast was run."
    estimates = [float(r["estimate"]) for r in rows]
    higher = sum(e > 0 for e in estimates)
    return (
        f"Fine-tuned on a teacher's answers, the student `{student}` answered wrongly more often "
        f"than on its own with {higher} of {len(rows)} teachers: differences from "
        f"{100 * min(estimates):+.1f} to {100 * max(estimates):+.1f} points "
        f"({INTERVALS.format(units='persons')} in the table; knowledge gap: the teacher's "
        f"known share of the pool minus the student's, knowing = {definition})."
    )
