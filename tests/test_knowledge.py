"""Knowledge reports and the teacher-stronger-than-student precondition, on hand-made answers."""

from __future__ import annotations

import pandas as pd
import pytest

from mismatch.errors import InputError
from mismatch.knowing.knowledge_checks import (
    PreconditionError,
    check_preconditions,
    knowledge_report,
    known_rates,
    other_definition,
)
from mismatch.knowing.knows import knows_table


def _answers(correct: list[bool]) -> pd.DataFrame:
    """Pool answers whose knowing is their grading (the measured definition)."""
    ids = [f"q{i}" for i in range(len(correct))]
    return pd.DataFrame(
        {"question_id": ids, "correct": correct, "knows": correct, "definition": "measured"}
    )


def _report(answers: pd.DataFrame, truth: pd.DataFrame | None, split: str) -> dict:
    return knowledge_report(answers, knows_table(answers, "measured"), truth, split)


def test_knowledge_report_confusion_and_rates():
    answers = _answers([True, True, False, True, False, False])
    truth = pd.DataFrame(
        {
            "question_id": [f"q{i}" for i in range(5, -1, -1)],  # other order than the answers
            "truly_known": [False, False, True, True, True, True],
        }
    )  # q0..q3 known, q4 and q5 unknown
    report = _report(answers, truth, "pool")
    assert report["split"] == "pool" and report["n"] == 6
    assert report["definition"] == "measured" and report["known_rate"] == pytest.approx(0.5)
    assert report["truth_known_rate"] == pytest.approx(4 / 6)
    assert report["measured_known_rate"] == pytest.approx(0.5)
    assert report["confusion"] == {
        "known_correct": 3,
        "known_wrong": 1,
        "unknown_correct": 0,
        "unknown_wrong": 2,
    }
    assert report["memorised_recall"] == pytest.approx(0.75)
    assert report["guessing_rate"] == 0.0


def test_knowledge_report_counts_lucky_guesses():
    truth = pd.DataFrame(
        {"question_id": ["q0", "q1", "q2", "q3"], "truly_known": [False, False, False, True]}
    )
    report = _report(_answers([True, False, False, True]), truth, "test")
    assert report["guessing_rate"] == pytest.approx(1 / 3)
    assert report["confusion"]["unknown_correct"] == 1


def test_knowledge_report_without_truth():
    report = _report(_answers([True, False, False, False]), None, "test")
    assert report["measured_known_rate"] == pytest.approx(0.25)
    assert report["truth_available"] is False and report["guessing_rate"] is None


def test_knowledge_report_rejects_incomplete_truth():
    truth = pd.DataFrame({"question_id": ["q0"], "truly_known": [True]})
    with pytest.raises(InputError, match="truth: no truly_known for 1 question"):
        _report(_answers([True, False]), truth, "pool")


def _pools():
    student = _answers([True, False, False, False])  # 0.25
    teachers = {
        "big": _answers([True, True, True, False]),  # 0.75
        "peer": _answers([True, True, False, False]),
    }  # 0.50
    return student, teachers


def test_preconditions_pass():
    student, teachers = _pools()
    result = check_preconditions(
        "small", student, teachers, {"big"}, min_margin=0.2, allow_weak_teacher=False
    )
    assert result["passed"] and result["warnings"] == []
    assert result["pool_accuracy"] == {"small": 0.25, "big": 0.75, "peer": 0.5}
    assert result["checks"]["big"] == {"margin": 0.5, "passed": True}


def test_preconditions_fail_names_teacher_rates_and_keys():
    student, teachers = _pools()
    with pytest.raises(PreconditionError) as error:
        check_preconditions(
            "small", student, teachers, {"big", "peer"}, min_margin=0.3, allow_weak_teacher=False
        )
    message = str(error.value)
    assert "\n" not in message
    for part in (
        "'peer'",
        "0.500",
        "0.250",
        "0.300",
        "preconditions.min_teacher_margin",
        "preconditions.allow_weak_teacher",
    ):
        assert part in message
    assert isinstance(error.value, InputError)


def test_preconditions_allow_weak_teacher_records_a_warning():
    student, teachers = _pools()
    result = check_preconditions(
        "small", student, teachers, {"big", "peer"}, min_margin=0.3, allow_weak_teacher=True
    )
    assert not result["passed"]
    assert result["checks"]["big"]["passed"] and not result["checks"]["peer"]["passed"]
    assert len(result["warnings"]) == 1 and "'peer'" in result["warnings"][0]


def test_preconditions_need_the_same_pool_and_every_larger_teacher():
    student, teachers = _pools()
    with pytest.raises(InputError, match="no pool answers"):
        check_preconditions(
            "small", student, teachers, {"huge"}, min_margin=0.1, allow_weak_teacher=False
        )
    teachers["big"] = teachers["big"].iloc[:3]
    with pytest.raises(InputError, match="pool answers of big"):
        check_preconditions(
            "small", student, teachers, {"big"}, min_margin=0.1, allow_weak_teacher=False
        )


def test_knowledge_report_names_the_studys_definition_beside_the_graded_rate():
    answers = _answers([True, True, False, False])
    truth = pd.DataFrame({"question_id": ["q0", "q1", "q2", "q3"], "truly_known": [1, 0, 1, 1]})
    report = knowledge_report(answers, knows_table(answers, "truth", truth=truth), truth, "pool")
    assert report["definition"] == "truth" and report["known_rate"] == pytest.approx(0.75)
    assert report["measured_known_rate"] == pytest.approx(0.5)


def test_known_rates_by_each_definition_and_the_sensitivity_definition():
    rows = pd.DataFrame(
        {
            "definition": ["truth", "truth"],
            "known_rate": [0.75, 0.5],
            "measured_known_rate": [0.5, 0.25],
            "known_correct": [2, 1],
            "known_wrong": [1, 1],
            "n": [4, 4],
        }
    )
    assert known_rates(rows).tolist() == [0.75, 0.5]
    assert known_rates(rows, "measured").tolist() == [0.5, 0.25]
    assert other_definition(rows) == "measured"
    measured = rows.assign(definition="measured", known_rate=rows["measured_known_rate"])
    assert other_definition(measured) == "truth"
    assert known_rates(measured, "truth").tolist() == [0.75, 0.5]
    real = measured.drop(columns=["known_correct", "known_wrong"])
    assert other_definition(real) is None
    with pytest.raises(InputError, match="has no known rate by 'truth'"):
        known_rates(real, "truth")


def test_preconditions_read_knows_not_the_graded_answer():
    student, teachers = _pools()
    flipped = {name: t.assign(correct=~t["correct"]) for name, t in teachers.items()}
    result = check_preconditions(
        "small", student, flipped, {"big"}, min_margin=0.2, allow_weak_teacher=False
    )
    assert result["pool_accuracy"]["big"] == 0.75 and result["definition"] == "measured"
