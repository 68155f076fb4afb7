"""Fine-tuning sets ("recipes") built from answer tables.

Every recipe function returns a table with ``RECIPE_COLUMNS``: one row per pool question, sorted by
``question_id``; ``target`` is the answer to teach (``None`` = abstain). New recipe kinds are new
functions that start from :func:`pool_frame` and fill ``target`` / ``teacher_correct`` via
:func:`with_targets`, so every kind has the same schema and :func:`recipe_stats` applies to all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import pandas as pd

from mismatch.errors import InputError

ANSWER_TABLE_COLUMNS = ("question_id", "question", "answers", "prediction", "answer", "correct")
_REQUIRED_ANSWER_COLUMNS = ("question_id", "question", "answers", "correct")
RECIPE_COLUMNS = (
    "question_id",
    "question",
    "answers",
    "target",
    "abstain",
    "teacher_correct",
    "student_knows",
)


def pool_frame(student_pool: pd.DataFrame, *, name: str = "student_pool") -> pd.DataFrame:
    """The student's pool questions sorted by id, with ``student_knows`` (own answer correct)."""
    _check_answer_table(student_pool, name)
    pool = student_pool.sort_values("question_id", kind="stable").reset_index(drop=True)
    return pd.DataFrame(
        {
            "question_id": pool["question_id"].astype(str),
            "question": pool["question"].astype(str),
            "answers": [list(map(str, a)) for a in pool["answers"]],
            "student_knows": pool["correct"].astype(bool),
        }
    )


def with_targets(
    pool: pd.DataFrame, answered: Sequence[bool], teacher_correct: Sequence[bool]
) -> pd.DataFrame:
    """Complete a :func:`pool_frame`: gold ``answers[0]`` where ``answered``, else abstain."""
    answered = [bool(a) for a in answered]
    recipe = pool.copy()
    targets = [a[0] if keep else None for a, keep in zip(pool["answers"], answered, strict=True)]
    recipe["target"] = pd.Series(targets, dtype=object)
    recipe["abstain"] = [not keep for keep in answered]
    recipe["teacher_correct"] = [bool(c) for c in teacher_correct]
    return recipe.loc[:, list(RECIPE_COLUMNS)]


def teacher_recipe(
    teacher_pool: pd.DataFrame,
    student_pool: pd.DataFrame,
    *,
    teacher_name: str = "teacher_pool",
    student_name: str = "student_pool",
) -> pd.DataFrame:
    """Gold answer where the teacher answered correctly, abstention elsewhere.

    ``teacher_recipe(student_pool, student_pool)`` is the ``own`` recipe. ``teacher_name`` and
    ``student_name`` (e.g. file paths) name the inputs in error messages.
    """
    pool = pool_frame(student_pool, name=student_name)
    _check_answer_table(teacher_pool, teacher_name)
    teacher = teacher_pool.set_index(teacher_pool["question_id"].astype(str))
    missing = set(pool["question_id"]) ^ set(teacher.index)
    if missing:
        example = sorted(missing)[:3]
        raise InputError(
            teacher_name,
            f"covers different question ids than {student_name} "
            f"({len(missing)} differ, e.g. {example})",
        )
    teacher_correct = teacher.loc[pool["question_id"], "correct"].astype(bool).to_numpy()
    return with_targets(pool, teacher_correct, teacher_correct)


def gold_recipe(student_pool: pd.DataFrame, *, student_name: str = "student_pool") -> pd.DataFrame:
    """Gold answer for every pool question (no abstention)."""
    pool = pool_frame(student_pool, name=student_name)
    everything = [True] * len(pool)
    return with_targets(pool, everything, everything)


def recipe_stats(recipe: pd.DataFrame) -> dict[str, Any]:
    """Counts, abstention share, and mismatch fraction (answered targets the student gets wrong)."""
    missing = [c for c in RECIPE_COLUMNS if c not in recipe.columns]
    if missing:
        raise ValueError(f"not a recipe table: missing columns {missing}")
    n = len(recipe)
    abstain = recipe["abstain"].astype(bool)
    answered = ~abstain
    n_answered = int(answered.sum())
    n_mismatch = int((answered & ~recipe["student_knows"].astype(bool)).sum())
    return {
        "n_examples": n,
        "n_answered": n_answered,
        "n_abstain": int(abstain.sum()),
        "n_mismatch": n_mismatch,
        "abstention_share": float(abstain.sum()) / n if n else None,
        "mismatch_fraction": n_mismatch / n_answered if n_answered else None,
        "question_ids_sha256": question_ids_digest(recipe["question_id"]),
    }


def question_ids_digest(question_ids: Sequence[str] | pd.Series) -> str:
    """sha256 of the sorted question ids (one per line): equal digests mean equal question sets."""
    joined = "\n".join(sorted(map(str, question_ids)))
    return hashlib.sha256(joined.encode()).hexdigest()


def _check_answer_table(table: pd.DataFrame, name: str) -> None:
    missing = [c for c in _REQUIRED_ANSWER_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(name, f"not an answer table: missing columns {missing}")
    if table["question_id"].duplicated().any():
        raise InputError(name, "duplicate question_id values")


def build_recipe(
    spec: dict[str, Any],
    *,
    teacher_pool: pd.DataFrame,
    student_pool: pd.DataFrame,
    teacher_name: str = "teacher_pool",
    student_name: str = "student_pool",
) -> pd.DataFrame:
    """The fine-tuning set a config recipe (``recipes.<name>``) describes."""
    kind = spec["kind"]
    if kind == "teacher":
        return teacher_recipe(teacher_pool, student_pool,
                              teacher_name=teacher_name, student_name=student_name)
    if kind == "gold":
        return gold_recipe(student_pool, student_name=student_name)
    raise InputError("recipes", f"unknown recipe kind {kind!r}")
