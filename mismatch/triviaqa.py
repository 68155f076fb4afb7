"""TriviaQA (``mandarjoshi/trivia_qa``, ``rc.nocontext``) as the study's pool, test and format sets.

The unseen test set is sampled from ``validation``; the pool and the exemplar (``format``) set
from ``train``, disjoint. Repeated questions are dropped, and so is every train question whose
normalised text is also a test question. Aliases: ``answer.value`` first, then ``aliases`` and
``normalized_aliases``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from mismatch.errors import InputError
from mismatch.grading import normalize_answer
from mismatch.io import read_json

SOURCE_SPLITS = ("train", "validation")
QUESTION_COLUMNS = ["question_id", "question", "answers"]
TRIVIAQA_COLUMNS = ("question_id", "question", "answer")


def dataset_source(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Where the files are: a fetch_dataset pointer (``.json``) as is, or a local directory."""
    if str(path).endswith(".json"):
        pointer = read_json(path)
        if not isinstance(pointer, dict) or "path" not in pointer:
            raise InputError(str(path), "not a dataset pointer (no 'path' key)")
        return pointer
    return {"path": str(path)}


def split_files(root: str | os.PathLike[str], name: str) -> dict[str, list[str]]:
    """Parquet files per source split: ``<root>/<name>/<split>-*.parquet`` (hub layout) or
    ``<root>/<split>-*.parquet``."""
    base = Path(root) / name if (Path(root) / name).is_dir() else Path(root)
    files = {s: sorted(str(p) for p in base.glob(f"{s}-*.parquet")) for s in SOURCE_SPLITS}
    for split, found in files.items():
        if not found:
            raise InputError(str(root), f"no {split}-*.parquet files in {base}")
    return files


def load_triviaqa(root: str | os.PathLike[str], name: str) -> dict[str, pd.DataFrame]:
    """Train and validation questions of a local TriviaQA copy, in the question-set schema."""
    import datasets

    files = split_files(root, name)
    with tempfile.TemporaryDirectory() as cache:  # datasets' arrow cache, not the user's
        loaded = datasets.load_dataset(
            "parquet", data_files=files, cache_dir=cache, columns=list(TRIVIAQA_COLUMNS)
        )
        return {split: to_questions(loaded[split].to_list(), files[split][0]) for split in files}


def answer_aliases(answer: Mapping[str, Any]) -> list[str]:
    """Gold aliases of one TriviaQA ``answer`` struct: the value first, no repeats, no blanks."""
    candidates = [
        answer.get("value"),
        *(answer.get("aliases") or []),
        *(answer.get("normalized_aliases") or []),
    ]
    aliases: list[str] = []
    for alias in candidates:
        text = (alias or "").strip()
        if text and text not in aliases:
            aliases.append(text)
    return aliases


def to_questions(rows: list[Mapping[str, Any]], source: str = "triviaqa") -> pd.DataFrame:
    """TriviaQA rows as question_id, question, answers; rows without any alias are dropped."""
    records = [
        {
            "question_id": str(r["question_id"]),
            "question": str(r["question"]).strip(),
            "answers": answer_aliases(r["answer"]),
        }
        for r in rows
    ]
    table = pd.DataFrame(records, columns=QUESTION_COLUMNS)
    if table.empty:
        raise InputError(source, "no questions")
    return table[table["answers"].map(len) > 0].reset_index(drop=True)


def question_keys(questions: pd.DataFrame) -> pd.Series:
    """The normalised text of each question (TriviaQA normalisation), for matching repeats."""
    return questions["question"].map(normalize_answer)


def drop_duplicates(questions: pd.DataFrame) -> pd.DataFrame:
    """The first of every repeated question id or normalised question text."""
    keep = ~questions["question_id"].duplicated() & ~question_keys(questions).duplicated()
    return questions[keep].reset_index(drop=True)


def drop_overlap(questions: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    """``questions`` without those whose id or normalised text occurs in ``other``."""
    same_text = question_keys(questions).isin(set(question_keys(other)))
    keep = ~same_text & ~questions["question_id"].isin(other["question_id"])
    return questions[keep].reset_index(drop=True)


def sample_question_sets(
    train: pd.DataFrame,
    validation: pd.DataFrame,
    *,
    pool_size: int,
    test_size: int,
    format_size: int,
    seed: int,
) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """The pool, test and format sets, and counts of what was dropped on the way.

    The format set comes first in the seeded shuffle of train, so a smaller pool is a prefix of a
    larger one for the same seed and format size.
    """
    validation_unique = drop_duplicates(validation)
    _require(len(validation_unique), test_size, "test_size", "validation")
    test = validation_unique.sample(n=test_size, random_state=seed).reset_index(drop=True)
    train_unique = drop_duplicates(train)
    train_unseen = drop_overlap(train_unique, test)
    _require(len(train_unseen), pool_size + format_size, "pool_size + format_size", "train")
    shuffled = train_unseen.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    sets = {
        "format": shuffled.iloc[:format_size].reset_index(drop=True),
        "pool": shuffled.iloc[format_size : format_size + pool_size].reset_index(drop=True),
        "test": test,
    }
    counts = {
        "train_rows": len(train),
        "validation_rows": len(validation),
        "train_repeats_dropped": len(train) - len(train_unique),
        "validation_repeats_dropped": len(validation) - len(validation_unique),
        "train_in_test_dropped": len(train_unique) - len(train_unseen),
    }
    return sets, counts


def _require(available: int, wanted: int, key: str, split: str) -> None:
    if wanted > available:
        raise InputError(
            f"questions.triviaqa.{key}",
            f"asks for {wanted} questions but {split} has only {available} usable ones",
        )
