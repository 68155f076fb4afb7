"""Job requests from seconds per unit of work, the job's units and the model's size, with a
stated margin, a floor and bounded retries (mismatch/resources.py); the calibration tool."""

import sys

import pandas as pd
import pytest
import yaml
from workflow_runs import ROOT, load_config

from mismatch.configuration import (
    model_job_resources,
    question_count,
    shard_work,
    stage_units,
    validated,
)
from mismatch.resources import (
    MARGIN,
    MAX_RETRY_FACTOR,
    RATES,
    STARTUP_S,
    job_resources,
    measured_rate,
    retry_factor,
    work_seconds,
)

sys.path.insert(0, str(ROOT / "tools"))
import calibrate_resources  # noqa: E402

B = 1e9


def test_time_grows_with_the_model_and_the_work():
    small = job_resources("finetune", 7 * B, 100_000, "bfloat16")
    large = job_resources("finetune", 13 * B, 100_000, "bfloat16")
    more = job_resources("finetune", 7 * B, 200_000, "bfloat16")
    assert large["runtime"] > small["runtime"] and more["runtime"] > small["runtime"]
    assert large["mem_mb"] > small["mem_mb"] >= 16_000 and small["gpu"] == large["gpu"] == 1


def test_the_request_is_the_margin_times_the_expected_time():
    seconds = work_seconds("label", 7 * B, 50_000, "bfloat16")
    rate = RATES["gpu"]["label"]
    assert seconds == pytest.approx(14 + 50_000 * rate.per_b * 7)  # 14 GB of weights at 1 GB/s
    runtime = job_resources("label", 7 * B, 50_000, "bfloat16")["runtime"]
    assert runtime == pytest.approx(MARGIN * (STARTUP_S + seconds) / 60, abs=1)


def test_a_retry_grows_by_a_bounded_factor():
    first = job_resources("finetune", 7 * B, 500_000, "bfloat16")["runtime"]
    second = job_resources("finetune", 7 * B, 500_000, "bfloat16", attempt=2)["runtime"]
    tenth = job_resources("finetune", 7 * B, 500_000, "bfloat16", attempt=10)["runtime"]
    assert first < second < tenth <= MAX_RETRY_FACTOR * first + 1
    assert retry_factor(1) == 1 and retry_factor(10) == MAX_RETRY_FACTOR


def test_weights_decide_memory_and_gpus():
    assert (
        job_resources("answer", 7 * B, 10, "float32")["mem_mb"]
        > job_resources("answer", 7 * B, 10, "bfloat16")["mem_mb"]
    )
    # 140 GB of bf16 weights do not fit one 80 GB card, nor two with room for activations
    assert job_resources("answer", 70 * B, 10, "bfloat16")["gpu"] == 3
    assert job_resources("finetune", 13 * B, 10, "float32")["gpu"] == 2
    assert job_resources("answer", 70 * B, 10, "bfloat16", gpus=4)["gpu"] == 4


def test_tiny_and_cpu_models_ask_no_gpu_and_at_least_the_floor():
    tiny = job_resources("answer", 1e6, 100)
    assert tiny["gpu"] == 0 and tiny["runtime"] == 10
    cpu = job_resources("finetune", 0.135 * B, 16 * 300, gpus=0)
    assert cpu["gpu"] == 0 and cpu["mem_mb"] < 16_000


def test_configured_rates_margin_and_floor_replace_the_built_in_ones():
    built_in = job_resources("label", 7 * B, 100_000, "bfloat16")["runtime"]
    slower = job_resources("label", 7 * B, 100_000, "bfloat16", rates={"gpu": {"label": 0.01}})
    assert slower["runtime"] > built_in
    assert job_resources("label", 1e6, 1, min_runtime=3)["runtime"] == 3
    assert job_resources("label", 1e6, 1, margin=1, min_runtime=1)["runtime"] == 2  # 60 s + work


def test_unknown_stage_is_refused():
    with pytest.raises(ValueError, match="unknown stage 'answr'"):
        job_resources("answr", 7 * B, 1)


