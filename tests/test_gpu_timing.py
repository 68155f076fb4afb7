"""Measured GPU timings (docs/results/gpu-timing) behind the built-in GPU rates, and the paper
config's planned requests against them (mismatch/gpu_timing.py, tools/measure_gpu_rates.py)."""

import json
import subprocess
import sys

import pytest
from workflow_runs import ROOT, load_config

from mismatch.configuration import (
    answered_splits,
    expand_sweeps,
    shard_work,
    student_job_units,
    student_job_work,
    validated,
)
from mismatch.gpu_timing import (
    Measurement,
    fitted_rates,
    job_models_and_work,
    planned_jobs,
    request_table,
)
from mismatch.resources import RATES

sys.path.insert(0, str(ROOT / "tools"))
import measure_gpu_rates  # noqa: E402

MEASURED = sorted((ROOT / "docs" / "results" / "gpu-timing").glob("*.json"))
PARAMS = {"llama2-7b": 7_000_000_000, "llama2-13b": 13_000_000_000}


def write_measurement(path, per_unit_7b=0.02, per_unit_13b=0.04, complete=True):
    """A measurement file: 100 units per stage, a 7 s load, 10 s start-up."""
    stages = {
        "load/llama2-7b": {"seconds": 7.0, "units": 0},
        "answer/llama2-7b": {"seconds": 100 * per_unit_7b, "units": 100},
        "answer/llama2-13b": {"seconds": 100 * per_unit_13b, "units": 100},
        "finetune/llama2-7b": {"seconds": 7.0 + 100 * per_unit_7b, "units": 100,
                               "includes": "loading"},
    }  # fmt: skip
    raw = {"gpu": "test GPU", "startup_s": 10.0, "params": PARAMS, "stages": stages}
    if complete is not None:
        raw["complete"] = complete
    path.write_text(json.dumps(raw))
    return path


def test_a_run_gives_seconds_per_unit_without_its_loading(tmp_path):
    run = Measurement.read(write_measurement(tmp_path / "a.json"))
    assert run.per_unit[("finetune", "llama2-7b")] == pytest.approx(0.02)  # 7 s load taken off
    assert run.load_s_per_b == pytest.approx(1.0)
    # one start-up, the 13B's load scaled by size, then its work
    assert run.job_seconds(["llama2-13b"], {"answer": 1000}) == pytest.approx(10 + 13 + 40)
    with pytest.raises(KeyError):
        run.job_seconds(["llama2-13b"], {"finetune": 1})  # never timed


def test_an_incomplete_measurement_is_refused(tmp_path):
    with pytest.raises(ValueError, match="incomplete"):
        Measurement.read(write_measurement(tmp_path / "a.json", complete=False))


def test_rates_are_the_mean_over_runs_with_a_floor_where_the_small_model_is_slower(tmp_path):
    runs = [
        Measurement.read(write_measurement(tmp_path / "a.json", 0.02, 0.039)),
        Measurement.read(write_measurement(tmp_path / "b.json", 0.03, 0.052)),
    ]
    rates = fitted_rates(runs)
    assert rates["answer"]["per_b"] == pytest.approx(0.0455 / 13, abs=1e-5)
    assert rates["answer"]["floor"] == pytest.approx(0.025)  # 7B: 0.025 > 7 x 0.0035
    assert "floor" not in rates["finetune"]  # one model timed: no floor to fit


def test_the_built_in_gpu_rates_are_the_measured_ones():
    rates = fitted_rates([Measurement.read(path) for path in MEASURED])
    assert len(MEASURED) >= 2 and set(rates) == set(RATES["gpu"])
    for stage, rate in rates.items():
        assert RATES["gpu"][stage].per_b == rate["per_b"], stage
        if "floor" in rate:
            assert RATES["gpu"][stage].floor == rate["floor"], stage


DRY_RUN = """\
[Fri Dec  4 12:00:07 2026]
rule answer_questions:
    output: results/paper/w1/answers/llama2-13b/pool.parquet
    wildcards: w=1, model=llama2-13b
    resources: tmpdir=/tmp, mem_mb=47664, runtime=17, gpu=1
[Fri Dec  4 12:00:07 2026]
localrule finetuning_set:
    wildcards: w=1, student=llama2-7b, recipe=own
    resources: tmpdir=/tmp, mem_mb=4000, runtime=60
[Fri Dec  4 12:00:07 2026]
rule pretrain_model:
    wildcards: w=1, model=tiny
    resources: tmpdir=/tmp, mem_mb=3000, runtime=10, gpu=0
[Fri Dec  4 12:00:07 2026]
rule finetune_and_label:
    wildcards: w=1, student=llama2-7b, recipe=larger
    resources: tmpdir=/tmp, mem_mb=29504, runtime=32, gpu=1
"""


