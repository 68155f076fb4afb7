"""Fault tolerance: bad input stops the run with a one-line error before any model runs, leaving
no output that looks complete; a job killed in any stage is redone by a rerun, to the same result.

Config errors show at plan time; bad files fail the first job that reads them, whose one-line
``ERROR: <file>: <problem>`` reaches both the console and the rule's log. Question sets come from
the user's own files (``questions.source: files``) with tiny random models saved by path; the
truncated file and the kills use the tiny synthetic study.
"""

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from workflow_runs import ROOT, Run, load_config, snakemake, write_config

from mismatch.study_state import MARKER, read_marker

LABELS = [
    f"results/test/w1/labels/small/{recipe}/ft{seed}.parquet"
    for recipe in ("own", "large")
    for seed in (1, 2)
]


# ---------------------------------------------------------------- helpers: question files


def questions(split: str, n: int = 4) -> pd.DataFrame:
    """A valid question set; texts and ids differ between splits so the sets are disjoint."""
    return pd.DataFrame(
        {
            "question_id": [f"{split}-{i}" for i in range(n)],
            "question": [f"Which colour has the {split} lantern number {i}?" for i in range(n)],
            "answers": [["red", "crimson"] for _ in range(n)],
        }
    )


def write_questions(table: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".jsonl":
        table.to_json(path, orient="records", lines=True)
    else:
        table.to_parquet(path, index=False)
    return path


@pytest.fixture
def files_config(tmp_path, tiny_llama_dir, tiny_gpt2_dir):
    """A valid config reading the user's question files (pool and format parquet, test JSON
    lines) with two tiny models by path; tests break one thing in it."""
    files = {
        "pool": write_questions(questions("pool"), tmp_path / "pool.parquet"),
        "test": write_questions(questions("test"), tmp_path / "test.jsonl"),
        "format": write_questions(questions("format"), tmp_path / "format.parquet"),
    }
    return {
        "seeds": {"world": [1], "finetune": [1]},
        "questions": {"source": "files", "files": {k: str(v) for k, v in files.items()}},
        "models": {
            "student": {"path": str(tiny_llama_dir), "params_b": 0.00005, "dtype": "float32"},
            "teacher": {"path": str(tiny_gpt2_dir), "params_b": 0.0001, "dtype": "float32"},
        },
        "students": ["student"],
        "recipes": {
            "own": {"kind": "teacher", "teacher": "self"},
            "teacher": {"kind": "teacher", "teacher": "teacher"},
        },
        "prompt": {"n_exemplars": 1},
        "answering": {"batch_size": 4, "max_new_tokens": 4},
        "finetune": {"lora": {"r": 2, "alpha": 4}, "steps": 2, "batch_size": 2},
        "preconditions": {"allow_weak_teacher": True},
    }


def run_config(tmp_path: Path, config: dict, *targets: str) -> tuple[Run, Path]:
    work = tmp_path / "work"
    return snakemake(ROOT, work, write_config(tmp_path / "config.yaml", config), *targets), work


# ---------------------------------------------------------------- helpers: assertions


def error_line(output: str, marker: str, *parts: str) -> str:
    """The one console line holding ``marker`` and every part (fails naming what was printed)."""
    lines = [line for line in output.splitlines() if marker in line]
    assert lines, f"no line with {marker!r} in:\n{output[-3000:]}"
    matching = [line for line in lines if all(p in line for p in parts)]
    assert matching, f"no {marker!r} line names {parts}: {lines}"
    return matching[0]


def assert_config_error(run: Run, work: Path, *parts: str) -> None:
    """Failed while planning, with one line naming the key; nothing ran, nothing was written."""
    assert run.returncode != 0
    error_line(run.output, "invalid config:", *parts)
    assert "Traceback" not in run.output
    assert not (work / "results").exists()  # no study folder: no output, no log


def assert_no_model_ran(work: Path) -> None:
    for stage in (
        "pretrain_model",
        "finetune_and_label",
        "knowledge_categories",
    ):
        assert not (work / "results/test/logs/w1" / stage).exists(), stage
    for output in ("models", "students", "labels", "sets", "checks", "knowledge"):
        assert not (work / "results/test/w1" / output).exists(), output


def assert_one_line(run: Run, work: Path, log: str, *parts: str) -> str:
    """The console shows one ``ERROR:`` line naming ``parts`` and the job's log, and no traceback;
    the log holds the same line after the traceback."""
    lines = [line for line in run.output.splitlines() if line.startswith("ERROR: ")]
    assert len(lines) == 1, run.output[-3000:]
    line = error_line(run.output, "ERROR:", *parts, f"(traceback in {log})")
    assert "Traceback" not in run.output
    text = (work / log).read_text()
    assert line in text.splitlines() and text.index("Traceback") < text.index(line)
    return line


def assert_question_files_fault(run: Run, work: Path, path: str, problem: str) -> None:
    """The file_questions job failed on ``path``, wrote no question set, and no model ran."""
    assert run.returncode != 0
    assert_one_line(run, work, "results/test/logs/w1/file_questions.log", path, problem)
    study = work / "results" / "test"
    leftovers = [p for p in study.rglob("*") if p.is_file()] if study.exists() else []
    # only the job's log, and the run's marker, which records that it failed
    assert [p for p in leftovers if study / "logs" not in p.parents and p.name != MARKER] == []
    assert read_marker(study)["state"] == "failed"
    assert not (work / "results/test/logs/w1/answer_questions").exists()
    assert_no_model_ran(work)


# ---------------------------------------------------------------- config errors (plan time)


def test_unknown_config_key(tmp_path):
    config = load_config("configs/tiny.yaml")
    config["finetune"]["stepz"] = 10
    run, work = run_config(tmp_path, config)
    assert_config_error(run, work, "finetune.stepz: unknown key")


def test_wrong_type(tmp_path):
    config = load_config("configs/tiny.yaml")
    config["answering"]["batch_size"] = "sixteen"
    run, work = run_config(tmp_path, config)
    assert_config_error(run, work, "answering.batch_size", "expected integer", "'sixteen'")


def test_student_that_is_not_a_configured_model(tmp_path):
    config = load_config("configs/tiny.yaml")
    config["students"] = ["tiny"]
    run, work = run_config(tmp_path, config)
    assert_config_error(run, work, "students[0]", "'tiny' is not a configured model")


def test_finetune_set_larger_than_the_synthetic_pool(tmp_path):
    config = load_config("configs/tiny.yaml")
    config["finetune_set_size"] = 10000
    run, work = run_config(tmp_path, config)
    assert_config_error(
        run,
        work,
        "finetune_set_size: needs 10000 examples but the pool holds only 24 questions",
        "questions.synthetic.split_entities.pool = 12 people x 2 attributes",
    )


def test_finetune_set_larger_than_the_triviaqa_pool(tmp_path):
    config = load_config("configs/real-path.yaml")
    config["questions"]["triviaqa"]["local_dir"] = str(ROOT / "tests/fixtures/trivia_qa")
    config["models"] = {
        name: {"hub": f"org/{name}", "params_b": 1.0 + i} for i, name in enumerate(config["models"])
    }
    config["finetune_set_size"] = 21
    run, work = run_config(tmp_path, config)
    assert_config_error(
        run,
        work,
        "finetune_set_size: needs 21 examples but the pool holds only 20 questions",
        "questions.triviaqa.pool_size",
    )


def test_negative_seed(tmp_path):
    config = load_config("configs/tiny.yaml")
    config["seeds"]["finetune"] = [-1, 2]
    run, work = run_config(tmp_path, config)
    assert_config_error(run, work, "seeds.finetune.0: -1 is less than the minimum of 0")


def test_split_sizes_that_do_not_add_up(tmp_path):
    config = load_config("configs/tiny.yaml")
    config["questions"]["synthetic"]["split_entities"]["pool"] = 30
    run, work = run_config(tmp_path, config)
    assert_config_error(
        run,
        work,
        "questions.synthetic.split_entities: split counts sum to 42",
        "n_entities is 24",
    )


def test_more_exemplars_than_the_format_split(tmp_path):
    config = load_config("configs/tiny.yaml")
    config["prompt"]["n_exemplars"] = 9
    run, work = run_config(tmp_path, config)
    assert_config_error(
        run, work, "prompt.n_exemplars: 9 exemplars but the format split holds only 8 questions"
    )


def test_missing_question_file(tmp_path, files_config):
    missing = str(tmp_path / "no-such-test.jsonl")
    files_config["questions"]["files"]["test"] = missing
    run, work = run_config(tmp_path, files_config)
    assert_config_error(run, work, "questions.files.test", f"no such file {missing}")


def test_model_path_that_does_not_exist(tmp_path, files_config):
    missing = str(tmp_path / "models" / "teacher")
    files_config["models"]["teacher"]["path"] = missing
    run, work = run_config(tmp_path, files_config)
    assert_config_error(run, work, "models.teacher.path", f"{missing} does not exist")


# ---------------------------------------------------------------- bad files (at job time)


def test_question_file_missing_a_column(tmp_path, files_config):
    pool = files_config["questions"]["files"]["pool"]
    write_questions(questions("pool").drop(columns="answers"), Path(pool))
    run, work = run_config(tmp_path, files_config)
    assert_question_files_fault(run, work, pool, "missing column(s) answers")


def test_empty_question_set(tmp_path, files_config):
    pool = files_config["questions"]["files"]["pool"]
    write_questions(questions("pool").head(0), Path(pool))
    run, work = run_config(tmp_path, files_config)
    assert_question_files_fault(run, work, pool, "no questions")


def test_duplicate_question_ids(tmp_path, files_config):
    test = files_config["questions"]["files"]["test"]
    table = questions("test")
    table.loc[2, "question_id"] = "test-0"
    write_questions(table, Path(test))
    run, work = run_config(tmp_path, files_config)
    assert_question_files_fault(run, work, test, "duplicate question_id test-0")


def test_question_without_aliases(tmp_path, files_config):
    format_file = files_config["questions"]["files"]["format"]
    table = questions("format")
    table.at[1, "answers"] = []
    write_questions(table, Path(format_file))
    run, work = run_config(tmp_path, files_config)
    assert_question_files_fault(run, work, format_file, "question format-1 has no answer aliases")


@pytest.mark.slow  # runs the workflow up to answering
def test_truncated_parquet_from_an_earlier_stage(tmp_path, files_config):
    test_set = "results/test/w1/questions/test.parquet"
    run, work = run_config(tmp_path, files_config, test_set)
    assert run.returncode == 0, run.output[-3000:]
    data = (work / test_set).read_bytes()
    (work / test_set).write_bytes(data[: len(data) // 2])
    answers = "results/test/w1/answers/student/test.parquet"
    run, work = run_config(tmp_path, files_config, answers)
    assert run.returncode != 0
    log_path = "results/test/logs/w1/answer_questions/all_models.log"  # answering.job_per: world
    assert_one_line(run, work, log_path, test_set, "not a readable parquet file", "delete it")
    log = (work / log_path).read_text()
    assert not re.search(r": answering \d+ ", log)  # failed on reading, before loading a model
    assert not (work / answers).exists()
    assert list((work / "results/test/w1/answers").rglob("*.parquet")) == []
    assert_no_model_ran(work)


# ---------------------------------------------------------------- SIGKILL in each model stage


@pytest.fixture(scope="module")
def tiny_configfile(tmp_path_factory):
    """configs/tiny.yaml with fine-tuning long enough that a kill can land between checkpoints."""
    config = load_config("configs/tiny.yaml")
    config["finetune"].update(steps=60, checkpoint_every=10)
    return write_config(tmp_path_factory.mktemp("tiny") / "tiny.yaml", config)


@pytest.fixture(scope="module")
def reference_labels(tmp_path_factory, tiny_configfile):
    """Labels of one uninterrupted run of the tiny study."""
    work = tmp_path_factory.mktemp("reference") / "work"
    run = snakemake(ROOT, work, tiny_configfile, *LABELS)
    assert run.returncode == 0, run.output[-5000:]
    return {label: pd.read_parquet(work / label) for label in LABELS}


def job_processes(root: psutil.Process, stage: str) -> list[psutil.Process]:
    """Running job processes of ``stage`` (the Python process of its script) under ``root``."""
    found = []
    for process in root.children(recursive=True):
        try:
            command = process.cmdline()
        except psutil.Error:
            continue
        if (
            command
            and "python" in Path(command[0]).name
            and any(part.endswith(f".{stage}.py") for part in command)
        ):
            found.append(process)
    return found


def kill(processes: list[psutil.Process], root: psutil.Process) -> None:
    """SIGKILL ``processes`` and wait until they are gone (``root``, our child, is left for
    ``Popen.wait`` to reap, or its exit status would be lost)."""
    for process in processes:
        try:
            process.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            continue
    psutil.wait_procs([p for p in processes if p.pid != root.pid], timeout=30)


def run_and_kill(work: Path, configfile: Path, stage: str, whole_tree: bool, ready, *args: str):
    """Start the tiny study; once a ``stage`` job runs and ``ready(work)`` holds, SIGKILL that job
    (``whole_tree``: Snakemake and all its jobs, as a crash would). Returns Snakemake's output."""
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(work),
        "--configfile",
        str(configfile),
        "--cores",
        "2",
        *args,
        *LABELS,
    ]
    with open(work.parent / f"kill-{stage}.log", "w+") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        root = psutil.Process(process.pid)
        deadline = time.monotonic() + 300
        while process.poll() is None and time.monotonic() < deadline:
            jobs = job_processes(root, stage)
            if jobs and ready(work):
                kill([*root.children(recursive=True), root] if whole_tree else jobs, root)
                break
            time.sleep(0.01)
        else:
            kill([*root.children(recursive=True), root], root)
            output.seek(0)
            pytest.fail(f"no running {stage} job was caught:\n{output.read()[-3000:]}")
        returncode = process.wait(timeout=120)
        output.seek(0)
        text = output.read()
    assert returncode != 0, text[-3000:]
    return text


def has_log(stage: str):
    """A job of ``stage`` has started: its log exists (one per world, or a folder of them)."""
    logs = "results/test/logs/w1"
    return lambda work: (
        (work / logs / f"{stage}.log").is_file() or any((work / logs / stage).rglob("*.log"))
    )


def has_checkpoint(work: Path) -> bool:
    return any((work / "results/test/.checkpoints").glob("*/step-*"))


def finished_adapters(work: Path) -> list[Path]:
    """The finished units' adapters in the model cache (a staging folder starts with a dot)."""
    cache = work / "results/test/.checkpoints/finetuned"
    return [p for p in cache.iterdir() if not p.name.startswith(".")] if cache.is_dir() else []


def has_finished_unit_and_checkpoint(work: Path) -> bool:
    """A (recipe, seed) unit of a finetune_and_label job has its adapter cached and the next one
    has saved a checkpoint: a kill now must keep the first and resume the second."""
    return bool(finished_adapters(work)) and has_checkpoint(work)


def reused_and_resumed(work: Path) -> bool:
    """The rerun job has taken the killed job's finished units' adapters from the cache and
    resumed the unit it was killed in from that unit's checkpoint (if it never does, the test
    fails)."""
    log = work / "results/test/logs/w1/finetune_and_label/small.log"
    text = log.read_text() if log.is_file() else ""
    return "fine-tuned by an earlier run" in text and "resuming from checkpoint" in text


@pytest.mark.slow
def test_killed_jobs_in_every_stage_rerun_to_the_uninterrupted_result(
    tmp_path, tiny_configfile, reference_labels
):
    """A job of each model stage is SIGKILLed in turn (alternately the whole Snakemake tree, as a
    crash would, and the job alone, as the OOM killer would); each rerun picks up where the last
    stopped, and the final labels equal those of an uninterrupted run."""
    work = tmp_path / "work"
    work.mkdir()
    recover = ("--rerun-incomplete",)  # after a whole-tree kill: also `snakemake --unlock`
    plan = [
        ("pretrain_model", True, has_log("pretrain_model"), ()),
        ("answer_questions", False, has_log("answer_questions"), recover),
        ("finetune_and_label", True, has_finished_unit_and_checkpoint, ()),
        ("finetune_and_label", False, reused_and_resumed, recover),
    ]
    for stage, whole_tree, ready, args in plan:
        output = run_and_kill(work, tiny_configfile, stage, whole_tree, ready, *args)
        if whole_tree:
            assert snakemake(ROOT, work, tiny_configfile, "--unlock").returncode == 0
        else:
            assert f"Error in rule {stage}:" in output, output[-3000:]
    run = snakemake(ROOT, work, tiny_configfile, *LABELS)
    assert run.returncode == 0, run.output[-5000:]
    # the last run (after the job-only kill) reused the adapters finished before the kills
    log = (work / "results/test/logs/w1/finetune_and_label/small.log").read_text()
    assert "fine-tuned by an earlier run, reused" in log, log[-3000:]
    # the cache holds one adapter per unit; every unit's checkpoints are gone once it finished
    assert len(finished_adapters(work)) == len(LABELS)
    assert not has_checkpoint(work)
    for label, expected in reference_labels.items():
        pd.testing.assert_frame_equal(pd.read_parquet(work / label), expected, obj=label)
