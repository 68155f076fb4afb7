"""The published real-model run corrected, not replaced (issue 31): tests that agree with
their intervals, the registered reading, the regraded labels (mismatch/report/corrections.py,
mismatch/report/correction_page.py, tools/correct_published_run.py)."""

import sys

import numpy as np
import pandas as pd
import pytest
from workflow_runs import ROOT

from mismatch.analysis.clustered import bootstrap_p_value, percentile_interval
from mismatch.analysis.corrections import disagreements, regrade_labels
from mismatch.answers.grading import normalize_answer
from mismatch.answers.vocabulary import mentions
from mismatch.io import read_parquet
from mismatch.publishing.correction_page import registered_reading
from mismatch.questions.package_facts import package_facts, package_vocabulary

RUN = ROOT / "docs" / "results" / "real-small"


@pytest.mark.parametrize("seed", range(40))
def test_a_covering_interval_never_sits_beside_p_below_alpha(seed):
    """The bootstrap p and the percentile interval come from the same replicates."""
    rng = np.random.default_rng(seed)
    replicates = rng.normal(rng.uniform(-3, 3), 1.0, size=rng.integers(50, 2001))
    estimate = percentile_interval(replicates)
    p = bootstrap_p_value(replicates)
    covers = estimate.low <= 0 <= estimate.high
    assert not (covers and p < 0.05)
    if estimate.low > 0.2 or estimate.high < -0.2:
        assert p < 0.05


def test_no_new_table_shows_p_below_005_beside_a_covering_interval():
    table = pd.read_csv(RUN / "corrections" / "contrasts.csv")
    assert len(table) == 20  # 5 contrasts x 2 students x (registered, regraded grading)
    assert disagreements(table, "p_bootstrap").empty
    # the registered test stays as registered, and it is the one that disagrees (issue 31)
    late = disagreements(table[table.grading == "registered"], "p_sign_flip")
    assert ("gemma3", "random_idk - own") in set(zip(late.student, late.contrast, strict=True))


def test_the_registered_contrasts_are_published_with_the_registered_interval():
    table = pd.read_csv(RUN / "corrections" / "contrasts.csv")
    registered = pd.read_csv(RUN / "contrasts.csv")
    published = registered.assign(contrast=registered.treatment + " - " + registered.control)
    both = table[table.grading == "registered"].merge(
        published, on=["student", "contrast"], suffixes=("", "_published")
    )
    assert len(both) == 6  # every contrast the run published, reproduced to the digit
    assert np.allclose(both["difference"], 100 * both["estimate"])
    assert np.allclose(both["low"], 100 * both["low_published"])
    assert np.allclose(both["high"], 100 * both["high_published"])
    assert np.allclose(both["p_sign_flip"], both["p_value"])
    for student in ("smollm2", "gemma3"):
        for contrast in ("other - gold", "other - random_idk"):
            row = table[(table.student == student) & (table.contrast == contrast)]
            assert row.registered.all() and len(row) == 2
    page = (ROOT / "docs" / "real-small.md").read_text()
    assert "**Deviation from the pre-registration.**" in page
    assert "**Registered reading.**" in page and "Regraded (" in page


def reading_table(reverse, control):
    rows = []
    for student, contrast, (low, high) in (
        ("gemma3", "other - own", reverse),
        ("smollm2", "other - random_idk", control),
    ):
        rows.append(
            {"grading": "registered", "student": student, "contrast": contrast,
             "difference": (low + high) / 2, "low": low, "high": high}
        )  # fmt: skip
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("reverse", "control", "start"),
    [
        ((-6.0, 5.0), (-1.0, 13.0), "Neither registered reading is supported"),
        ((1.0, 5.0), (-1.0, 13.0), "The run supports the knowledge-mismatch reading"),
        ((-6.0, -1.0), (2.0, 13.0), "The run supports the larger-teacher reading"),
    ],
)
def test_the_registered_reading_is_one_sentence_decided_by_the_reverse_direction(
    reverse, control, start
):
    sentence = registered_reading(reading_table(reverse, control), "smollm2", "gemma3")
    assert sentence.startswith(start) and sentence.count(". ") == 0
    assert ("covers 0" in sentence) == (control[0] <= 0 <= control[1])


def test_the_regraded_labels_name_no_other_member_of_the_relations_vocabulary():
    """Done when (issue 31): no regraded answer graded correct names another member of its
    relation's vocabulary; the registered grading did (North Korea for a South Korean city)."""
    labels = read_parquet(RUN / "inputs" / "labels.parquet")
    labels = labels[labels.label == "correct"].drop_duplicates(["question_id", "answer"])
    questions = read_parquet(RUN / "inputs" / "questions.parquet")
    facts = package_facts().set_index("question_id")["answers"].map(list)
    vocabulary = package_vocabulary()
    regraded = regrade_labels(labels, questions, vocabulary, facts)
    relation = questions.set_index("question_id")["relation"]

    def names_another(frame):
        found = []
        for answer, qid in zip(frame.answer, frame.question_id, strict=True):
            gold = {normalize_answer(a) for a in facts.loc[qid]}
            own = vocabulary.of(relation.loc[qid])
            named = mentions(answer, vocabulary.names)
            found.append(any(n in own and n not in gold for n in named))
        return np.array(found)

    before = labels[names_another(labels)]  # distinct (question, answer) pairs
    assert "North Korea" in set(before.answer) and "Australian Dollar" in set(before.answer)
    correct = regraded[regraded.label == "correct"]
    assert not names_another(correct).any()
    assert set(relation.loc[correct.question_id]) == {
        "capital",
        "continent",
        "currency",
        "city_country",
    }


@pytest.mark.slow
def test_the_published_corrections_are_current():
    sys.path.insert(0, str(ROOT / "tools"))
    import correct_published_run

    assert correct_published_run.main(["--check"]) == 0
