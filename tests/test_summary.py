"""Tests of mismatch.analysis.outcomes: per-run arithmetic, summaries, knowledge splits,
markdown."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mismatch.analysis.outcomes import (
    format_interval,
    outcome_rates,
    summarize,
    wrong_by_knowledge,
)
from mismatch.errors import InputError
from mismatch.report.rendering import outcomes_markdown

COLUMNS = [
    "world_seed",
    "student",
    "recipe",
    "ft_seed",
    "question_id",
    "prediction",
    "answer",
    "label",
    "student_knows",
    "contains_alias",
]


def _tiny_labels() -> pd.DataFrame:
    """Recipe r1: 5 questions with hand-chosen outcomes; recipe r2: all correct."""
    r1 = [  # label, base student knew it, prediction contains a gold alias
        ("correct", True, True),
        ("wrong", True, True),
        ("abstain", True, False),
        ("abstain", False, False),
        ("wrong", False, False),
    ]
    rows = [
        (0, "tiny", "r1", 0, f"q{i}", "p", "a", lab, knows, alias)
        for i, (lab, knows, alias) in enumerate(r1)
    ]
    rows += [
        (0, "tiny", "r2", 0, f"q{i}", "a", "a", "correct", knows, True)
        for i, (_, knows, _) in enumerate(r1)
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def _random_labels(seed=0, worlds=2, ft_seeds=2, questions=60) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for w in range(worlds):
        knows = rng.random(questions) < 0.5
        for r, (recipe, p_wrong) in enumerate({"own": 0.2, "large": 0.45, "base": 0.3}.items()):
            for ft in [0] if recipe == "base" else range(ft_seeds):
                draws = rng.random(questions)
                labels = np.where(
                    draws < p_wrong,
                    "wrong",
                    np.where(draws < p_wrong + 0.2 * r, "abstain", "correct"),
                )
                rows += [
                    (
                        w,
                        "stu",
                        recipe,
                        ft,
                        f"q{q}",
                        "p",
                        "a",
                        labels[q],
                        bool(knows[q]),
                        bool(draws[q] < 0.05),
                    )
                    for q in range(questions)
                ]
    return pd.DataFrame(rows, columns=COLUMNS)


def _recipes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "world_seed": [0, 1, 0, 1],
            "student": ["stu"] * 4,
            "recipe": ["own", "own", "large", "large"],
            "n_examples": [100, 100, 100, 100],
            "n_answered": [40, 50, 30, 30],
            "n_abstain": [60, 50, 70, 70],
            "abstention_share": [0.6, 0.5, 0.7, 0.7],
            "mismatch_fraction": [0.0, 0.0, 0.3, 0.5],
        }
    )


def test_outcome_rates_hand_computed():
    rates = outcome_rates(_tiny_labels()).set_index("recipe")
    r1 = rates.loc["r1"]
    assert (r1.n, r1.correct, r1.wrong, r1.abstain, r1.answered) == (5, 1, 2, 2, 3)
    assert (r1.known, r1.unknown, r1.wrong_containing_alias) == (3, 2, 1)
    assert r1.correct_rate == pytest.approx(0.2)
    assert r1.wrong_rate == pytest.approx(0.4)
    assert r1.abstain_rate == pytest.approx(0.4)
    assert r1.coverage == pytest.approx(0.6)
    assert r1.wrong_among_answered == pytest.approx(2 / 3)
    assert r1.effective_reliability == pytest.approx((1 - 2) / 5)
    assert r1.over_conservativeness == pytest.approx(1 / 3)
    assert r1.prudence == pytest.approx(1 / 2)
    r2 = rates.loc["r2"]
    assert (r2.correct_rate, r2.wrong_rate, r2.wrong_containing_alias) == (1.0, 0.0, 0)
    assert r2.over_conservativeness == 0.0 and r2.effective_reliability == 1.0


def test_outcome_rates_empty_denominator_is_nan():
    labels = _tiny_labels()
    labels["student_knows"] = True
    rates = outcome_rates(labels)
    assert rates["prudence"].isna().all()


def test_bad_labels_are_rejected():
    with pytest.raises(InputError, match="missing columns"):
        outcome_rates(_tiny_labels().drop(columns="student_knows"))
    with pytest.raises(InputError, match="unexpected label"):
        outcome_rates(_tiny_labels().replace({"label": {"abstain": "idk"}}))


def test_summarize_pools_rates_and_brackets_them():
    labels = _random_labels()
    summary = summarize(labels, _recipes(), n_boot=200)
    assert list(summary["recipe"]) == ["own", "large", "base"]
    own = summary.set_index("recipe").loc["own"]
    own_rows = labels[labels.recipe == "own"]
    assert own.n == len(own_rows) == 2 * 2 * 60
    assert (own.n_worlds, own.n_runs) == (2, 4)
    assert own.wrong_rate == pytest.approx((own_rows.label == "wrong").mean())
    for metric in ("correct_rate", "wrong_rate", "abstain_rate", "wrong_containing_alias"):
        assert summary[f"{metric}_low"].le(summary[metric] + 1e-12).all()
        assert summary[f"{metric}_high"].ge(summary[metric] - 1e-12).all()
    assert own.mismatch_fraction == 0.0 and own.abstention_share == pytest.approx(0.55)
    large = summary.set_index("recipe").loc["large"]
    assert large.mismatch_fraction == pytest.approx(0.4)
    assert math.isnan(summary.set_index("recipe").loc["base", "mismatch_fraction"])
    assert summary["interval"].str.contains("bootstrap").all()


def test_wrong_by_knowledge_splits_and_categories():
    labels = _tiny_labels()
    labels["category"] = ["HighlyKnown", "MaybeKnown", "MaybeKnown", "Unknown", "Unknown"] * 2
    table = wrong_by_knowledge(labels, n_boot=50)
    r1 = table[(table.recipe == "r1")].set_index(["split", "group"])
    assert r1.loc[("student_knows", "known"), "wrong_rate"] == pytest.approx(1 / 3)
    assert r1.loc[("student_knows", "unknown"), "wrong_rate"] == pytest.approx(1 / 2)
    assert r1.loc[("category", "MaybeKnown"), "wrong_rate"] == pytest.approx(1 / 2)
    assert r1.loc[("category", "Unknown"), "abstain_rate"] == pytest.approx(1 / 2)
    assert set(table["split"]) == {"student_knows", "category"}


def test_wrong_by_knowledge_without_category():
    table = wrong_by_knowledge(_random_labels(), n_boot=50)
    assert set(table["split"]) == {"student_knows"}
    assert len(table) == 3 * 2


def test_format_interval():
    assert format_interval(0.123, 0.081, 0.16) == "12.3% [8.1, 16.0]"
    assert format_interval(math.nan, 0.1, 0.2) == "n/a"


def test_summary_markdown_lists_every_recipe():
    summary = summarize(_random_labels(), _recipes(), n_boot=50)
    text = outcomes_markdown(summary)
    table_rows = [line for line in text.splitlines() if line.startswith("| stu ")]
    assert [row.split("|")[2].strip() for row in table_rows] == ["own", "large", "base"]
    assert "Wrong among answered" in text and "Intervals:" in text
    own = summary.set_index("recipe").loc["own"]
    assert format_interval(own.wrong_rate, own.wrong_rate_low, own.wrong_rate_high) in text


def test_wrong_by_knowledge_orders_recipes_then_groups():
    table = wrong_by_knowledge(_random_labels(), n_boot=20)
    assert list(table["recipe"]) == ["own", "own", "large", "large", "base", "base"]
    assert list(table["group"]) == ["known", "unknown"] * 3
