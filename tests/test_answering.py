"""k-shot answering, exemplar choice and provenance records."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pandas as pd
import pytest
import torch
from conftest import defaults

import mismatch.answers.answering as answering
from mismatch.answers.answering import (
    AnswerUnit,
    answer_provenance,
    answer_questions,
    answer_units,
    choose_exemplars,
)
from mismatch.answers.lines import Line
from mismatch.answers.prompting import PromptFormat
from mismatch.environment import run_environment
from mismatch.io import read_metadata, read_parquet, write_parquet
from mismatch.models.loading import load_model
from mismatch.provenance import git_commit, library_versions

PROMPT = PromptFormat.from_config(
    {**defaults("prompt"), "answer_template": " The answer is {answer}."}
)


def _questions(prefix: str, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "question_id": [f"{prefix}{i}" for i in range(n)],
            "question": [f"What is {prefix} number {i}?" for i in range(n)],
            "answers": [[f"Value {i}", f"V{i}"] for i in range(n)],
        }
    )


def test_choose_exemplars_is_seeded():
    pool = _questions("f", 20)
    first = choose_exemplars(pool, 3, seed=1)
    assert len(first) == 3 and set(first["question_id"]) <= set(pool["question_id"])
    assert first.equals(choose_exemplars(pool, 3, seed=1))
    assert not first.equals(choose_exemplars(pool, 3, seed=2))
    assert choose_exemplars(pool, 0, seed=1).empty
    with pytest.raises(ValueError, match="cannot choose 21"):
        choose_exemplars(pool, 21, seed=1)


def test_answer_questions_prompts_extracts_and_grades(monkeypatch):
    seen = {}

    def fake_generate(model, tokenizer, prompts, *, batch_size, max_new_tokens, prefix_cache):
        seen["prompts"] = prompts
        seen["prefix_cache"] = prefix_cache
        texts = [" The answer is Value 0.", " The answer is v1", " I don't know."]
        return [Line(text, stopped=i != 1) for i, text in enumerate(texts)]

    monkeypatch.setattr(answering, "generate_lines", fake_generate)
    exemplars = _questions("f", 2)
    result = answer_questions(
        None, None, _questions("q", 3), exemplars, PROMPT, batch_size=2, max_new_tokens=8
    )
    shots = [("What is f number 0?", "Value 0"), ("What is f number 1?", "Value 1")]
    assert seen["prompts"][2] == PROMPT.prompt("What is q number 2?", shots)
    assert list(result.columns) == answering.ANSWER_COLUMNS
    assert result["question_id"].to_list() == ["q0", "q1", "q2"]
    assert result["answer"].to_list() == ["Value 0", "v1", "I don't know."]
    assert result["correct"].to_list() == [True, True, False]
    assert seen["prefix_cache"] is False  # the plain path unless answering.prefix_cache is set


def test_answer_questions_with_a_tiny_model_round_trips(tiny_llama_dir, tmp_path):
    torch.set_num_threads(1)
    model, tokenizer = load_model(tiny_llama_dir, device="cpu")
    questions = _questions("q", 5)
    exemplars = choose_exemplars(_questions("f", 4), 2, seed=0)
    result = answer_questions(
        model, tokenizer, questions, exemplars, PROMPT, batch_size=2, max_new_tokens=4
    )
    assert result["question_id"].to_list() == questions["question_id"].to_list()
    assert not result["prediction"].str.contains("\n").any()
    assert result["answer"].to_list() == [PROMPT.extract_answer(p) for p in result["prediction"]]
    assert result["correct"].dtype == bool
    provenance = answer_provenance(
        model_name="tiny",
        model_path=tiny_llama_dir,
        prompt=PROMPT,
        exemplars=exemplars,
        decoding={"max_new_tokens": 4, "greedy": True},
        dtype="float32",
        batch_size=2,
    )
    write_parquet(result, tmp_path / "answers.parquet", provenance)
    reread = read_parquet(tmp_path / "answers.parquet")
    assert reread["answer"].to_list() == result["answer"].to_list()
    assert provenance["exemplar_question_ids"] == exemplars["question_id"].to_list()
    assert provenance["prompt"]["answer_template"] == " The answer is {answer}."


def test_answer_units_writes_what_per_split_jobs_write(
    tiny_llama_dir, tiny_gpt2_dir, tmp_path, monkeypatch
):
    """One grouped job (answering.job_per: world) loads each model once and writes, for every
    (model, split) unit, the answers a per-split job computes, with the provenance it records."""
    torch.set_num_threads(1)
    question_files = {
        "pool": write_questions_file(_questions("p", 5), tmp_path / "pool.parquet"),
        "test": write_questions_file(_questions("t", 3), tmp_path / "test.parquet"),
    }
    models = {"student": str(tiny_llama_dir), "teacher": str(tiny_gpt2_dir)}
    outputs = {(m, s): str(tmp_path / m / f"{s}.parquet") for m in models for s in question_files}
    exemplars = choose_exemplars(_questions("f", 4), 2, seed=0)
    settings = {
        "batch_size": 2,
        "max_new_tokens": 4,
        "dtype": "float32",
        "device_map": None,
        "trust_remote_code": False,
        "grading": "exact",
        "prefix_cache": False,
    }
    loads = []
    real_load = answering.load_model
    monkeypatch.setattr(
        answering, "load_model", lambda p, **kw: loads.append(p) or real_load(p, **kw)
    )
    messages = []
    answer_units(
        [AnswerUnit(m, s, 0, 1, path) for (m, s), path in outputs.items()],
        models,
        question_files,
        exemplars,
        dict.fromkeys(models, PROMPT),
        dict.fromkeys(models, settings),
        messages.append,
    )
    assert loads == list(models.values())  # each model once
    for (name, split), path in outputs.items():
        model, tokenizer = real_load(models[name], dtype="float32")
        expected = answer_questions(
            model,
            tokenizer,
            read_parquet(question_files[split]),
            exemplars,
            PROMPT,
            batch_size=2,
            max_new_tokens=4,
        )
        pd.testing.assert_frame_equal(read_parquet(path), expected)
        metadata = read_metadata(path)
        assert metadata["model"] == name and metadata["shard"] == {"index": 0, "of": 1}
        assert metadata["decoding"]["max_new_tokens"] == 4
    assert sum("accuracy" in m for m in messages) == 4


def write_questions_file(questions: pd.DataFrame, path) -> str:
    write_parquet(questions, path, {})
    return str(path)


def test_run_environment_records_machine_threads_and_packages():
    env = run_environment(threads=2)
    assert env["threads_per_job"] == 2 and env["cpus"] >= 1 and env["cpu"]
    assert {"torch", "snakemake", "statsmodels"} <= env["packages"].keys()
    assert env["packages"]["torch"] == library_versions()["torch"]
    assert env["blas"].split()[0] and "OPENBLAS_CORETYPE" in env["thread_variables"]


def test_library_versions_lists_the_stack():
    versions = library_versions()
    expected = {"python", "torch", "transformers", "peft", "tokenizers", "datasets", "pandas"}
    assert expected | {"mismatch"} <= versions.keys()
    assert torch.__version__.startswith(versions["torch"])


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_git_commit_marks_dirty_trees(tmp_path):
    assert git_commit(tmp_path) is None  # not a repository

    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    assert git_commit(tmp_path) is None  # no commit yet
    (tmp_path / "a.txt").write_text("one\n")
    git("add", "a.txt")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init")
    assert re.fullmatch(r"[0-9a-f]{40}", git_commit(tmp_path))
    (tmp_path / "a.txt").write_text("two\n")
    assert re.fullmatch(r"[0-9a-f]{40}-dirty", git_commit(tmp_path))


def test_provenance_records_the_resolved_commit_and_local_path_of_a_fetched_model(tmp_path):
    snapshot = tmp_path / "hub" / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    pointer = tmp_path / "results" / "models" / "m.json"
    pointer.parent.mkdir(parents=True)
    pointer.write_text(
        json.dumps(
            {
                "model": "m",
                "hub": "org/m",
                "revision": "main",
                "commit": "0123abcd",
                "path": str(snapshot),
            }
        )
    )
    exemplars = _questions("f", 2)
    common = dict(prompt=PROMPT, exemplars=exemplars, decoding={}, dtype="float32", batch_size=1)
    fetched = answer_provenance(model_name="m", model_path=pointer, **common)
    assert fetched["path"] == str(snapshot)  # where the weights were read, not the pointer
    assert fetched["model_commit"] == "0123abcd" and fetched["model_revision"] == "main"
    assert fetched["model_pointer"] == str(pointer) and fetched["model_hub"] == "org/m"
    local = answer_provenance(model_name="m", model_path=snapshot, **common)
    assert local["path"] == str(snapshot) and local["model_commit"] is None
