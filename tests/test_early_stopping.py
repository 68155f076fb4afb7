"""Early stopping: the adapter kept is the best dev step's, it survives a resume, and the dev
questions are held out from the unit's set."""

import json

import pandas as pd
import pytest
import torch
from conftest import FINETUNE_RECIPE, SYNTHETIC_PROMPT, defaults
from safetensors.torch import load_file

from mismatch.training.finetune import STOPPING_FILE, EarlyStopping, finetune, settings_from_config
from mismatch.training.student_jobs import dev_early_stopping, dev_questions

PROMPT, RECIPE = SYNTHETIC_PROMPT, FINETUNE_RECIPE
LORA, _ = settings_from_config(
    defaults("finetune") | {"lora": defaults("finetune.lora") | {"r": 4}}
)
TRAIN = settings_from_config(
    defaults("finetune")
    | {"steps": 8, "batch_size": 2, "learning_rate": 1e-2, "warmup_steps": 0, "checkpoint_every": 4}
)[1]
DEV_CURVE = {2: 0.25, 4: 0.75, 6: 0.75, 8: 0.5}  # step -> planted dev accuracy: step 4 wins


def test_the_adapter_kept_is_the_first_best_dev_step(tiny_llama_dir, tmp_path):
    calls: list[int] = []
    states: dict[int, dict[str, torch.Tensor]] = {}

    def accuracy(model, tokenizer) -> float:
        step = 2 * (len(calls) + 1)
        calls.append(step)
        assert tokenizer.padding_side == "left" and not model.training
        states[step] = {
            n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad
        }
        return DEV_CURVE[step]

    out = tmp_path / "adapter"
    metrics = finetune(
        tiny_llama_dir,
        RECIPE,
        PROMPT,
        LORA,
        TRAIN,
        0,
        out,
        log=lambda _: None,
        device="cpu",
        early_stopping=EarlyStopping(2, accuracy, {"dev_questions": ["d1"]}),
    )
    assert calls == [2, 4, 6, 8]
    assert [m.get("dev_accuracy") for m in metrics] == [
        None,
        0.25,
        None,
        0.75,
        None,
        0.75,
        None,
        0.5,
    ]
    record = json.loads((out / STOPPING_FILE).read_text())
    assert record["best_step"] == 4 and record["best_dev_accuracy"] == 0.75
    saved = load_file(out / "adapter_model.safetensors")
    kept = {k.replace(".default", ""): v for k, v in states[4].items()}
    final = {k.replace(".default", ""): v for k, v in states[8].items()}
    assert saved.keys() == kept.keys()
    assert all(torch.equal(saved[k], kept[k]) for k in saved)
    assert not all(torch.equal(saved[k], final[k]) for k in saved)
    header = (out / "loss.tsv").read_text().splitlines()[0].split("\t")
    assert header[-1] == "dev_accuracy"


def test_the_best_step_survives_a_resume(tiny_llama_dir, tmp_path):
    def curve(calls):
        def accuracy(model, tokenizer) -> float:
            calls.append(1)
            return DEV_CURVE[2 * len(calls)] if len(calls) <= 4 else 0.0

        return accuracy

    class Killed(Exception):
        pass

    def kill_after_step_4(message: str) -> None:
        if message.startswith("saved checkpoint step 4"):
            raise Killed

    def run(out, calls, **options):
        stopping = EarlyStopping(2, curve(calls), {"dev_questions": ["d1"]})
        finetune(
            tiny_llama_dir, RECIPE, PROMPT, LORA, TRAIN, 0, out, device="cpu",
            early_stopping=stopping, **options,
        )  # fmt: skip

    run(tmp_path / "reference", [], log=lambda _: None)
    checkpoints, calls = tmp_path / "checkpoints", []
    with pytest.raises(Killed):
        run(tmp_path / "resumed", calls, checkpoint_dir=checkpoints, log=kill_after_step_4)
    # the resumed run's curve goes on from step 6 (calls 3 and 4)
    run(tmp_path / "resumed", calls, checkpoint_dir=checkpoints, log=lambda _: None)
    assert json.loads((tmp_path / "resumed" / STOPPING_FILE).read_text())["best_step"] == 4
    saved = load_file(tmp_path / "resumed" / "adapter_model.safetensors")
    expected = load_file(tmp_path / "reference" / "adapter_model.safetensors")
    assert all(torch.equal(saved[k], expected[k]) for k in saved)


def test_dev_questions_are_pool_questions_the_unit_does_not_train_on():
    pool = pd.DataFrame(
        {
            "question_id": [f"q{i}" for i in range(10)],
            "question": ["?"] * 10,
            "answers": [["a"]] * 10,
        }
    )
    dev = dev_questions(pool, ["q1", "q2", "q3"], 4, seed=1)
    assert len(dev) == 4 and not set(dev["question_id"]) & {"q1", "q2", "q3"}
    assert dev.equals(dev_questions(pool, ["q1", "q2", "q3"], 4, seed=1))
    assert len(dev_questions(pool, ["q1"], 100, seed=1)) == 9
    with pytest.raises(Exception, match="every pool question"):
        dev_questions(pool, list(pool["question_id"]), 4, seed=1)


def test_dev_accuracy_is_the_zero_shot_answers_graded(tiny_llama_dir):
    from mismatch.answers.answering import answer_questions
    from mismatch.models.loading import load_model

    model, tokenizer = load_model(tiny_llama_dir, dtype="float32", device="cpu")
    dev = RECIPE.drop(columns="target")
    answering = {"batch_size": 4, "max_new_tokens": 12, "grading": "contains"}
    stopping = dev_early_stopping(dev, PROMPT, answering, eval_every=5)
    assert stopping.eval_every == 5 and stopping.identity["dev_questions"] == ["q1", "q2", "q3"]
    answers = answer_questions(
        model,
        tokenizer,
        dev,
        dev.iloc[:0],
        PROMPT,
        batch_size=4,
        max_new_tokens=12,
        grading_rule="contains",
    )
    assert stopping.accuracy(model, tokenizer) == answers["correct"].mean()
