"""Question sets from facts: the package facts (``mismatch.questions.package_facts``) or the user's
own fact
table, split into pool, test and format sets by cluster (no cluster in two sets).

A fact table is one parquet, CSV or JSONL file with a ``question`` and its gold ``answers`` (a
list; in a CSV a JSON list or aliases separated by ``|``), and optional ``relation``, ``cluster``
(what the questions' independence is assessed by; default: each question its own) and
``popularity`` columns. An optional column may hold nulls (JSON ``null``, an empty CSV cell,
a parquet null): "not given" for that row, which then takes the column's default (relation
``fact``, its own cluster, no popularity: NaN). A bad table is refused in one line that names
the file, the column or row and what is wrong.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mismatch.answers.vocabulary import Vocabulary, vocabulary_from_questions
from mismatch.errors import InputError

SUFFIXES = (".parquet", ".csv", ".jsonl")
SPLITS = ("pool", "test", "format")


def _read(path: Path) -> pd.DataFrame:
    where = str(path)
    if path.suffix not in SUFFIXES:
        raise InputError(where, f"unsupported fact table type {path.suffix!r} (use {SUFFIXES})")
    if not path.is_file():
        raise InputError(where, "fact table does not exist")
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        if path.suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False)
        return pd.read_json(path, lines=True, dtype=False)
    except (ValueError, OSError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(where, f"not a readable {path.suffix[1:]} file ({first})") from exc


def _answers(value: Any) -> list[str]:
    """The gold aliases of one row: a list, a JSON list in a string, or ``a|b|c``."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                return []
        else:
            value = text.split("|")
    if isinstance(value, list | tuple | np.ndarray):
        return [a.strip() for a in value if isinstance(a, str) and a.strip()]
    return []


def load_fact_table(path: str | Path) -> pd.DataFrame:
    """The user's fact table in the question-set schema (question_id, question, answers,
    relation, entity, popularity), or a one-line ``InputError``."""
    path = Path(path)
    where = str(path)
    table = _read(path)
    missing = [c for c in ("question", "answers") if c not in table.columns]
    if missing:
        raise InputError(where, f"missing column(s) {', '.join(missing)} (a fact table needs "
                         "question and answers)")  # fmt: skip
    if table.empty:
        raise InputError(where, "no rows; give at least one fact")
    questions = table["question"].map(lambda q: q.strip() if isinstance(q, str) else "")
    for row, text in enumerate(questions):
        if not text:
            raise InputError(where, f"row {row + 1}: column question is empty")
    duplicated = questions[questions.str.lower().duplicated()]
    if not duplicated.empty:
        raise InputError(where, f"row {duplicated.index[0] + 1}: question repeats an earlier "
                         f"row ({duplicated.iloc[0]!r})")  # fmt: skip
    answers = [_answers(a) for a in table["answers"]]
    for row, aliases in enumerate(answers):
        if not aliases:
            raise InputError(where, f"row {row + 1}: column answers has no gold answer (a list, "
                             "a JSON list or answers separated by |)")  # fmt: skip
    ids = [f"q{row:06d}-{_digest(q)}" for row, q in enumerate(questions)]
    facts = pd.DataFrame({"question_id": ids, "question": questions, "answers": answers})
    facts["relation"] = _optional(table, "relation", ["fact"] * len(ids))
    facts["entity"] = _optional(table, "cluster", ids)
    if "popularity" in table:
        given = ~table["popularity"].map(_missing).to_numpy()
        popularity = pd.to_numeric(table["popularity"].where(given), errors="coerce")
        bad = popularity.isna() & given
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(where, f"row {row + 1}: column popularity is not a number "
                             f"({table['popularity'].iloc[row]!r})")  # fmt: skip
        facts["popularity"] = popularity.to_numpy(dtype=float)
    return facts


def _missing(value: Any) -> bool:
    """A null cell: None, NaN, or a blank string (an empty CSV cell)."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, float) and np.isnan(value))


def _optional(table: pd.DataFrame, column: str, default: list[str]) -> list[str]:
    """An optional text column, each null cell replaced by that row's ``default``."""
    if column not in table:
        return list(default)
    return [
        fallback if _missing(value) else str(value).strip()
        for value, fallback in zip(table[column], default, strict=True)
    ]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def split_by_cluster(
    facts: pd.DataFrame,
    test_size: int,
    format_size: int,
    seed: int,
    where: str,
    pool_size: int | None = None,
) -> dict[str, pd.DataFrame]:
    """Pool, test and format sets: clusters (``entity``) in a seeded order go to the test set
    until it holds ``test_size`` questions, then to the format set until ``format_size``, the
    rest to the pool (until ``pool_size``, where given); no cluster is in two sets."""
    clusters = sorted(set(facts["entity"]))
    random.Random(f"facts-split-{seed}").shuffle(clusters)
    sizes = facts.groupby("entity").size()
    assigned: dict[str, str] = {}
    wanted = (("test", test_size), ("format", format_size), ("pool", pool_size or len(facts)))
    filled = dict.fromkeys(SPLITS, 0)
    for cluster in clusters:
        split = next((s for s, want in wanted if filled[s] < want), None)
        if split is None:
            break  # the pool is full: the remaining clusters are asked nowhere
        assigned[cluster] = split
        filled[split] += int(sizes[cluster])
    sets = {
        split: facts[facts["entity"].map(assigned) == split].reset_index(drop=True)
        for split in SPLITS
    }
    for split, table in sets.items():
        if table.empty:
            raise InputError(where, f"{len(facts)} facts in {len(clusters)} clusters leave the "
                             f"{split} set empty; lower the test or format size")  # fmt: skip
    return sets


@functools.cache
def _vocabulary(table: str | None, max_cities: int | None) -> Vocabulary:
    if table:
        return vocabulary_from_questions(load_fact_table(table))
    from mismatch.questions.package_facts import package_vocabulary

    return package_vocabulary(1500 if max_cities is None else max_cities)


def fact_vocabulary(spec: Mapping[str, Any] | None) -> Vocabulary | None:
    """The closed answer vocabularies of a fact study (``answering_settings``' ``vocabulary``:
    the user's ``table``, else the package facts with ``max_cities``), or None without one."""
    if not spec:
        return None
    return _vocabulary(spec.get("table"), spec.get("max_cities"))


def fact_sets(settings: Mapping[str, Any], seed: int) -> dict[str, pd.DataFrame]:
    """The pool, test and format sets of ``questions.facts`` (``table``: the user's file, else
    the package facts) for split seed ``seed``."""
    if settings.get("table"):
        facts, where = load_fact_table(settings["table"]), str(settings["table"])
    else:
        from mismatch.questions.package_facts import package_facts

        facts, where = package_facts(settings["max_cities"]), "questions.facts"
        relations = settings["relations"]
        facts = facts[facts["relation"].isin(relations)].reset_index(drop=True)
    sets = split_by_cluster(
        facts, settings["test_size"], settings["format_size"], seed, where, settings["pool_size"]
    )
    return {split: table.assign(attribute=table["relation"]) for split, table in sets.items()}