def test_the_paper_configs_jobs_are_sized_by_their_units():
    config = validated(load_config("configs/paper.yaml"))
    units = stage_units(config, "finetune", "llama2-7b")
    tuning = config["finetune"]
    # examples processed: every micro-batch of every step
    assert units == tuning["steps"] * tuning["batch_size"] * tuning["gradient_accumulation"] == 9600
    student = model_job_resources(config, {"finetune": units}, ["llama2-7b"], 1)
    teacher = model_job_resources(config, {"finetune": units}, ["llama2-13b"], 1)
    assert student["gpu"] == teacher["gpu"] == 1
    assert teacher["mem_mb"] > student["mem_mb"] and teacher["runtime"] >= student["runtime"]
    # one process for two models: one start-up, both models' work
    both = model_job_resources(config, {"answer": 2000}, ["llama2-7b", "llama2-13b"], 1)
    assert (
        both["mem_mb"] == model_job_resources(config, {"answer": 2000}, ["llama2-13b"], 1)["mem_mb"]
    )


def test_a_measured_rate_inverts_the_expected_time():
    seconds = STARTUP_S + work_seconds("finetune", 7 * B, 40_000, "bfloat16")
    rate = measured_rate(seconds, 40_000, 7 * B, "bfloat16")
    assert rate == pytest.approx(RATES["gpu"]["finetune"].per_b)


def test_calibration_reads_a_studys_benchmarks(tmp_path, capsys):
    config_path = tmp_path / "tiny.yaml"
    config = load_config("configs/tiny.yaml")
    config_path.write_text(yaml.safe_dump(config))
    study = tmp_path / "results" / "tiny"
    student = config["students"][0]
    for seed, seconds in ((1, 70.0), (2, 90.0)):  # finetune.job_per: seed, a unit per job
        bench = study / f"benchmarks/w1/finetune_and_label/{student}/own/ft{seed}.tsv"
        log = study / f"logs/w1/finetune_and_label/{student}/own/ft{seed}.log"
        for path in (bench, log):
            path.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"s": [seconds]}).to_csv(bench, sep="\t", index=False)
        log.write_text("[   1.0s] fine-tuning on 9 examples\n[  41.0s] step 6/6 loss 0.1 lr 1\n")
    assert calibrate_resources.main([str(study), "--configfile", str(config_path)]) == 0
    printed = capsys.readouterr().out
    assert "finetune_and_label" in printed and "resources:" in printed and "finetune:" in printed
    table = calibrate_resources.grouped_jobs(study, validated(config))
    assert len(table) == 4 and table["stage"].value_counts().to_dict() == {
        "finetune": 2,
        "label": 2,
    }
    assert (table["ratio"] > 0).all()


def test_calibration_splits_a_student_job_into_fine_tuning_and_labelling(tmp_path):
    config = validated(load_config("configs/real-small.yaml"))
    study = tmp_path / "results" / "real-small"
    bench = study / "benchmarks/w1/finetune_and_label/smollm2/own.tsv"
    log = study / "logs/w1/finetune_and_label/smollm2/own.log"
    for path in (bench, log):
        path.parent.mkdir(parents=True)
    pd.DataFrame({"s": [600.0]}).to_csv(bench, sep="\t", index=False)
    log.write_text(
        "".join(
            f"[{100.0 * u + 1:8.1f}s] fine-tuning on 200 examples, 9 trainable parameters, "
            f"25 steps of 16\n[{100.0 * u + 41:8.1f}s] step 25/25 loss 0.1 lr 1e-4\n"
            for u in range(5)
        )
    )
    table = calibrate_resources.grouped_jobs(study, config).set_index("stage")
    units = 5 * 25 * 16  # 5 seeds of 25 steps of 16 examples
    params = 0.135  # billions (params_b)
    assert table.loc["finetune", "rate"] == pytest.approx(5 * 40.0 / units / params)
    label_units = 5 * question_count(config, "test")
    label_s = 600.0 - 200.0
    expected = measured_rate(label_s, label_units, params * B, "float32")
    assert table.loc["label", "rate"] == pytest.approx(expected)
    assert table.loc["label", "ratio"] == table.loc["finetune", "ratio"]  # the whole job's


def test_every_split_of_the_exposure_world_has_a_planned_size():
    config = validated(load_config("configs/exposure.yaml"))
    sizes = {s: question_count(config, s) for s in ("pool", "test", "format", "heldout")}
    assert sizes["heldout"] == sizes["pool"] + sizes["test"] > 0


def test_a_split_answered_in_one_job_is_sized_by_all_its_questions():
    config = validated(load_config("configs/paper.yaml"))
    config["knowledge_categories"]["questions_per_shard"] = None  # answering's: 0, one job
    assert shard_work(config, "categories", "llama2-7b", "test") == {"categories": 2000 * 10 * 17}
    config["answering"].update(job_per="split", questions_per_shard=300)
    # 2,000 questions in 7 shards: the largest holds 286
    assert shard_work(config, "answer", "llama2-7b", "test") == {"answer": 286}
