"""The paper's pipeline (configs/paper.yaml) end to end on real tokenizers with tiny random weights:
configs/paper-tokenizers.yaml layered over paper.yaml, and a test-written overlay over that with
the absolute paths of the real-tokenizer fixtures (tools/real_tokenizers.py) and of the TriviaQA
fixture. Students: Llama-2 SentencePiece and Llama-3 BPE; the teacher's stand-in is GPT-2."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from real_fixtures import real_model_dir
from workflow_runs import ROOT, copy_workflow, snakemake

from mismatch.io import read_metadata
from mismatch.knowing.slick import CATEGORIES

pytestmark = pytest.mark.slow

FIXTURE = ROOT / "tests" / "fixtures" / "trivia_qa"
MODELS = {"llama2-7b": "llama-spm", "llama2-13b": "gpt-2", "llama3-8b": "llama-bpe"}
STUDENTS = ["llama2-7b", "llama3-8b"]


@pytest.fixture(scope="module")
def paper_study(tmp_path_factory):
    """The layered config run once to completion; returns the work dir and the layered config."""
    paths = {model: str(real_model_dir(vocab)) for model, vocab in MODELS.items()}
    base = tmp_path_factory.mktemp("paper_tokenizers")
    repo = copy_workflow(base / "repo")
    overlay = {
        "study": "test",  # results/test/
        "extends": str(repo / "configs" / "paper-tokenizers.yaml"),
        "questions": {"triviaqa": {"local_dir": str(FIXTURE)}},
        "models": {model: {"path": path} for model, path in paths.items()},
    }
    configfile = base / "overlay.yaml"
    configfile.write_text(yaml.safe_dump(overlay, sort_keys=False))
    work = base / "work"
    categories = [f"results/test/w1/categories/{s}/test.parquet" for s in STUDENTS]
    run = snakemake(repo, work, configfile, "all", *categories, timeout=2400)
    assert run.returncode == 0, run.output[-6000:]
    from mismatch.configuration import drop_unset_model_sources, layered_config

    config = layered_config([configfile])
    drop_unset_model_sources(config)
    return work, config, paths


def test_the_overlay_keeps_the_papers_settings(paper_study):
    _, config, paths = paper_study
    paper = yaml.safe_load((ROOT / "configs" / "paper.yaml").read_text())
    assert config["prompt"]["question_template"] == paper["prompt"]["question_template"]
    assert config["finetune"]["lora"] == paper["finetune"]["lora"]
    assert config["answering"]["grading"] == paper["answering"]["grading"]
    assert config["knowledge_categories"]["enabled"] is True
    for model, path in paths.items():
        assert config["models"][model]["path"] == path and "hub" not in config["models"][model]


def test_answering_is_sharded_and_provenance_names_the_model_folder(paper_study):
    work, _, paths = paper_study
    for model, path in paths.items():
        for split, size, n_shards in (("pool", 20, 1), ("test", 22, 2)):
            shards = sorted(
                (work / f"results/test/w1/answers/{model}/{split}.shards").glob("*.parquet")
            )
            assert len(shards) == n_shards
            answers = pd.read_parquet(work / f"results/test/w1/answers/{model}/{split}.parquet")
            assert len(answers) == size
            assert not answers.prediction.str.contains("\n").any()
            meta = read_metadata(shards[0])
            assert meta["path"] == path
            assert meta["model_commit"] is None and meta["model_pointer"] is None  # local dirs


def test_every_student_is_finetuned_with_the_papers_lora_and_labelled(paper_study):
    work, config, _ = paper_study
    test = pd.read_parquet(work / "results/test/w1/questions/test.parquet")
    for student in STUDENTS:
        categories = pd.read_parquet(work / f"results/test/w1/categories/{student}/test.parquet")
        assert sorted(categories.question_id) == sorted(test.question_id)
        assert set(categories.category) <= set(CATEGORIES)
        for recipe in ("own", "larger"):
            folder = work / f"results/test/w1/students/{student}/{recipe}/ft1"
            adapter = json.loads((folder / "adapter/adapter_config.json").read_text())
            assert adapter["r"] == config["finetune"]["lora"]["r"] == 16
            assert sorted(adapter["target_modules"]) == sorted(
                config["finetune"]["lora"]["target_modules"]
            )
            loss = pd.read_csv(folder / "loss.tsv", sep="\t")
            assert len(loss) == 4 and loss.loss.notna().all() and (loss.tokens > 0).all()
            labels = pd.read_parquet(
                work / f"results/test/w1/labels/{student}/{recipe}/ft1.parquet"
            )
            assert sorted(labels.question_id) == sorted(test.question_id)
            assert set(labels.label) <= {"correct", "wrong", "abstain", "malformed"}
            assert labels.category.notna().all()
    summary = (work / "results/test/summary/summary.md").read_text()
    assert all(student in summary for student in STUDENTS)


def test_knowledge_categories_are_sharded_and_gathered(paper_study):
    work, _, _ = paper_study
    for student in STUDENTS:
        shards = sorted(
            (work / f"results/test/w1/categories/{student}/test.shards").glob("*.parquet")
        )
        assert len(shards) == 2  # 22 test questions, at most 20 per shard
        parts = [pd.read_parquet(p) for p in shards]
        gathered = pd.read_parquet(work / f"results/test/w1/categories/{student}/test.parquet")
        assert pd.concat(parts, ignore_index=True).equals(gathered)
        assert [len(p) for p in parts] == [11, 11]
        assert read_metadata(shards[1])["shard"] == {"index": 1, "of": 2}
        log = work / f"results/test/logs/w1/knowledge_categories/{student}/test.1.log"
        assert "done" in log.read_text()
