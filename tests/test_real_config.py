"""Real-model configs at plan time (offline): hub fetch jobs, TriviaQA and file question sets,
sizes from params_b, a missing local model path, and the fetch_model rule on a local hub cache."""

import json
import shutil

import pandas as pd
import pytest
from conftest import COMMIT, hub_cache_entry
from workflow_runs import ROOT, load_config, planned_rules, snakemake, write_config

FIXTURE = ROOT / "tests" / "fixtures" / "trivia_qa"
SPLITS = ("pool", "test", "format")


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """Every Snakemake run here would fail rather than reach the hub."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def _resources(output: str, rule: str, wildcard: str) -> dict[str, str]:
    """Resources of the first planned job of ``rule`` whose wildcards contain ``wildcard``."""
    for block in output.split("\n\n"):
        if f"rule {rule}:" in block and wildcard in block:
            line = next(x for x in block.splitlines() if x.strip().startswith("resources:"))
            return dict(kv.split("=", 1) for kv in line.split(":", 1)[1].strip().split(", "))
    raise AssertionError(f"no {rule} job with {wildcard}")


def test_paper_config_plans_offline_with_fetch_jobs_and_sized_gpu_jobs(tmp_path):
    configfile = write_config(tmp_path / "paper.yaml", load_config("configs/paper.yaml"))
    run = snakemake(ROOT, tmp_path / "work", configfile, "-n", "-p")
    assert run.returncode == 0, run.output[-3000:]
    rules = planned_rules(run.output)
    assert rules["fetch_model"] == 2 and rules["fetch_dataset"] == 1
    assert rules["triviaqa_questions"] == 1 and "pretrain_model" not in rules
    student = _resources(run.output, "answer_questions", "model=llama2-7b")
    teacher = _resources(run.output, "answer_questions", "model=llama2-13b")
    assert student["gpu"] == teacher["gpu"] == "1"
    assert int(teacher["mem_mb"]) > int(student["mem_mb"])
    # the same 12,000 questions: the larger model asks for more time, both above the floor
    assert int(teacher["runtime"]) > int(student["runtime"]) > 10


def test_a_missing_local_model_path_fails_before_any_job(tmp_path, tiny_llama_dir):
    config = load_config("configs/real-path.yaml")
    config["models"]["student"]["path"] = str(tiny_llama_dir)
    config["models"]["teacher"]["path"] = str(tmp_path / "no-such-model")
    config["questions"]["triviaqa"]["local_dir"] = str(FIXTURE)
    run = snakemake(ROOT, tmp_path / "work", write_config(tmp_path / "c.yaml", config), "-n")
    assert run.returncode != 0
    assert "models.teacher.path: model directory" in run.output and "does not exist" in run.output
    assert not (tmp_path / "work" / "results").exists()


def test_question_files_are_checked_and_copied(tmp_path, tiny_llama_dir, tiny_gpt2_dir):
    rows = {
        split: [
            {
                "question_id": f"{split}{i}",
                "question": f"{split} question {i}?",
                "answers": [f"answer {i}"],
            }
            for i in range(4)
        ]
        for split in SPLITS
    }
    files = {}
    for split, table in rows.items():
        files[split] = str(tmp_path / f"{split}.jsonl")
        pd.DataFrame(table).to_json(files[split], orient="records", lines=True)
    config = load_config("configs/real-path.yaml")
    config["questions"] = {"source": "files", "files": files}
    config["models"]["student"]["path"] = str(tiny_llama_dir)
    config["models"]["teacher"]["path"] = str(tiny_gpt2_dir)
    work = tmp_path / "work"
    configfile = write_config(tmp_path / "files.yaml", config)
    run = snakemake(ROOT, work, configfile, "results/test/w1/questions/pool.parquet")
    assert run.returncode == 0, run.output[-3000:]
    pool = pd.read_parquet(work / "results/test/w1/questions/pool.parquet")
    assert pool.question_id.to_list() == ["pool0", "pool1", "pool2", "pool3"]
    assert "test: 4 questions" in (work / "results/test/logs/w1/file_questions.log").read_text()
    shutil.copy(files["pool"], files["format"])  # exemplars that are also pool questions
    run = snakemake(ROOT, tmp_path / "work2", configfile, "results/test/w1/questions/pool.parquet")
    assert run.returncode != 0
    assert f"{files['pool']}: shares 4 question(s) with {files['format']}" in run.output


def _hub_config(tmp_path, hf_home, teacher_hub):
    config = load_config("configs/real-path.yaml")
    config["hf_home"] = str(hf_home)
    config["models"] = {
        "student": {"hub": "org/tiny-llama", "params_b": 0.00005},
        "teacher": {"hub": teacher_hub, "params_b": 0.0001},
    }
    config["questions"]["triviaqa"]["local_dir"] = str(FIXTURE)
    return write_config(tmp_path / "hub.yaml", config)


def test_fetch_model_rule_reads_a_local_hub_cache_and_names_what_it_cannot_fetch(
    tmp_path, tiny_llama_dir
):
    hf_home = tmp_path / "hf"
    snapshot = hub_cache_entry(hf_home, "org/tiny-llama", tiny_llama_dir)
    work = tmp_path / "work"
    configfile = _hub_config(tmp_path, hf_home, "org/not-cached")
    run = snakemake(ROOT, work, configfile, "results/test/models/student.json")
    assert run.returncode == 0, run.output[-3000:]
    pointer = json.loads((work / "results/test/models/student.json").read_text())
    assert pointer["commit"] == COMMIT and pointer["path"] == str(snapshot.resolve())
    assert (work / "results/test/logs/fetch_model/student.log").read_text().strip()
    run = snakemake(ROOT, work, configfile, "results/test/models/teacher.json")
    assert run.returncode != 0
    assert "models.teacher.hub: cannot fetch 'org/not-cached'" in run.output
    assert "HF_HUB_OFFLINE=1" in (work / "results/test/logs/fetch_model/teacher.log").read_text()
