"""The benchmark tool's pure helpers: benchmark files, start-up lines, labels, ratios, verdicts."""

import json
import math

import pandas as pd
import pytest
from torch import nn

from mismatch.joblog import job_log
from tools.benchmarking.common import (
    TARGETS,
    Target,
    gemm_flop_rate,
    lookup,
    planned_job_count,
    read_benchmark_file,
    rule_of,
    stage_table,
    token_counts,
    training_flops,
    verdict,
)
from tools.benchmarking.micro import loop_seconds, matmul_parameters
from tools.benchmarking.publishing import PUBLISHED, performance_block, publish, with_block
from tools.benchmarking.reports import format_rows
from tools.benchmarking.study import (
    RunLayout,
    compare_labels,
    job_phases,
    ratios,
    run_layout,
    startup_seconds,
    study_numbers,
)

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def write_benchmark(path, rows):
    """A benchmark TSV as Snakemake writes it: (s, max_rss, cpu_time) per row, None -> NA."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [HEADER]
    for seconds, rss, cpu in rows:
        rss_text, cpu_text = ("NA" if v is None else str(v) for v in (rss, cpu))
        lines.append(f"{seconds}\t0:00:01\t{rss_text}\t900\t80\t85\t0.1\t0.2\t50\t{cpu_text}\n")
    path.write_text("".join(lines))


@pytest.mark.parametrize(
    ("relative", "rule"),
    [
        ("w1/answer_questions/large/pool.0.tsv", "answer_questions"),
        ("w12/finetune_and_label/small/own/ft3.tsv", "finetune_and_label"),
        ("w1/synthetic_world.tsv", "synthetic_world"),
        ("summarize.tsv", "summarize"),
        ("fetch_model/qwen.tsv", "fetch_model"),
    ],
)
def test_rule_of_benchmark_path(relative, rule):
    assert rule_of(relative) == rule


def test_stage_table_sums_time_and_takes_largest_memory_per_rule(tmp_path):
    write_benchmark(tmp_path / "w1/pretrain_model/small.tsv", [(10.0, 300.0, 19.0)])
    write_benchmark(tmp_path / "w1/pretrain_model/large.tsv", [(30.0, 500.0, 58.0)])
    write_benchmark(tmp_path / "w2/pretrain_model/large.tsv", [(20.0, 400.0, 39.0)])
    write_benchmark(tmp_path / "w1/synthetic_world.tsv", [(0.5, None, None)])  # too short to sample
    write_benchmark(tmp_path / "summarize.tsv", [(4.0, 200.0, 3.5), (5.0, 250.0, 4.5)])  # repeats
    table = stage_table(tmp_path).set_index("rule")
    assert list(table.index) == ["pretrain_model", "summarize", "synthetic_world"]
    assert table.loc["pretrain_model", "jobs"] == 3
    assert table.loc["pretrain_model", "wall_s"] == 60.0
    assert table.loc["pretrain_model", "cpu_s"] == 116.0
    assert table.loc["pretrain_model", "max_rss_mib"] == 500.0
    assert table.loc["summarize", "jobs"] == 1
    assert table.loc["summarize", "wall_s"] == 9.0 and table.loc["summarize", "cpu_s"] == 8.0
    assert table.loc["synthetic_world", "cpu_s"] == 0.0
    assert math.isnan(table.loc["synthetic_world", "max_rss_mib"])
    assert table["share"].sum() == pytest.approx(1.0)
    assert table.loc["pretrain_model", "share"] == pytest.approx(60.0 / 69.5)


def test_stage_table_needs_benchmark_files(tmp_path):
    with pytest.raises(ValueError, match="no Snakemake benchmark files"):
        stage_table(tmp_path)
    (tmp_path / "other.tsv").write_text("a\tb\n1\t2\n")
    with pytest.raises(ValueError, match="other.tsv: not a Snakemake benchmark file"):
        read_benchmark_file(tmp_path / "other.tsv")


def test_planned_job_count_reads_the_job_stats_total():
    output = "Job stats:\njob        count\n-----  -------\nall          1\ntotal     1437\n\n"
    assert planned_job_count(output) == 1437
    assert planned_job_count("Nothing to be done.") == 0


def test_gemm_and_training_flop_arithmetic():
    assert gemm_flop_rate(1024, 1024, 1024, repeats=10, seconds=2.0) == 2 * 1024**3 * 10 / 2
    assert gemm_flop_rate(960, 128, 128, repeats=1, seconds=1.0) == 2 * 960 * 128 * 128
    assert training_flops(matmul_params=1000, tokens=50) == 300_000
    # the LM head (400 of the 1000 weights) runs at the 10 target positions only
    assert training_flops(1000, 50, head_params=400, head_tokens=10) == 6 * (600 * 50 + 400 * 10)


def test_student_job_time_splits_into_fine_tuning_and_the_rest(tmp_path):
    log = tmp_path / "logs" / "w1" / "finetune_and_label" / "s" / "own.log"
    log.parent.mkdir(parents=True)
    log.write_text(
        "[    0.0s] start-up: 4.0 s CPU\n"
        "[    2.0s] fine-tuning on 8 examples, 10 trainable parameters, 2 steps of 4\n"
        "[    5.0s] step 1/2 loss 1.0 lr 1e-4\n"
        "[    9.0s] step 2/2 loss 0.5 lr 1e-4\n"
        "[   20.0s] own seed 1: labels {}\n"
        "[   21.0s] fine-tuning on 8 examples, 10 trainable parameters, 2 steps of 4\n"
        "[   25.0s] step 2/2 loss 0.5 lr 1e-4\n"
        "[   30.0s] done\n"
    )
    assert job_phases(tmp_path / "logs") == {
        "fine_tuning_s": 7.0 + 4.0,
        "other_s": 30.0 - 11.0,
        "jobs_s": 30.0,
    }


def test_token_counts_separate_targets_real_tokens_and_padding():
    examples = [
        {"input_ids": [1, 5, 6, 7], "labels": [-100, -100, 6, 7]},
        {"input_ids": [1, 5, 9], "labels": [-100, -100, 9]},
        {"input_ids": [1, 8, 8, 8, 8, 2], "labels": [-100, -100, -100, 8, 8, 2]},
    ]
    counts = token_counts(examples, order=[0, 1, 2, 0], batch_size=2)
    # batches [0, 1] (widest 4) and [2, 0] (widest 6)
    assert counts == {"target": 2 + 1 + 3 + 2, "real": 4 + 3 + 6 + 4, "processed": 2 * 4 + 2 * 6}


def test_matmul_parameters_count_linear_weights_not_biases_or_embeddings():
    model = nn.Sequential(nn.Embedding(10, 4), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 10))
    assert matmul_parameters(model) == 4 * 3 + 3 * 10


def test_loop_seconds_spans_start_message_to_last_step():
    stamps = [
        (1.0, "loading"),
        (2.0, "fine-tuning on 40 examples"),
        (2.5, "step 3/30 loss 1"),
        (5.0, "step 30/30 loss 0.5"),
        (5.5, "saved"),
    ]
    assert loop_seconds(stamps, steps=30) == 3.0


def test_verdicts_pass_miss_and_not_measured():
    time_limit = Target("rerun", "rerun.wall_s", 5, "s")
    speedup = Target("speed-up", "answering.speedup", 10, "x", higher_is_better=True)
    assert verdict(time_limit, 4.9) == "PASS"
    assert verdict(time_limit, 7.5) == "MISS: 1.50x the limit, +2.5 s"
    assert verdict(speedup, 12.0) == "PASS"
    assert verdict(speedup, 4.0) == "MISS: 2.5x short"
    assert verdict(time_limit, None) == "not measured"


def test_targets_are_looked_up_in_the_results():
    results = {"study": {"wall_s": 100.0}, "answering": {"speedup": 3.0}}
    assert lookup(results, "study.wall_s") == 100.0
    assert lookup(results, "planning.wall_s") is None
    assert {t.key.split(".")[0] for t in TARGETS} == {
        "study",
        "answering",
        "planning",
        "rerun",
        "ratios",
    }


def test_format_rows_aligns_columns():
    text = format_rows(["rule", "s"], [["answer_questions", "12.5"], ["all", "3.0"]])
    lines = text.splitlines()
    assert lines[0].startswith("rule ") and lines[1].startswith("----------------")
    assert lines[2] == "answer_questions  12.5"
    assert lines[3] == "all                3.0"


def test_startup_seconds_reads_the_line_every_job_log_starts_with(tmp_path):
    for name in ("w1/finetune_and_label/small/own.log", "summarize.log"):
        with job_log(str(tmp_path / name)) as log:
            log("start-up: 99 s CPU in a message does not count twice")
    (tmp_path / "w1/old.log").write_text("[    0.0s] a log of a revision without the line\n")
    found = startup_seconds(tmp_path)
    assert len(found) == 2
    assert all(0 < seconds < 99 for seconds in found)  # this test process's CPU so far
    assert startup_seconds(tmp_path / "absent") == []


def test_study_numbers_count_one_process_per_job_and_the_startup_share(tmp_path):
    write_benchmark(tmp_path / "benchmarks/w1/pretrain_model/small.tsv", [(10.0, 300.0, 19.0)])
    write_benchmark(tmp_path / "benchmarks/summarize.tsv", [(4.0, 200.0, 3.5)])
    for name, cpu in (("a.log", 2.5), ("b.log", 1.5)):
        (tmp_path / "logs").mkdir(exist_ok=True)
        (tmp_path / "logs" / name).write_text(
            f"[    0.0s] start-up: {cpu:.3f} s CPU from process start to the job's entry point\n"
        )

    class Run:
        wall_s, cpu_s, peak_tree_rss_mib, peak_process_rss_mib = 30.0, 40.0, 900.0, 500.0

    layout = RunLayout(tmp_path, tmp_path / "logs", tmp_path / "benchmarks")
    numbers = study_numbers(layout, Run())
    assert numbers["jobs"] == 2 and numbers["python_processes"] == 3  # + Snakemake itself
    assert numbers["startup_cpu_s"] == 4.0 and numbers["startup_cpu_per_process_s"] == 2.0
    assert numbers["startup_share"] == pytest.approx(0.1)
    assert numbers["startup_share_pct"] == pytest.approx(10.0)
    assert "wall_s" not in study_numbers(layout, None)


def test_ratios_divide_new_by_old_where_both_are_known():
    new = {"wall_s": 300.0, "cpu_s": 500.0, "python_processes": 40}
    old = {"wall_s": 600.0, "cpu_s": 1000.0, "python_processes": 100, "startup_cpu_s": None}
    assert ratios(new, old) == {"wall_s": 0.5, "cpu_s": 0.5, "python_processes": 0.4}
    assert ratios({"wall_s": 1.0}, {"wall_s": 2.0}) == {"wall_s": 0.5}


def test_run_layout_finds_the_study_folder_or_a_baseline_revisions_layout(tmp_path):
    """This revision's runs keep everything under results/<study>/; a baseline revision from
    before per-study folders wrote results/, logs/ and benchmarks/ at the top."""
    configfile = tmp_path / "tiny.yaml"
    configfile.write_text("{}")
    old = run_layout(tmp_path, configfile)
    assert old == RunLayout(tmp_path / "results", tmp_path / "logs", tmp_path / "benchmarks")
    (tmp_path / "results" / "tiny").mkdir(parents=True)
    new = run_layout(tmp_path, configfile)
    study = tmp_path / "results" / "tiny"
    assert new == RunLayout(study, study / "logs", study / "benchmarks")


def test_compare_labels_finds_identical_and_different_files(tmp_path):
    new, old = tmp_path / "new", tmp_path / "old"
    table = pd.DataFrame({"question_id": ["a", "b"], "label": ["correct", "wrong"]})
    for run in (new, old):
        for seed in (1, 2):
            path = run / f"w1/labels/small/own/ft{seed}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            table.to_parquet(path)
    assert compare_labels(new, old) == {
        "files": 2,
        "missing_in_baseline": 0,
        "differ": [],
        "identical": True,
    }
    changed = table.assign(label=["wrong", "wrong"])
    changed.to_parquet(old / "w1/labels/small/own/ft2.parquet")
    (old / "w1/labels/small/own/ft1.parquet").unlink()
    compared = compare_labels(new, old)
    assert compared["identical"] is False and compared["missing_in_baseline"] == 1
    assert compared["differ"] == [
        "w1/labels/small/own/ft1.parquet",
        "w1/labels/small/own/ft2.parquet",
    ]


def test_published_performance_sections_are_what_the_committed_benchmark_renders():
    """The README's performance section and docs/performance.md's report are rendered from
    docs/results/benchmark.json (tools/benchmark.py --publish), never typed."""
    assert publish(None, check=True) == 0


def test_performance_block_shows_the_benchmarks_numbers():
    results = json.loads(PUBLISHED.read_text())
    block = performance_block(results)
    study, base = results["study"], results["baseline"]
    assert f"{results['ratios']['wall_s']:.3f}x" in block
    assert f"| wall time, s | {study['wall_s']:.0f} | {base['wall_s']:.0f} |" in block
    assert f"**{100 * study['startup_share']:.1f}%**" in block
    assert results["machine"]["processor"] in block
    results["labels"]["identical"] = False
    assert "DIFFERENT from the baseline's" in performance_block(results)


def test_with_block_replaces_only_between_the_markers(tmp_path):
    markers = ("<!-- a -->", "<!-- b -->")
    text = "head\n<!-- a -->\nold\n<!-- b -->\ntail\n"
    assert with_block(text, markers, "new", tmp_path) == "head\n<!-- a -->\nnew\n<!-- b -->\ntail\n"
    with pytest.raises(SystemExit, match="no <!-- a -->"):
        with_block("no markers", markers, "new", tmp_path)
