"""End to end on the real-model code path: Hugging Face models of two architectures loaded by
path (Llama-config student, larger GPT-2-config teacher) and TriviaQA-shaped questions loaded
through `datasets` from a local copy, through the same workflow as the synthetic study."""

import pandas as pd
import pytest
from workflow_runs import ROOT, copy_workflow, load_config, snakemake, write_config

from mismatch.io import read_metadata
from mismatch.knowing.slick import CATEGORIES
from mismatch.questions.triviaqa import question_keys

pytestmark = pytest.mark.slow

FIXTURE = ROOT / "tests" / "fixtures" / "trivia_qa"
CATEGORIES_FILE = "results/test/w1/categories/student/test.parquet"


@pytest.fixture(scope="module")
def real_path_study(tmp_path_factory, tiny_llama_dir, tiny_gpt2_dir):
    """configs/real-path.yaml with the tiny models' directories, run once to completion."""
    base = tmp_path_factory.mktemp("real_path")
    repo = copy_workflow(base / "repo")
    config = load_config("configs/real-path.yaml")
    config["models"]["student"]["path"] = str(tiny_llama_dir)
    config["models"]["teacher"]["path"] = str(tiny_gpt2_dir)
    config["questions"]["triviaqa"]["local_dir"] = str(FIXTURE)
    work = base / "work"
    configfile = write_config(base / "real-path.yaml", config)
    run = snakemake(repo, work, configfile, "all", CATEGORIES_FILE)
    assert run.returncode == 0, run.output[-6000:]
    return work, config


def test_question_sets_come_from_triviaqa_disjoint(real_path_study):
    work, config = real_path_study
    sets = {
        s: pd.read_parquet(work / f"results/test/w1/questions/{s}.parquet")
        for s in ("pool", "test", "format")
    }
    sizes = config["questions"]["triviaqa"]
    assert [len(sets[s]) for s in ("pool", "test", "format")] == [
        sizes["pool_size"],
        sizes["test_size"],
        sizes["format_size"],
    ]
    keys = [set(question_keys(t)) for t in sets.values()]
    assert not (keys[0] & keys[1] or keys[0] & keys[2] or keys[1] & keys[2])
    assert all(len(a) >= 2 for a in sets["test"].answers)
    metadata = read_metadata(work / "results/test/w1/questions/pool.parquet")
    assert metadata["seed"] == 1 and metadata["counts"]["train_in_test_dropped"] == 2
    assert metadata["counts"]["train_repeats_dropped"] == 1


def test_both_architectures_answer_by_path(real_path_study):
    work, config = real_path_study
    for model in ("student", "teacher"):
        answers = work / f"results/test/w1/answers/{model}/test.parquet"
        assert read_metadata(answers)["path"] == config["models"][model]["path"]
        assert len(pd.read_parquet(answers)) == config["questions"]["triviaqa"]["test_size"]


def test_student_categories_and_labels(real_path_study):
    work, config = real_path_study
    categories = pd.read_parquet(work / CATEGORIES_FILE)
    assert list(categories.columns) == [
        "question_id",
        "p_correct_greedy",
        "p_correct_sampled",
        "category",
    ]
    assert set(categories.category) <= set(CATEGORIES)
    test = pd.read_parquet(work / "results/test/w1/questions/test.parquet")
    assert sorted(categories.question_id) == sorted(test.question_id)
    for recipe in config["recipes"]:
        labels = pd.read_parquet(work / f"results/test/w1/labels/student/{recipe}/ft1.parquet")
        assert sorted(labels.question_id) == sorted(test.question_id)
        assert {"label", "contains_alias", "category"} <= set(labels.columns)


def test_summary_and_logs_are_written(real_path_study):
    work, _ = real_path_study
    assert "own" in (work / "results/test/summary/summary.md").read_text()
    for log in ("w1/triviaqa_questions.log", "w1/knowledge_categories/student/test.0.log"):
        assert "done" in (work / "results/test/logs" / log).read_text()
