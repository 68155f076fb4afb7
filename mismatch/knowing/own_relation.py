"""Knowing that measures knowledge, not format (issue 31): k-shot exemplars from the question's
own relation, several exemplar sets, and format failures counted apart from "does not know".

* ``relation_exemplar_sets``: per relation, ``n_sets`` seeded samples of ``k`` format questions
  of that relation (a capital question is asked after capital exemplars only);
* ``by_relation``: answer a question table relation by relation with that relation's exemplars,
  rows back in the table's order;
* ``majority_knows``: the sensitivity definition ``MAJORITY``: correct in a majority of the
  exemplar sets;
* ``format_failures``: per relation, answers that are a name of another relation's vocabulary
  (``mismatch.answers.vocabulary.answer_type``).

The definitions are named here (``OWN_RELATION_DEFINITIONS``) for the real-model study's next
run (docs/real-models.md, "Knowing in the next real-model run"); the config's
``knowledge.basis`` does not offer them yet (the knows rule answers with one exemplar set).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from mismatch.answers.vocabulary import Vocabulary, answer_type
from mismatch.errors import InputError

OWN_RELATION = "own_relation"
MAJORITY = "own_relation_majority"
OWN_RELATION_DEFINITIONS = {
    OWN_RELATION: "its k-shot greedy answer, after exemplars of the question's own relation, "
    "graded correct (contains with the relation's vocabulary)",
    MAJORITY: "its answer graded correct after a majority of several exemplar sets of the "
    "question's own relation (sensitivity definition)",
}


def relation_exemplar_sets(
    format_questions: pd.DataFrame, k: int, seed: int, n_sets: int = 1
) -> dict[str, list[pd.DataFrame]]:
    """Per relation of ``format_questions``, ``n_sets`` seeded samples of ``k`` of its rows
    (set ``i`` drawn with seed ``seed + i``); one line naming the relation if it has fewer than
    ``k`` format questions."""
    sets: dict[str, list[pd.DataFrame]] = {}
    for relation, rows in format_questions.groupby("relation", sort=True):
        if len(rows) < k:
            raise InputError(
                "format questions",
                f"relation {relation!r} has {len(rows)} format question(s), fewer than the "
                f"{k} exemplars asked; raise the format size or lower prompt.n_exemplars",
            )
        sets[str(relation)] = [
            rows.sample(n=k, random_state=seed + i).reset_index(drop=True) for i in range(n_sets)
        ]
    return sets


def by_relation(
    questions: pd.DataFrame,
    exemplars: Mapping[str, pd.DataFrame],
    answer: Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame],
) -> pd.DataFrame:
    """``answer(questions of one relation, that relation's exemplars)`` for every relation,
    concatenated in ``questions``' order (``question_id`` unique)."""
    missing = sorted(set(questions["relation"].astype(str)) - set(exemplars))
    if missing:
        raise InputError("format questions", f"no exemplars of relation {missing[0]!r}")
    parts = [
        answer(group.reset_index(drop=True), exemplars[str(relation)])
        for relation, group in questions.groupby("relation", sort=True)
    ]
    answered = pd.concat(parts, ignore_index=True).set_index("question_id")
    return answered.loc[questions["question_id"]].reset_index()


def majority_knows(runs: Sequence[pd.DataFrame]) -> pd.Series:
    """question_id -> correct in more than half of ``runs`` (graded answer tables of the same
    questions, one per exemplar set)."""
    if not runs:
        raise ValueError("majority_knows needs at least one answer table")
    correct = pd.concat(
        [run.set_index("question_id")["correct"].astype(bool) for run in runs], axis=1
    )
    if correct.isna().any().any():
        raise InputError("answers", "the exemplar sets' answer tables cover different questions")
    return (correct.sum(axis=1) * 2 > len(runs)).rename("knows")


def format_failures(
    answers: pd.DataFrame, relations: pd.Series, vocabulary: Vocabulary
) -> pd.DataFrame:
    """Per relation: answers, format failures (an answer that is a name of another relation's
    vocabulary) and their share in percent; ``relations`` maps question id -> relation."""
    relation = answers["question_id"].map(relations).astype(str)
    failed = [
        answer_type(str(a), r, vocabulary) == "other_relation"
        for a, r in zip(answers["answer"], relation, strict=True)
    ]
    table = pd.DataFrame({"relation": relation, "failed": failed})
    out = table.groupby("relation", sort=True)["failed"].agg(["size", "sum"]).reset_index()
    out.columns = ["relation", "answers", "format_failures"]
    out["format_failure_rate"] = 100 * out["format_failures"] / out["answers"]
    return out
