"""Who knows what: the one table per model and split that says whether the model knows each
question, by one named definition.

The ``knows`` rule writes :func:`knows_table` for each (definition, model, split) a study needs;
recipes, sweep checks, preconditions, labels, knowledge reports and every analysis read it.
Graded correctness of an answer stays ``correct`` (``mismatch.answers.grading``); whether a model
*knows* a question is ``knows``, a separate column with the definition that decided it.
"""

from __future__ import annotations

import pandas as pd

from mismatch.answers.grading import contains_alias
from mismatch.errors import InputError

DEFINITIONS = {
    "measured": "its k-shot greedy answer is graded correct (answering.grading; the paper's rule)",
    "contains": "a gold alias occurs as whole words in its k-shot greedy answer",
    "slick": "its SliCK greedy P(correct) > 0 over the exemplar sets (HighlyKnown or MaybeKnown)",
    "truth": "the synthetic world's ground truth (slice world: the facts it was given in "
    "pretraining; exposure world: it answers the held-out paraphrased question)",
}
KNOWS_COLUMNS = ("question_id", "knows", "definition")


def knows_table(
    answers: pd.DataFrame,
    definition: str,
    *,
    truth: pd.DataFrame | None = None,
    categories: pd.DataFrame | None = None,
    name: str = "answers",
) -> pd.DataFrame:
    """One row per question of ``answers`` (a graded answer table): does the model know it, by
    ``definition`` (one of ``DEFINITIONS``). ``truth`` (question_id, truly_known) is needed for
    ``truth``, ``categories`` (question_id, p_correct_greedy) for ``slick``."""
    if definition not in DEFINITIONS:
        raise InputError(
            name,
            f"unknown definition of knowing {definition!r}; expected one of {sorted(DEFINITIONS)}",
        )
    if answers["question_id"].duplicated().any():
        raise InputError(name, "several rows per question_id")
    if definition == "measured":
        knows = answers["correct"].astype(bool).tolist()
    elif definition == "contains":
        knows = [
            contains_alias(str(a), list(g))
            for a, g in zip(answers["answer"], answers["answers"], strict=True)
        ]
    elif definition == "truth":
        if truth is None:
            raise InputError(name, "definition truth needs the model's ground-truth table")
        knows = per_question(truth, "truly_known", answers, name, "ground truth").tolist()
    else:
        if categories is None:
            raise InputError(name, "definition slick needs the model's SliCK categories")
        p_greedy = per_question(categories, "p_correct_greedy", answers, name, "SliCK category")
        knows = (p_greedy > 0).tolist()
    return pd.DataFrame(
        {
            "question_id": answers["question_id"].astype(str).to_numpy(),
            "knows": [bool(k) for k in knows],
            "definition": definition,
        },
        columns=list(KNOWS_COLUMNS),
    )


def knows_by_question(knows: pd.DataFrame, name: str = "knows") -> pd.Series:
    """``knows`` of a :func:`knows_table` as a bool Series indexed by question id."""
    missing = [c for c in KNOWS_COLUMNS if c not in knows.columns]
    if missing:
        raise InputError(name, f"not a knows table: missing columns {missing}")
    return knows.set_index(knows["question_id"].astype(str))["knows"].astype(bool)


def with_knows(answers: pd.DataFrame, knows: pd.DataFrame, name: str = "knows") -> pd.DataFrame:
    """``answers`` with a ``knows`` column from ``knows`` (a :func:`knows_table` of the same
    questions); one line naming ``name`` if a question has no entry."""
    by_question = knows_by_question(knows, name)
    ids = answers["question_id"].astype(str)
    absent = sorted(set(ids) - set(by_question.index))
    if absent:
        raise InputError(name, f"no knows entry for {len(absent)} question(s), e.g. {absent[0]}")
    return answers.assign(knows=by_question.loc[ids].to_numpy())


def knows_column(answers: pd.DataFrame) -> tuple[pd.Series, str]:
    """The ``knows`` column of a gathered answer table and the definition named in it."""
    if "knows" not in answers.columns:
        raise InputError("gathered answers", "no knows column; regather them (rule gather_labels)")
    return answers["knows"].astype(bool), definition_of(answers, "gathered answers")


def definition_of(knows: pd.DataFrame, name: str = "knows") -> str:
    """The one definition a knows table was decided by."""
    definitions = sorted(set(knows["definition"]))
    if len(definitions) != 1:
        raise InputError(name, f"expected one definition of knowing, found {definitions}")
    return definitions[0]


def per_question(
    table: pd.DataFrame, column: str, answers: pd.DataFrame, name: str, what: str
) -> pd.Series:
    """``table[column]`` for each of ``answers``' questions, in their order; one line naming
    ``what`` is missing for how many questions otherwise."""
    if table["question_id"].duplicated().any():
        raise InputError(name, f"several {what} rows per question_id")
    values = table.set_index("question_id")[column]
    missing = sorted(set(answers["question_id"]) - set(values.index))
    if missing:
        raise InputError(name, f"no {what} for {len(missing)} question(s), e.g. {missing[0]}")
    return values.loc[answers["question_id"]].reset_index(drop=True)
