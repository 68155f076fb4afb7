"""configs/paper-regime.yaml is the exposure world's run with the paper's student and teacher:
the same world, corpus, pretraining of those two models, prompt, answering and fine-tuning."""

from pathlib import Path

import yaml

from mismatch import configuration as cfg

ROOT = Path(__file__).resolve().parents[1]


def _config(name: str) -> dict:
    return cfg.validated(yaml.safe_load((ROOT / "configs" / name).read_text()))


def test_paper_regime_runs_the_exposure_world_with_its_mid_and_xl_models():
    exposure, paper = _config("exposure.yaml"), _config("paper-regime.yaml")
    for section in ("seeds", "questions", "prompt", "answering", "finetune_set_size"):
        assert paper[section] == exposure[section], section
    for key in ("lora", "steps", "batch_size", "learning_rate"):
        assert paper["finetune"][key] == exposure["finetune"][key], key
    assert set(paper["models"]) == {"mid", "xl"}
    for model in paper["models"]:
        assert paper["models"][model] == exposure["models"][model], model
    assert paper["students"] == ["mid"] and paper["analysis"]["primary"] == "xl"
    assert paper["knowledge"]["basis"] == "measured"  # the paper's rule: graded answers
    assert paper["recipes"] == {
        "own": {"kind": "teacher", "teacher": "self"},
        "xl": {"kind": "teacher", "teacher": "xl"},
    }
