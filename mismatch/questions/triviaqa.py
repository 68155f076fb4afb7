"""TriviaQA (``mandarjoshi/trivia_qa``, ``rc.nocontext``) as the study's pool, test and format sets.

The unseen test set is sampled from ``validation``; the pool and the exemplar (``format``) set
from ``train``, disjoint. Repeated questions (same id or same normalised text) become one, with
the aliases of every copy. Every train question that is a test question or a near-duplicate of
one is dropped: **near-duplicate** means the Jaccard similarity of the two questions' sets of
normalised words (TriviaQA normalisation: lower case, no punctuation, no articles) is at least
``NEAR_DUPLICATE_JACCARD`` = 0.8, e.g. "What is the capital city of France?" and "What is the
capital of France" (5 of 6 words), or a reordering of the same words; "Who wrote Hamlet?" and
"Who wrote Macbeth?" (2 of 4) are not. Aliases: ``answer.value`` first, then ``aliases`` and
``normalized_aliases``.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from mismatch.answers.grading import normalize_answer
from mismatch.errors import InputError
from mismatch.io import read_json

SOURCE_SPLITS = ("train", "validation")
QUESTION_COLUMNS = ["question_id", "question", "answers"]
TRIVIAQA_COLUMNS = ("question_id", "question", "answer")
NEAR_DUPLICATE_JACCARD = 0.8


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
    """One row per question: rows with a repeated question id or normalised question text are
    merged into the first, whose aliases are followed by the others' new ones."""
    keys = question_keys(questions)
    ids = questions["question_id"].astype(str)
    group = list(range(len(questions)))  # union-find over "same id" and "same text"
    first_of: dict[tuple[str, str], int] = {}
    for row, key in enumerate(zip(["id"] * len(ids), ids, strict=True)):
        _union(group, first_of.setdefault(key, row), row)
    for row, key in enumerate(zip(["text"] * len(keys), keys, strict=True)):
        _union(group, first_of.setdefault(key, row), row)
    roots = [_find(group, row) for row in range(len(questions))]
    aliases: dict[int, list[str]] = {}
    for row, root in enumerate(roots):
        merged = aliases.setdefault(root, [])
        merged.extend(a for a in questions["answers"].iloc[row] if a not in merged)
    keep = [row for row, root in enumerate(roots) if row == root]
    merged_table = questions.iloc[keep].reset_index(drop=True).copy()
    merged_table["answers"] = [aliases[row] for row in keep]
    return merged_table


def _find(group: list[int], row: int) -> int:
    while group[row] != row:
        group[row] = group[group[row]]
        row = group[row]
    return row


def _union(group: list[int], a: int, b: int) -> None:
    a, b = _find(group, a), _find(group, b)
    if a != b:
        group[max(a, b)] = min(a, b)  # the earliest row is the root, so it is the one kept


def word_sets(questions: pd.DataFrame) -> list[frozenset[str]]:
    """The set of normalised words of each question."""
    return [frozenset(key.split()) for key in question_keys(questions)]


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a & b| / |a | b| (0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def near_duplicates(
    questions: pd.DataFrame, other: pd.DataFrame, threshold: float = NEAR_DUPLICATE_JACCARD
) -> pd.Series:
    """Whether each of ``questions`` has a question in ``other`` whose word-set Jaccard
    similarity is at least ``threshold``.

    Prefix filtering keeps this fast on all of TriviaQA: with words ordered rarest first, two sets
    with Jaccard >= t share a word among the first ``|x| - ceil(t |x|) + 1`` words of each, so only
    those words are indexed and probed, and the candidates are then checked exactly.
    """
    mine, theirs = word_sets(questions), word_sets(other)
    frequency = Counter(w for words in (*mine, *theirs) for w in words)

    def prefix(words: frozenset[str]) -> list[str]:
        ordered = sorted(words, key=lambda w: (frequency[w], w))
        return ordered[: len(ordered) - math.ceil(threshold * len(ordered)) + 1]

    index: dict[str, list[int]] = {}
    for j, words in enumerate(theirs):
        for word in prefix(words):
            index.setdefault(word, []).append(j)
    flags = []
    for words in mine:
        candidates = {j for word in prefix(words) for j in index.get(word, ())}
        flags.append(any(jaccard(words, theirs[j]) >= threshold for j in candidates))
    return pd.Series(flags, index=questions.index, dtype=bool)


def drop_overlap(
    questions: pd.DataFrame, other: pd.DataFrame, threshold: float | None = NEAR_DUPLICATE_JACCARD
) -> pd.DataFrame:
    """``questions`` without those whose id or normalised text occurs in ``other`` and, unless
    ``threshold`` is ``None``, without near-duplicates of ``other``'s questions."""
    same_text = question_keys(questions).isin(set(question_keys(other)))
    keep = ~same_text & ~questions["question_id"].isin(other["question_id"])
    if threshold is not None:
        keep &= ~near_duplicates(questions, other, threshold)
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
    train_not_in_test = drop_overlap(train_unique, test, threshold=None)
    train_unseen = drop_overlap(train_not_in_test, test)
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
        "train_in_test_dropped": len(train_unique) - len(train_not_in_test),
        "train_near_test_dropped": len(train_not_in_test) - len(train_unseen),
        "near_duplicate_jaccard": NEAR_DUPLICATE_JACCARD,
    }
    return sets, counts


def _require(available: int, wanted: int, key: str, split: str) -> None:
    if wanted > available:
        raise InputError(
            f"questions.triviaqa.{key}",
            f"asks for {wanted} questions but {split} has only {available} usable ones",
        )
