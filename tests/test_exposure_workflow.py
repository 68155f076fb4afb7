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
    return config


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    repo, _ = finished_study(tmp_path_factory.mktemp("exposure"), exposure_config())
    return repo


def test_every_model_reads_the_same_corpus(study):
    counts = {
        model: re.search(r"(\d+) pretraining units \(the world's one corpus\)", log.read_text())
        for model, log in (
            (m, study / f"logs/w1/pretrain_model/{m}.log") for m in ("small", "large")
        )
    }
    assert all(counts.values()) and counts["small"].group(1) == counts["large"].group(1)
    exposure = pd.read_parquet(study / "results/w1/world/exposure.parquet")
    facts = pd.read_parquet(study / "results/w1/world/facts.parquet")
    assert len(exposure) == len(facts) and exposure.exposure.between(0, 6).all()


def test_truth_is_the_held_out_paraphrase_answer(study):
    heldout = pd.read_parquet(study / "results/w1/questions/heldout.parquet")
    pool = pd.read_parquet(study / "results/w1/questions/pool.parquet")
    asked = heldout.set_index("question_id").loc[pool.question_id, "question"]
    assert (asked.to_numpy() != pool.question.to_numpy()).all()  # paraphrased, same facts
    for model in ("small", "large"):
        truth = pd.read_parquet(study / f"results/w1/world/truth/{model}.parquet")
        answers = pd.read_parquet(study / f"results/w1/answers/{model}/heldout.parquet")
        graded = answers.set_index("question_id")["correct"]
        rows = truth[truth.question_id.isin(graded.index)]
        assert (rows.truly_known.to_numpy() == graded.loc[rows.question_id].to_numpy()).all()
        assert "exposure" in truth.columns


def test_probe_report_in_the_summary(study):
    probes = pd.read_parquet(study / "results/w1/probes/small.parquet")
    assert {"exposure", "name_frequency", "greedy", "gold_probability", "truly_known"} <= set(
        probes.columns
    )
    assert probes.gold_probability.between(0, 1).all()
    report = pd.read_csv(study / "results/summary/probe_auroc.csv")
    assert len(report) == 2 * 4 and set(report.model) == {"small", "large"}
    recall = pd.read_csv(study / "results/summary/recall_by_exposure.csv")
    assert recall.groupby("model").n_facts.sum().eq(len(probes)).all()
    assert (
        "Knowledge probes against the held-out-paraphrase reference"
        in (study / "results/summary/summary.md").read_text()
    )
    assert (study / "figures/recall_by_exposure.png").stat().st_size > 5000
