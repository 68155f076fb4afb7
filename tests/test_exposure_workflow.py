"""The exposure world end to end on a tiny config: one corpus for every model, the held-out
paraphrase reference, every probe per model, and the probe report in the summary."""

import re

import pandas as pd
import pytest
from workflow_runs import finished_study, load_config

pytestmark = pytest.mark.slow


def exposure_config() -> dict:
    """configs/tiny.yaml as an exposure world (models differ in size and steps, not slices)."""
    config = load_config("configs/tiny.yaml")
    config["questions"]["synthetic"]["knowledge_model"] = "exposure"
    config["questions"]["synthetic"]["exposure"] = {"max_exposure": 6}
    for model in config["models"].values():
        del model["pretrain"]["knows"]
    config["models"]["large"]["pretrain"]["steps"] = 60
    config["models"]["mid"] = {"pretrain": config["models"]["small"]["pretrain"] | {"steps": 50}}
    config["knowledge_categories"] = {"enabled": True, "n_exemplar_sets": 2, "n_samples": 2}
    config["finetune"]["early_stopping"] = {"eval_every": 5, "dev_questions": 8}
    config["finetune_set_size"] = 12  # of 24 pool questions: the rest are dev questions
    config["recipes"] |= {
        "mid": {"kind": "teacher", "teacher": "mid"},
        "own_early": {"kind": "teacher", "teacher": "self", "stopping": "early"},
        "large_early": {"kind": "teacher", "teacher": "large", "stopping": "early"},
        "unknown": {"kind": "category", "category": "Unknown", "size": 4},
    }
    config["analysis"] = {"primary": "large"}
    return config


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    repo, _ = finished_study(tmp_path_factory.mktemp("exposure"), exposure_config())
    return repo


def test_every_model_reads_the_same_corpus(study):
    counts = {
        model: re.search(r"(\d+) pretraining units \(the world's one corpus\)", log.read_text())
        for model, log in (
            (m, study / f"results/test/logs/w1/pretrain_model/{m}.log") for m in ("small", "large")
        )
    }
    assert all(counts.values()) and counts["small"].group(1) == counts["large"].group(1)
    exposure = pd.read_parquet(study / "results/test/w1/world/exposure.parquet")
    facts = pd.read_parquet(study / "results/test/w1/world/facts.parquet")
    assert len(exposure) == len(facts) and exposure.exposure.between(0, 6).all()


def test_truth_is_the_held_out_paraphrase_answer(study):
    heldout = pd.read_parquet(study / "results/test/w1/questions/heldout.parquet")
    pool = pd.read_parquet(study / "results/test/w1/questions/pool.parquet")
    asked = heldout.set_index("question_id").loc[pool.question_id, "question"]
    assert (asked.to_numpy() != pool.question.to_numpy()).all()  # paraphrased, same facts
    for model in ("small", "large"):
        truth = pd.read_parquet(study / f"results/test/w1/world/truth/{model}.parquet")
        answers = pd.read_parquet(study / f"results/test/w1/answers/{model}/heldout.parquet")
        graded = answers.set_index("question_id")["correct"]
        rows = truth[truth.question_id.isin(graded.index)]
        assert (rows.truly_known.to_numpy() == graded.loc[rows.question_id].to_numpy()).all()
        assert "exposure" in truth.columns


def test_probe_report_in_the_summary(study):
    probes = pd.read_parquet(study / "results/test/w1/probes/small.parquet")
    assert {"exposure", "name_frequency", "greedy", "gold_probability", "truly_known"} <= set(
        probes.columns
    )
    assert probes.gold_probability.between(0, 1).all()
    report = pd.read_csv(study / "results/test/summary/probe_auroc.csv")
    assert set(report.model) == {"small", "mid", "large"}
    assert report.groupby("model").size().eq(6).all()  # SliCK's two probes on the pool split
    slick = report[report.probe.str.startswith("SliCK")]
    assert (slick.n_facts < report[report.probe == "greedy answer"].n_facts.max()).all()
    recall = pd.read_csv(study / "results/test/summary/recall_by_exposure.csv")
    assert recall.groupby("model").n_facts.sum().eq(len(probes)).all()
    assert (
        "Knowledge probes against the held-out-paraphrase reference"
        in (study / "results/test/summary/summary.md").read_text()
    )
    assert (study / "results/test/figures/recall_by_exposure.png").stat().st_size > 5000


def test_gap_training_length_and_gekhman_tables(study):
    summary = study / "results/test/summary"
    points = pd.read_csv(summary / "gap_points.csv")
    assert sorted(points[points.role == "primary"].recipe) == ["large", "mid"]
    assert (points.gap == points.teacher_accuracy - points.student_accuracy).all()
    assert set(points.definition) == {"truth", "measured"}  # the study's, and the sensitivity
    assert set(points[points.role == "primary"].definition) == {"truth"}
    fit = pd.read_csv(summary / "gap_fit.csv")
    primary = points[points.role == "primary"]
    if primary.gap.nunique() > 1:  # models this tiny may all know nothing: no line then
        lines = fit[fit.role == "primary"]
        assert set(lines.definition) == {"truth"} and "correlation" in set(lines.quantity)
        assert "predicted effect at the paper's gap" not in set(lines.quantity)  # greedy only
    assert "quantity" in fit.columns
    length = pd.read_csv(summary / "training_length.csv")
    row = length.set_index("early").loc["large_early"]
    assert row.converged == "large" and row.early_control == "own_early"
    assert 5 <= row.kept_step_min <= row.kept_step_max <= 10
    adapter = study / "results/test/w1/students/small/large_early/ft1/adapter"
    assert (adapter / "early_stopping.json").is_file()
    assert not (
        study / "results/test/w1/students/small/large/ft1/adapter/early_stopping.json"
    ).exists()
    sets = pd.read_parquet(study / "results/test/w1/sets/small/unknown.parquet")
    categories = pd.read_parquet(study / "results/test/w1/categories/small/pool.parquet")
    of = categories.set_index("question_id").loc[sets.question_id, "category"]
    assert (of == "Unknown").all() and len(sets) == 4 * 2  # two seed runs
    gekhman = pd.read_csv(summary / "gekhman_points.csv")
    assert {"own", "large", "mid", "unknown"} <= set(gekhman.recipe)
    assert "large_early" not in set(gekhman.recipe)
    text = (summary / "summary.md").read_text()
    assert "The effect against the teacher's knowledge gap" in text
    assert "Training length: early stopping against convergence" in text
