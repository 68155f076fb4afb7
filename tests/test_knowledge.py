"""Knowledge reports and the teacher-stronger-than-student precondition, on hand-made answers."""

from __future__ import annotations

import pandas as pd
import pytest

from mismatch.errors import InputError
from mismatch.knowledge import PreconditionError, check_preconditions, knowledge_report


def _answers(correct: list[bool]) -> pd.DataFrame:
    return pd.DataFrame({"question_id": [f"q{i}" for i in range(len(correct))], "correct": correct})


def test_knowledge_report_confusion_and_rates():
    answers = _answers([True, True, False, True, False, False])
    truth = pd.DataFrame(
        {
            "question_id": [f"q{i}" for i in range(5, -1, -1)],  # other order than the answers
            "truly_known": [False, False, True, True, True, True],
        }
    )  # q0..q3 known, q4 and q5 unknown
    report = knowledge_report(answers, truth, "pool")
    assert report["split"] == "pool" and report["n"] == 6
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
    report = knowledge_report(_answers([True, False, False, True]), truth, "test")
    assert report["guessing_rate"] == pytest.approx(1 / 3)
    assert report["confusion"]["unknown_correct"] == 1


def test_knowledge_report_without_truth():
    report = knowledge_report(_answers([True, False, False, False]), None, "test")
    assert report["measured_known_rate"] == pytest.approx(0.25)
    assert report["truth_available"] is False and report["guessing_rate"] is None


def test_knowledge_report_rejects_incomplete_truth():
    truth = pd.DataFrame({"question_id": ["q0"], "truly_known": [True]})
    with pytest.raises(InputError, match="no truly_known entry for 1 answered"):
        knowledge_report(_answers([True, False]), truth, "pool")


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
