"""A published real-model run corrected, not replaced (issue 31): its committed labels read
again for what the registered analysis left out.

From the run's gathered inputs (``inputs/``: every labelled answer, the test questions) this
computes, without any model:

* ``contrasts``: every registered contrast per student (``other - own``, ``other - gold``,
  ``other - random_idk``) and the reported ``gold - own`` and ``random_idk - own``, each with
  the registered 95% interval (countries and seed runs resampled) and two tests: the registered
  sign-flip test over countries (seed runs averaged) and, as a deviation, the bootstrap test
  read off the same replicates as the interval (``mismatch.analysis.clustered.bootstrap_p_value``);
* ``regraded``: the same contrasts with every answer graded again with the relations' closed
  vocabulary (``mismatch.answers.vocabulary``) and the malformed check before ``contains``;
* ``knowing``: per base model and relation, the share of test questions known as registered
  and as regraded, and the format failures: base answers that are a name of another relation's
  vocabulary ("Sierra Leone" for a capital question), counted apart from "does not know".

Labels and knowing are regraded; the fine-tuning sets (made from the pool answers, whose text
is not among the committed inputs) are not.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from mismatch.analysis.clustered import (
    arm_difference,
    bootstrap_p_value,
    build_design,
    percentile_interval,
    person_rates,
    ratio,
    resample,
    sign_flip_test,
)
from mismatch.analysis.gathering import attach_persons
from mismatch.answers.grading import label_answer
from mismatch.answers.vocabulary import Vocabulary, answer_type

CONTRASTS = (  # (treatment, control, registered: in the pre-registration's analysis)
    ("other", "own", True),
    ("other", "gold", True),
    ("other", "random_idk", True),
    ("gold", "own", False),
    ("random_idk", "own", False),
)
ALPHA = 0.05


@dataclass(frozen=True)
class Resampling:
    """The registered analysis' resampling: replicates, flips and the stream's seed."""

    n_boot: int
    n_flips: int
    seed: int = 0
    confidence: float = 0.95


def regrade_labels(labels: pd.DataFrame, questions: pd.DataFrame, vocabulary: Vocabulary,
                   aliases: pd.Series) -> pd.DataFrame:  # fmt: skip
    """``labels`` with ``label`` graded again under ``contains`` with ``vocabulary`` against
    ``aliases`` (question id -> gold aliases, e.g. the package facts' current ones), and
    ``student_knows`` from the base model's regraded test answers (recipe ``base``)."""
    relation = questions.drop_duplicates("question_id").set_index("question_id")["relation"]
    out = labels.copy()
    out["label"] = [
        label_answer(
            a,
            aliases.loc[q],
            "contains",
            well_formed=bool(ok),
            grader=vocabulary.grader(relation.loc[q]),
        )  # fmt: skip
        for a, q, ok in zip(out["answer"], out["question_id"], out["well_formed"], strict=True)
    ]
    base = out[out["recipe"] == "base"]
    knows = base.set_index(["student", "question_id"])["label"].eq("correct")
    keys = pd.MultiIndex.from_frame(out[["student", "question_id"]])
    out["student_knows"] = knows.reindex(keys).fillna(False).to_numpy(dtype=bool)
    return out


def contrast_table(labels: pd.DataFrame, questions: pd.DataFrame, resampling: Resampling,
                   grading: str) -> pd.DataFrame:  # fmt: skip
    """Every contrast of ``CONTRASTS`` per student: wrong-rate difference (points), interval,
    the registered sign-flip p and the bootstrap p from the interval's replicates."""
    data = attach_persons(labels, questions)
    data = data.assign(wrong=(data["label"] == "wrong").astype(float), n=1.0)
    design = build_design(data, ["wrong", "n"], person="person")
    draws = resample(design, resampling.n_boot, resampling.seed)
    wrong, rows = ratio("wrong"), []
    for student in pd.unique(labels["student"]):
        for treatment, control, registered in CONTRASTS:
            arm_t, arm_c = (student, treatment), (student, control)
            if arm_t not in design.arms() or arm_c not in design.arms():
                continue
            replicates = arm_difference(draws, wrong, arm_t, arm_c)
            estimate = percentile_interval(replicates, resampling.confidence)
            diffs = person_rates(design, arm_t, "wrong") - person_rates(design, arm_c, "wrong")
            flips = sign_flip_test(diffs.to_numpy(), resampling.n_flips, resampling.seed)
            rows.append(
                {
                    "grading": grading,
                    "student": student,
                    "contrast": f"{treatment} - {control}",
                    "registered": registered,
                    "treatment_wrong": 100 * float(wrong(draws.sums(arm_t))[0]),
                    "control_wrong": 100 * float(wrong(draws.sums(arm_c))[0]),
                    "difference": 100 * estimate.estimate,
                    "low": 100 * estimate.low,
                    "high": 100 * estimate.high,
                    "p_sign_flip": flips.p_value,
                    "p_bootstrap": bootstrap_p_value(replicates),
                    "countries": flips.n_persons,
                }
            )
    return pd.DataFrame(rows)


def disagreements(table: pd.DataFrame, column: str = "p_bootstrap") -> pd.DataFrame:
    """Rows whose test (``column``) says p < 0.05 while the 95% interval covers 0."""
    covers = (table["low"] <= 0) & (table["high"] >= 0)
    return table[covers & (table[column] < ALPHA)]


def knowing_table(labels: pd.DataFrame, regraded: pd.DataFrame, questions: pd.DataFrame,
                  vocabulary: Vocabulary) -> pd.DataFrame:  # fmt: skip
    """Per base model and relation: test questions, known as registered and as regraded (%),
    and format failures (answers of another relation's type: count and %)."""
    relation = questions.drop_duplicates("question_id").set_index("question_id")["relation"]
    old = labels[labels["recipe"] == "base"]
    new = regraded[regraded["recipe"] == "base"].set_index(["student", "question_id"])["label"]
    rows = []
    for (student, rel), part in old.groupby(["student", old["question_id"].map(relation)]):
        types = [answer_type(a, rel, vocabulary) for a in part["answer"]]
        failures = int(sum(t == "other_relation" for t in types))
        regraded_known = new.loc[[(student, q) for q in part["question_id"]]].eq("correct")
        rows.append(
            {
                "model": student,
                "relation": rel,
                "questions": len(part),
                "known_registered": 100 * float(part["label"].eq("correct").mean()),
                "known_regraded": 100 * float(regraded_known.mean()),
                "format_failures": failures,
                "format_failure_rate": 100 * failures / len(part),
            }
        )
    return pd.DataFrame(rows)


def changed_labels(labels: pd.DataFrame, regraded: pd.DataFrame) -> pd.DataFrame:
    """How many answers changed label under the regrade: registered -> regraded label, count."""
    moved = labels["label"].to_numpy() != regraded["label"].to_numpy()
    pairs = pd.DataFrame(
        {"registered": labels["label"][moved].to_numpy(), "regraded": regraded["label"][moved]}
    )
    counts = pairs.groupby(["registered", "regraded"]).size().rename("answers").reset_index()
    return counts.sort_values("answers", ascending=False, kind="stable").reset_index(drop=True)
