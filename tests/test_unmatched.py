"""The most frequent answers graded neither correct nor abstain, per student."""

import pandas as pd

from mismatch.answers.unmatched import COLUMNS, frequent_unmatched_answers, normalised_answer


def _labels(rows):
    return pd.DataFrame(rows, columns=["student", "recipe", "answer", "label"])


def test_counts_variants_as_one_answer_and_ranks_by_count():
    labels = _labels(
        [
            ("s", "own", "I'm not sure.", "wrong"),
            ("s", "other", "i'm  not sure", "wrong"),
            ("s", "other", "Paris", "wrong"),
            ("s", "own", "Lyon", "correct"),
            ("s", "own", "I don't know", "abstain"),
            ("t", "own", "The answer is", "malformed"),
        ]
    )
    table = frequent_unmatched_answers(labels, top=5)
    assert list(table.columns) == COLUMNS
    first = table.iloc[0]
    assert (first["student"], first["answer"], first["count"]) == ("s", "i'm not sure", 2)
    assert first["share"] == 2 / 3 and first["recipes"] == "other, own"
    assert set(table["answer"]) == {"i'm not sure", "paris", "the answer is"}  # no correct/abstain
    assert table.set_index("student").loc["t", "label"] == "malformed"


def test_keeps_top_per_student_and_handles_no_unmatched():
    labels = _labels([("s", "own", f"a{i}", "wrong") for i in range(12)])
    assert len(frequent_unmatched_answers(labels, top=3)) == 3
    assert frequent_unmatched_answers(labels.assign(label="correct")).empty
    assert normalised_answer(" The  Answer. ") == "the answer"


def test_the_report_names_the_studys_cluster_unit():
    from mismatch.report.rendering import name_clusters

    text = "Persons resampled; per-person differences over 6 persons; a person-level interval."
    assert name_clusters(text, "person") == text
    assert name_clusters(text, "country") == (
        "Countries resampled; per-country differences over 6 countries; a country-level interval."
    )
    assert name_clusters("persons", "question") == "questions"
