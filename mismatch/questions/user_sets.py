"""Users' own question sets (parquet or JSON lines), checked against the question-set schema.

Schema: ``question_id`` (unique), ``question`` (text), ``answers`` (non-empty list of aliases,
canonical first); optional ``entity``, ``attribute`` (a null cell is "not given": the question is
its own entity, its attribute ``fact``). Every problem is an ``InputError`` whose one
line names the file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from mismatch.errors import InputError
from mismatch.io import read_parquet
from mismatch.questions.triviaqa import question_keys

REQUIRED_COLUMNS = ("question_id", "question", "answers")
OPTIONAL_COLUMNS = ("entity", "attribute")
SUFFIXES = (".parquet", ".jsonl")


def load_question_file(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and check one question set; ``answers`` become lists of stripped, non-empty strings."""
    path = Path(path)
    where = str(path)
    if path.suffix not in SUFFIXES:
        raise InputError(where, f"unsupported file type {path.suffix!r} (use .parquet or .jsonl)")
    if not path.is_file():
        raise InputError(where, "file does not exist")
    if path.suffix == ".parquet":
        table = read_parquet(path)
    else:
        try:
            table = pd.read_json(path, lines=True, dtype=False)
        except ValueError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(where, f"not readable JSON lines ({first})") from exc
    return check_questions(table, where)


def check_questions(table: pd.DataFrame, where: str) -> pd.DataFrame:
    """``table`` in the question-set schema, or an ``InputError`` naming ``where``."""
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            where,
            f"missing column(s) {', '.join(missing)}; "
            "a question set needs question_id, question and answers",
        )
    if table.empty:
        raise InputError(where, "no questions; give at least one")
    ids = table["question_id"].astype(str)
    repeated = sorted(set(ids[ids.duplicated()]))
    if repeated:
        raise InputError(
            where,
            f"duplicate question_id {', '.join(repeated[:3])}; give every question its own id",
        )
    questions = table["question"].map(lambda q: q.strip() if isinstance(q, str) else "")
    if (questions == "").any():
        raise InputError(
            where, f"question {ids[questions == ''].iloc[0]} has no text; fill it in or drop it"
        )
    answers = [_aliases(a) for a in table["answers"]]
    empty = [qid for qid, a in zip(ids, answers, strict=True) if not a]
    if empty:
        raise InputError(
            where, f"question {empty[0]} has no answer aliases (answers: a list of strings)"
        )
    checked = pd.DataFrame(
        {"question_id": ids.to_list(), "question": questions.to_list(), "answers": answers}
    )
    defaults = {"entity": ids.to_list(), "attribute": ["fact"] * len(ids)}
    for column in OPTIONAL_COLUMNS:  # a null cell is "not given": the row's default
        if column in table.columns:
            checked[column] = [
                fallback if _missing(value) else str(value)
                for value, fallback in zip(table[column], defaults[column], strict=True)
            ]
    return checked


def check_disjoint(sets: Mapping[str, pd.DataFrame]) -> None:
    """No two sets (keyed by file name) share a question id, a normalised question text or an
    ``entity`` (a cluster in two splits would leak what the test asks into the pool)."""
    names = list(sets)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            a, b = sets[first], sets[second]
            if "entity" in a.columns and "entity" in b.columns:
                entities = sorted(set(a["entity"].astype(str)) & set(b["entity"].astype(str)))
                if entities:
                    raise InputError(
                        first,
                        f"shares {len(entities)} entity(ies) with {second}, e.g. "
                        f"{entities[0]!r}: an entity's questions belong to one split (move them)",
                    )
            shared = set(a["question_id"]) & set(b["question_id"])
            shared |= set(a.loc[question_keys(a).isin(set(question_keys(b))), "question_id"])
            if shared:
                example = sorted(shared)[0]
                raise InputError(
                    first, f"shares {len(shared)} question(s) with {second}, e.g. {example}"
                )


def _missing(value: object) -> bool:
    """A null cell (None, NaN, a blank string)."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, float) and np.isnan(value))


def _aliases(value: object) -> list[str]:
    if isinstance(value, str) or not isinstance(value, list | tuple | np.ndarray):
        return []
    return [a.strip() for a in value if isinstance(a, str) and a.strip()]


CLUSTERS = {"entity": "entity", "question": "question_id"}
"""analysis.cluster -> the question-table column that names each question's person."""


def persons_of(questions: pd.DataFrame, cluster: str, name: str) -> pd.Series:
    """The person (cluster: ``entity`` or ``question``; ``auto`` picks entity when present) of
    each question of a question table, as strings indexed by question id; ``name`` names the
    table in the one-line error when the cluster column is missing."""
    if cluster == "auto":
        cluster = "entity" if "entity" in questions.columns else "question"
    column = CLUSTERS[cluster]
    if column not in questions.columns:
        raise InputError(
            name, f"analysis.cluster is {cluster!r} but the questions have no {column!r}"
        )
    return pd.Series(
        questions[column].astype(str).to_numpy(), index=questions["question_id"].astype(str)
    )
