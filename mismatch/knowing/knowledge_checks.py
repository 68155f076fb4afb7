"""What models know: measured vs true knowledge, and the teacher-stronger-than-student check."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mismatch.errors import InputError
from mismatch.knowing.knows import definition_of, per_question, with_knows

MARGIN_KEY = "preconditions.min_teacher_margin"
ALLOW_WEAK_KEY = "preconditions.allow_weak_teacher"


class PreconditionError(InputError):
    """A teacher configured as larger than the student does not know clearly more than it."""

    def __init__(self, problem: str) -> None:
        super().__init__(MARGIN_KEY, problem)


def knowledge_report(
    answers: pd.DataFrame, knows: pd.DataFrame, truth: pd.DataFrame | None, split: str
) -> dict:
    """Known rate by the study's definition (``knows``, a ``mismatch.knowing.knows`` table, named as
    ``definition``), the measured (graded greedy) known rate of ``answers``, and with ``truth``
    how the measured rate relates to true knowledge.

    ``truth`` (question_id, truly_known; one row per question, for this model) gives the
    confusion counts of measured correctness vs true knowledge, the recall on truly known facts
    (``memorised_recall``) and the rate of correct answers on facts the model never saw
    (``guessing_rate``). Rates over no questions are ``None``.
    """
    correct = answers["correct"].astype(bool)
    known = with_knows(answers, knows, f"{split} knows")["knows"]
    report: dict[str, Any] = {
        "split": split,
        "n": len(answers),
        "definition": definition_of(knows, f"{split} knows"),
        "known_rate": _rate(known),
        "measured_known_rate": _rate(correct),
        "truth_available": truth is not None,
        "confusion": None,
        "memorised_recall": None,
        "guessing_rate": None,
    }
    if truth is None:
        return report
    truly = per_question(truth, "truly_known", answers, "truth", "truly_known")
    known = truly.astype(bool).set_axis(answers.index)
    report["truth_known_rate"] = _rate(known)
    report["confusion"] = {
        "known_correct": int((known & correct).sum()),
        "known_wrong": int((known & ~correct).sum()),
        "unknown_correct": int((~known & correct).sum()),
        "unknown_wrong": int((~known & ~correct).sum()),
    }
    report["memorised_recall"] = _rate(correct[known])
    report["guessing_rate"] = _rate(correct[~known])
    return report


def check_preconditions(
    student: str,
    student_pool: pd.DataFrame,
    teachers: dict[str, pd.DataFrame],
    larger: set[str],
    *,
    min_margin: float,
    allow_weak_teacher: bool,
) -> dict:
    """Check each teacher in ``larger`` knows at least ``min_margin`` more of the pool than the
    student (pool tables with ``knows``: ``mismatch.knowing.knows``, the study's definition).

    Raises ``PreconditionError`` on the first teacher that does not, unless
    ``allow_weak_teacher``, in which case the violation is recorded under ``warnings``.
    """
    missing = sorted(larger - teachers.keys())
    if missing:
        raise InputError("preconditions", f"larger teacher(s) {missing} have no pool answers")
    definition = definition_of(student_pool, f"pool knows of {student}")
    student_ids = set(student_pool["question_id"])
    if not student_ids:
        raise InputError(f"pool answers of {student}", "no questions")
    accuracy = {student: _rate(student_pool["knows"].astype(bool))}
    for name, pool in teachers.items():
        if set(pool["question_id"]) != student_ids:
            raise InputError(f"pool answers of {name}", f"cover other questions than {student}'s")
        accuracy[name] = _rate(pool["knows"].astype(bool))
    checks, warnings = {}, []
    for name in sorted(larger):
        margin = accuracy[name] - accuracy[student]
        passed = margin >= min_margin
        checks[name] = {"margin": margin, "passed": passed}
        if not passed:
            problem = (
                f"teacher {name!r} knows {accuracy[name]:.3f} of the pool ({definition}), not "
                f"at least {min_margin:.3f} above student {student!r} "
                f"({accuracy[student]:.3f}, margin {margin:.3f}); lower {MARGIN_KEY} or set "
                f"{ALLOW_WEAK_KEY}: true to run anyway"
            )
            if not allow_weak_teacher:
                raise PreconditionError(problem)
            warnings.append(problem)
    return {
        "student": student,
        "definition": definition,
        "pool_accuracy": accuracy,
        "min_margin": min_margin,
        "allow_weak_teacher": allow_weak_teacher,
        "checks": checks,
        "warnings": warnings,
        "passed": all(check["passed"] for check in checks.values()),
    }


def study_definition(knowledge: pd.DataFrame) -> str:
    """The study's definition of knowing, as ``knowledge.csv`` names it."""
    if "definition" not in knowledge.columns:
        raise InputError("knowledge.csv", "no definition column; regather it (rule gather_labels)")
    return definition_of(knowledge, "knowledge.csv")


def known_rates(knowledge: pd.DataFrame, definition: str | None = None) -> pd.Series:
    """Each ``knowledge.csv`` row's known rate by ``definition``: the study's own (``None`` or
    its name), ``measured`` (k-shot greedy answer graded correct) or ``truth`` (truly known =
    known_correct + known_wrong, the synthetic world's ground truth)."""
    own = study_definition(knowledge)
    if definition in (None, own):
        return knowledge["known_rate"].astype(float)
    if definition == "measured":
        return knowledge["measured_known_rate"].astype(float)
    if definition == "truth" and "known_correct" in knowledge.columns:
        return (knowledge["known_correct"] + knowledge["known_wrong"]) / knowledge["n"]
    raise InputError("knowledge.csv", f"has no known rate by {definition!r} (study: {own})")


def known_rate_table(
    knowledge: pd.DataFrame, definition: str | None = None, split: str = "pool"
) -> pd.DataFrame:
    """Known rates on ``split`` by ``definition`` (``known_rates``), one row per world seed and
    one column per model."""
    rows = knowledge[knowledge["split"] == split]
    rows = rows.assign(rate=known_rates(rows, definition))
    return rows.pivot(index="world_seed", columns="model", values="rate")


def other_definition(knowledge: pd.DataFrame) -> str | None:
    """The definition a study's sensitivity rows use: ``measured`` (the paper's rule) beside any
    other, ``truth`` beside ``measured`` where the world has a ground truth, else none."""
    own = study_definition(knowledge)
    if own != "measured":
        return "measured"
    has_truth = "known_correct" in knowledge.columns and knowledge["known_correct"].notna().all()
    return "truth" if has_truth else None


def _rate(flags: pd.Series) -> float | None:
    return float(flags.mean()) if len(flags) else None


def knowledge_gaps(
    knowledge: pd.DataFrame,
    student: str,
    teachers: list[str],
    *,
    split: str = "pool",
    margin: float = 0.1,
    definition: str | None = None,
) -> pd.DataFrame:
    """Per world: each model's known rate on ``split`` by ``definition`` (``known_rates``; the
    study's own when ``None``), each teacher's gap over the student, and whether the success
    rule holds there: every teacher at least ``margin`` above the student, and each teacher above
    the one before it (``teachers`` in order of size)."""
    rates = known_rate_table(knowledge, definition, split)
    missing = [m for m in [student, *teachers] if m not in rates.columns]
    if missing:
        raise InputError("knowledge", f"no {split} knowledge for {missing}")
    table = rates[[student, *teachers]].copy()
    for teacher in teachers:
        table[f"gap_{teacher}"] = table[teacher] - table[student]
    ordered = [table[a] < table[b] for a, b in zip(teachers, teachers[1:], strict=False)]
    wide = [table[f"gap_{t}"] >= margin for t in teachers]
    table["rule_met"] = pd.concat(wide + ordered, axis=1).all(axis=1)
    table["definition"] = definition or study_definition(knowledge)
    return table.reset_index()
