"""LoRA fine-tuning: loss masking, target layers, training, saving and resuming."""

from pathlib import Path

import pytest
import torch
from conftest import FINETUNE_RECIPE, SYNTHETIC_PROMPT, defaults
from peft import PeftModel
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer

from mismatch.answers.generation import encode_prompts
from mismatch.training.finetune import (
    IGNORE_INDEX,
    FinetuneSettings,
    LoraSettings,
    build_examples,
    checkpoint_key,
    collate_batch,
    example_order,
    finetune,
    lora_config,
    settings_from_config,
)
from mismatch.training.labels import evaluate_student

PROMPT, RECIPE = SYNTHETIC_PROMPT, FINETUNE_RECIPE


def finetune_settings(**changes) -> FinetuneSettings:
    return FinetuneSettings(**{**settings_from_config(defaults("finetune"))[1].__dict__, **changes})


def lora_settings(**changes) -> LoraSettings:
    return LoraSettings(**{**settings_from_config(defaults("finetune"))[0].__dict__, **changes})


TINY = finetune_settings(
    steps=6, batch_size=2, learning_rate=1e-2, warmup_steps=2, checkpoint_every=2, max_length=64
)
LORA = lora_settings(r=4, alpha=8)
CPU = "cpu"


def quiet(_: str) -> None:
    pass


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models train fastest on one thread (and the test machine's cores are shared)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def sharp_llama_dir(tiny_llama_dir, tmp_path_factory) -> Path:
    """The tiny Llama with a 20x larger output layer, so LoRA can make confident predictions."""
    model = AutoModelForCausalLM.from_pretrained(tiny_llama_dir)
    with torch.no_grad():
        model.lm_head.weight.mul_(20)
    path = tmp_path_factory.mktemp("sharp_llama")
    model.save_pretrained(path)
    AutoTokenizer.from_pretrained(tiny_llama_dir).save_pretrained(path)
    return path


def test_labels_mask_prompt_and_padding(tiny_llama_dir):
    tokenizer = AutoTokenizer.from_pretrained(tiny_llama_dir)
    examples = build_examples(RECIPE, tokenizer, PROMPT, max_length=64)
    prompt_ids = encode_prompts(tokenizer, [PROMPT.prompt(q) for q in RECIPE["question"]])
    for example, context, target in zip(examples, prompt_ids, RECIPE["target"], strict=True):
        n = len(context)
        assert example["input_ids"][:n] == context
        assert example["labels"][:n] == [IGNORE_INDEX] * n
        answer = example["labels"][n:]
        assert IGNORE_INDEX not in answer
        assert answer[-1] == tokenizer.eos_token_id
        expected = PROMPT.target(target if isinstance(target, str) else None)  # NaN: abstain
        assert tokenizer.decode(answer[:-1]) == expected
    tokenizer.padding_side = "right"
    batch = collate_batch(examples, tokenizer)
    lengths = [len(e["input_ids"]) for e in examples]
    assert batch["input_ids"].shape == (3, max(lengths))
    for row, n in enumerate(lengths):
        assert batch["attention_mask"][row].tolist() == [1] * n + [0] * (max(lengths) - n)
        assert (batch["labels"][row, n:] == IGNORE_INDEX).all()
        assert batch["labels"][row, :n].tolist() == examples[row]["labels"]


def test_long_prompts_are_cut_from_the_left_keeping_bos(tiny_llama_dir):
    tokenizer = AutoTokenizer.from_pretrained(tiny_llama_dir)
    full = build_examples(RECIPE, tokenizer, PROMPT, max_length=64)[0]
    cut = build_examples(RECIPE, tokenizer, PROMPT, max_length=20)[0]
    assert cut["truncated"] and not full["truncated"]
    assert len(cut["input_ids"]) == 20
    assert cut["input_ids"][0] == tokenizer.bos_token_id
    assert cut["input_ids"][1:] == full["input_ids"][-19:]


def test_all_linear_targets_every_projection_but_the_head(tiny_llama_dir, tiny_gpt2_dir):
    """peft's "all-linear" picks the attention and MLP projections (GPT-2's Conv1D ones with
    fan_in_fan_out), never the output head."""
    from peft import get_peft_model

    expected = {
        tiny_llama_dir: (
            {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"},
            False,
        ),
        tiny_gpt2_dir: ({"c_attn", "c_proj", "c_fc"}, True),
    }
    for path, (targets, fan_in_fan_out) in expected.items():
        base = AutoModelForCausalLM.from_pretrained(path)
        model = get_peft_model(base, lora_config(LORA))
        assert model.peft_config["default"].fan_in_fan_out is fan_in_fan_out
        adapted = {n.rsplit(".", 1)[-1] for n, m in model.named_modules() if hasattr(m, "lora_A")}
        assert adapted == targets


def test_example_order_depends_on_seed_and_count_only():
    assert example_order(5, 12, seed=3) == example_order(5, 12, seed=3)
    assert example_order(5, 12, seed=3) != example_order(5, 12, seed=4)
    order = example_order(5, 12, seed=3)
    assert sorted(order[:5]) == list(range(5)) and sorted(order[5:10]) == list(range(5))


def test_checkpoint_key_changes_with_rank():
    digests = {"recipe": "abc"}
    key = checkpoint_key({"r": 8, "steps": 150}, digests)
    assert len(key) == 16 and int(key, 16) >= 0
    assert key == checkpoint_key({"steps": 150, "r": 8}, digests)
    assert key != checkpoint_key({"r": 16, "steps": 150}, digests)
    assert key != checkpoint_key({"r": 8, "steps": 150}, {"recipe": "abd"})


def test_finetune_gpt2_saves_a_loadable_adapter(tiny_gpt2_dir, tmp_path):
    settings = finetune_settings(steps=15, batch_size=3, learning_rate=2e-2, warmup_steps=0)
    out = tmp_path / "adapter"
    metrics = finetune(tiny_gpt2_dir, RECIPE, PROMPT, LORA, settings, 0, out, log=quiet, device=CPU)
    assert [m["step"] for m in metrics] == list(range(1, 16))
    assert metrics[-1]["loss"] < metrics[0]["loss"] - 0.2  # random GPT-2: logits are tiny
    assert all(m["tokens"] > 0 for m in metrics)
    lines = (out / "loss.tsv").read_text().splitlines()
    assert lines[0] == "step\tloss\tlr\ttokens" and len(lines) == 16
    assert not list(tmp_path.glob(".*tmp*"))
    base = AutoModelForCausalLM.from_pretrained(tiny_gpt2_dir)
    model = PeftModel.from_pretrained(base, out)
    assert any("lora_A" in name for name, _ in model.named_parameters())


def run(model_dir: Path, out: Path, checkpoints: Path | None, log=quiet) -> list[dict]:
    lora = lora_settings(r=4, alpha=8, dropout=0.2)  # dropout: resuming must restore the RNG
    return finetune(
        model_dir,
        RECIPE,
        PROMPT,
        lora,
        TINY,
        7,
        out,
        checkpoint_dir=checkpoints,
        log=log,
        device="cpu",
    )


def test_resumed_run_equals_uninterrupted_run(tiny_llama_dir, tmp_path):
    reference = run(tiny_llama_dir, tmp_path / "reference", None)

    class Killed(Exception):
        pass

    def kill_after_step_4(message: str) -> None:
        if message.startswith("saved checkpoint step 4"):
            raise Killed

    checkpoints = tmp_path / "checkpoints"
    with pytest.raises(Killed):
        run(tiny_llama_dir, tmp_path / "resumed", checkpoints, log=kill_after_step_4)
    assert not (tmp_path / "resumed").exists()
    assert sorted(p.name for p in checkpoints.iterdir()) == ["step-000002", "step-000004"]
    (checkpoints / "step-000005").mkdir()  # a corrupt newest checkpoint is skipped
    (checkpoints / "step-000005" / "state.pt").write_bytes(b"truncated")

    messages: list[str] = []
    resumed = run(tiny_llama_dir, tmp_path / "resumed", checkpoints, log=messages.append)
    assert any(m.startswith("skipping checkpoint") and "step-000005" in m for m in messages)
    assert any(m.startswith("resuming from checkpoint step 4 (") for m in messages)
    assert resumed == reference
    assert not checkpoints.exists()
    weights = load_file(tmp_path / "resumed" / "adapter_model.safetensors")
    expected = load_file(tmp_path / "reference" / "adapter_model.safetensors")
    assert weights.keys() == expected.keys()
    assert all(torch.equal(weights[k], expected[k]) for k in weights)


def test_student_learns_a_single_fact(sharp_llama_dir, tmp_path):
    one = RECIPE.iloc[:1]
    settings = finetune_settings(steps=30, batch_size=4, learning_rate=1e-2, warmup_steps=0)
    out = tmp_path / "adapter"
    metrics = finetune(sharp_llama_dir, one, PROMPT, LORA, settings, 0, out, log=quiet, device=CPU)
    assert metrics[-1]["loss"] < 0.05 * metrics[0]["loss"]
    answers = evaluate_student(
        sharp_llama_dir, out, one, PROMPT, batch_size=1, max_new_tokens=12, device="cpu"
    )
    assert answers.loc[0, "answer"] == "Quelm"
    assert bool(answers.loc[0, "correct"])
    # the shared start of the zero-shot prompts prefilled once: the same greedy answers
    several = RECIPE.iloc[:4]
    plain, cached = (
        evaluate_student(
            sharp_llama_dir,
            out,
            several,
            PROMPT,
            batch_size=2,
            max_new_tokens=12,
            device="cpu",
            prefix_cache=cache,
        )  # fmt: skip
        for cache in (False, True)
    )
    assert plain["prediction"].tolist() == cached["prediction"].tolist()


def test_device_map_reaches_from_pretrained_in_finetuning_and_labelling(
    tiny_llama_dir, tmp_path, monkeypatch
):
    from mismatch import configuration
    from mismatch.models import loading as modeling
    from mismatch.training import finetune as finetune_module

    seen = []
    original = modeling.AutoModelForCausalLM.from_pretrained

    def recording(*args, **kwargs):
        seen.append(kwargs.get("device_map"))
        return original(*args, **kwargs)

    monkeypatch.setattr(modeling.AutoModelForCausalLM, "from_pretrained", recording)
    config = {
        "finetune": defaults("finetune")
        | {
            "lora": defaults("finetune.lora") | {"r": 4, "alpha": 8},
            "steps": 1,
            "batch_size": 2,
            "checkpoint_root": str(tmp_path / "checkpoints"),
        },
        "models": {"s": {"path": str(tiny_llama_dir), "dtype": "float32", "device_map": "cpu"}},
    }
    settings = configuration.finetune_settings(config, "s")
    assert settings["device_map"] == "cpu"
    recipe_path = tmp_path / "recipe.parquet"
    RECIPE.to_parquet(recipe_path)
    out = tmp_path / "adapter"
    finetune_module.finetune_from_config(
        base_model_dir=str(tiny_llama_dir),
        recipe=RECIPE,
        recipe_path=str(recipe_path),
        prompt=PROMPT,
        settings={**settings, "checkpoint_root": str(tmp_path / "ckpt")},
        seed=0,
        adapter_dir=str(out),
        loss_path=str(tmp_path / "loss.tsv"),
        log=quiet,
    )
    assert seen == ["cpu"]
    evaluate_student(
        tiny_llama_dir, out, RECIPE, PROMPT, batch_size=2, max_new_tokens=2, device_map="cpu"
    )
    assert seen == ["cpu", "cpu"]
    del config["models"]["s"]["device_map"]  # unset: not in the job's settings at all
    assert "device_map" not in configuration.finetune_settings(config, "s")