def test_a_dry_run_gives_its_gpu_jobs():
    jobs = planned_jobs(DRY_RUN)
    assert jobs["rule"].tolist() == ["answer_questions", "finetune_and_label"]
    assert jobs["runtime"].tolist() == [17, 32]
    assert jobs["wildcards"][1] == {"w": "1", "student": "llama2-7b", "recipe": "larger"}


def test_planned_jobs_are_sized_as_the_rules_size_them():
    config = validated(load_config("configs/paper.yaml"))
    models, work = job_models_and_work(config, "answer_questions", {"model": "llama2-13b"})
    assert models == ["llama2-13b"] and work == {"answer": 10_000 + 2_000}  # pool and test
    _, work = job_models_and_work(config, "finetune_and_label", {"student": "llama2-7b",
                                                                  "recipe": "own"})  # fmt: skip
    assert student_job_units(config) == 3  # one recipe, three seeds
    assert work == student_job_work(config, "llama2-7b")
    assert work["finetune"] == 3 * 300 * 16 * 2
    _, work = job_models_and_work(
        config, "knowledge_categories", {"model": "llama2-7b", "split": "test"}
    )
    assert work == shard_work(config, "categories", "llama2-7b", "test")
    assert work["categories"] == 500 * 10 * 17
    with pytest.raises(ValueError, match="no work known"):
        job_models_and_work(config, "plot_figures", {})


def test_a_student_job_counts_every_expanded_recipe_and_the_exposure_worlds_heldout():
    config = validated(load_config("config.yaml"))  # job_per student, with a sweep grid
    before = student_job_units(config)
    expand_sweeps(config)
    grid_cells = sum(name.startswith("grid_") for name in config["recipes"])
    assert grid_cells > 0
    assert student_job_units(config) == before + grid_cells * len(config["seeds"]["finetune"])
    assert answered_splits(config) == ["pool", "test"]
    assert answered_splits(validated(load_config("configs/exposure.yaml")))[-1] == "heldout"


def test_the_paper_plans_requests_are_within_3x_of_the_measured_runtimes():
    table, markdown = measure_gpu_rates.plan(ROOT / "configs" / "paper.yaml")
    assert set(table["rule"]) == {"answer_questions", "knowledge_categories", "finetune_and_label"}
    # no job killed even at the slowest run's pace; none asks more than 3x the mean
    assert (table["ratio_slowest"] >= 1).all(), table
    assert (table["ratio_high"] <= 3).all(), table
    doc = (ROOT / "docs" / "real-models.md").read_text()
    assert measure_gpu_rates.with_table(doc, markdown, ROOT / "docs/real-models.md") == doc, (
        "docs/real-models.md's GPU plan table is stale: run tools/measure_gpu_rates.py "
        "--plan configs/paper.yaml --write docs/real-models.md"
    )


def test_request_table_flags_a_request_below_the_measured_time(tmp_path):
    config = validated(load_config("configs/paper.yaml"))
    run = Measurement.read(write_measurement(tmp_path / "a.json", 0.02, 0.04))
    jobs = planned_jobs(DRY_RUN.replace("runtime=17", "runtime=1"))
    row = request_table(config, jobs[jobs.rule == "answer_questions"], [run])
    # 10 s + 13 s + 12,000 x 0.04 s = 8.4 min against 1 min asked
    assert row["measured_min"].iloc[0] == pytest.approx((10 + 13 + 480) / 60)
    assert row["ratio_slowest"].iloc[0] < 1


def test_the_measuring_tool_runs_through_on_a_cpu_with_tiny_shapes(tmp_path):
    from real_fixtures import real_model_dir

    out = tmp_path / "smoke.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "measure_gpu_rates.py"), "--smoke", "--json",
         str(out), "--tokenizer", str(real_model_dir("llama-spm")), "--questions", "40",
         "--slick-questions", "4", "--steps", "2"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    measured = Measurement.read(out)
    assert set(measured.per_unit) == {
        ("answer", "llama2-7b"), ("answer", "llama2-13b"), ("categories", "llama2-7b"),
        ("finetune", "llama2-7b"), ("label", "llama2-7b"),
    }  # fmt: skip
    raw = json.loads(out.read_text())
    assert raw["complete"] is True and raw["stages"]["finetune/llama2-7b"]["units"] == 2 * 32
    assert raw["stages"]["categories/llama2-7b"]["units"] == 4 * 2 * 17


def test_the_request_table_does_not_depend_on_the_dry_runs_job_order(tmp_path):
    config = validated(load_config("configs/paper.yaml"))
    run = Measurement.read(write_measurement(tmp_path / "a.json"))
    run = Measurement(**{**vars(run), "per_unit": {**run.per_unit, ("label", "llama2-7b"): 0.01}})
    jobs = planned_jobs(DRY_RUN)
    forward = request_table(config, jobs, [run])
    backward = request_table(config, jobs.iloc[::-1].reset_index(drop=True), [run])
    assert forward.equals(backward) and forward["rule"].is_monotonic_increasing
