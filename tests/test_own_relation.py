"""Knowing with exemplars of the question's own relation, several exemplar sets and format
failures apart (mismatch/knowing/own_relation.py, issue 31 item 2)."""

import pandas as pd
import pytest

from mismatch.answers.vocabulary import vocabulary_from_questions
from mismatch.errors import InputError
from mismatch.knowing.own_relation import (
    MAJORITY,
    OWN_RELATION_DEFINITIONS,
    by_relation,
    format_failures,
    majority_knows,
    relation_exemplar_sets,
)

FORMAT = pd.DataFrame(
    {
        "question_id": [f"f{i}" for i in range(9)],
        "question": [f"Q{i}?" for i in range(9)],
        "answers": [
            ["Paris"],
            ["Rome"],
            ["Oslo"],
            ["Lima"],
            ["France"],
            ["Italy"],
            ["Peru"],
            ["Chile"],
            ["Spain"],
        ],  # fmt: skip
        "relation": ["capital"] * 4 + ["city_country"] * 5,
    }
)


def test_exemplars_come_from_the_questions_own_relation():
    sets = relation_exemplar_sets(FORMAT, k=2, seed=1, n_sets=3)
    assert set(sets) == {"capital", "city_country"}
    for relation, samples in sets.items():
        assert len(samples) == 3
        for sample in samples:
            assert len(sample) == 2 and set(sample["relation"]) == {relation}
    again = relation_exemplar_sets(FORMAT, k=2, seed=1, n_sets=3)
    assert all(a.equals(b) for r in sets for a, b in zip(sets[r], again[r], strict=True))
    assert not sets["city_country"][0].equals(sets["city_country"][1])  # sets differ
    with pytest.raises(InputError, match="relation 'capital' has 4 format question"):
        relation_exemplar_sets(FORMAT, k=5, seed=1)


def test_questions_are_answered_relation_by_relation_in_their_order():
    questions = FORMAT.iloc[[5, 0, 6, 1]].reset_index(drop=True)
    sets = {r: s[0] for r, s in relation_exemplar_sets(FORMAT, 2, seed=1).items()}
    seen = []

    def answer(group, exemplars):
        seen.append((set(group["relation"]), set(exemplars["relation"])))
        return group.assign(answer=group["relation"], correct=True)

    out = by_relation(questions, sets, answer)
    assert out["question_id"].tolist() == questions["question_id"].tolist()
    assert all(asked == given for asked, given in seen) and len(seen) == 2
    with pytest.raises(InputError, match="no exemplars of relation 'city_country'"):
        by_relation(questions, {"capital": sets["capital"]}, answer)


def test_the_sensitivity_definition_is_a_majority_of_exemplar_sets():
    runs = [
        pd.DataFrame({"question_id": ["a", "b", "c"], "correct": flags})
        for flags in ([True, True, False], [True, False, False], [False, True, True])
    ]
    assert majority_knows(runs).to_dict() == {"a": True, "b": True, "c": False}
    assert majority_knows(runs[:2]).to_dict() == {"a": True, "b": False, "c": False}  # 1 of 2
    assert MAJORITY in OWN_RELATION_DEFINITIONS


def test_format_failures_are_counted_per_relation():
    vocabulary = vocabulary_from_questions(FORMAT)
    answers = pd.DataFrame(
        {"question_id": ["f0", "f1", "f4", "f5"], "answer": ["France", "Rome", "Lima", "Italy"]}
    )
    table = format_failures(answers, FORMAT.set_index("question_id")["relation"], vocabulary)
    assert table.set_index("relation")["format_failures"].to_dict() == {
        "capital": 1,  # a country for a capital question
        "city_country": 1,  # a capital for a country question
    }
    assert table["format_failure_rate"].tolist() == [50.0, 50.0]
