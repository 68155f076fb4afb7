"""Tiny models: build from config, parameter count, packing, pretraining and saving."""

import random

import pytest
import torch
from conftest import defaults
from transformers import AutoModelForCausalLM, AutoTokenizer

from mismatch.errors import InputError
from mismatch.world.pretrain import (
    PretrainSettings,
    UnitStream,
    build_model,
    count_parameters,
    learning_rate_factor,
    pack_batch,
    pretrain,
    save_model,
    write_loss_table,
)
from mismatch.world.tokenizer import train_tokenizer

UNITS = [
    "Tavo Ren is a person.\n",
    "Question: What does Tavo Ren play?\nAnswer: The answer is harp.\n",
    "Question: What does Mira Sol play?\nAnswer: The answer is banjo.\n",
    "Mira Sol plays the banjo.\n",
    "Question: What does Kel Vun play?\nAnswer: I don't know.\n",
]
TINY = PretrainSettings.from_config(
    {
        **defaults("pretrain"),
        "hidden_size": 32,
        "n_layers": 1,
        "n_heads": 2,
        "max_length": 48,
        "steps": 40,
        "learning_rate": 1e-2,
        "batch_size": 4,
        "warmup_steps": 3,
    }
)


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer(UNITS, vocab_size=320)


@pytest.mark.parametrize("architecture", ["llama", "gpt2"])
def test_build_model_matches_tokenizer_and_formula(tokenizer, architecture):
    settings = PretrainSettings(**{**TINY.__dict__, "architecture": architecture})
    model = build_model(settings, tokenizer, seed=0)
    config = model.config
    assert config.vocab_size == len(tokenizer)
    assert model.get_input_embeddings().weight.shape[0] == len(tokenizer)
    assert (config.bos_token_id, config.eos_token_id, config.pad_token_id) == (
        tokenizer.bos_token_id,
        tokenizer.eos_token_id,
        tokenizer.pad_token_id,
    )
    assert model.dtype == torch.float32
    assert sum(p.numel() for p in model.parameters()) == count_parameters(settings, len(tokenizer))


def test_count_parameters_with_explicit_intermediate_size(tokenizer):
    settings = PretrainSettings(**{**TINY.__dict__, "intermediate_size": 40, "n_layers": 2})
    model = build_model(settings, tokenizer, seed=0)
    assert sum(p.numel() for p in model.parameters()) == count_parameters(settings, len(tokenizer))


def test_build_model_is_seeded(tokenizer):
    first, again, other = (build_model(TINY, tokenizer, seed=s) for s in (1, 1, 2))
    weights = [m.get_input_embeddings().weight for m in (first, again, other)]
    assert torch.equal(weights[0], weights[1])
    assert not torch.equal(weights[0], weights[2])


def test_pack_batch_keeps_units_whole_and_masks_padding(tokenizer):
    assert (tokenizer.bos_token_id, tokenizer.pad_token_id) == (1, 0)
    units = [[5, 6, 7], [8, 9], [10, 11, 12, 13]]
    stream = UnitStream(len(units), random.Random(0))
    ids, mask, labels = pack_batch(units, stream, batch_size=6, max_length=8, tokenizer=tokenizer)
    assert ids.shape[0] == 6 and ids.shape[1] <= 8
    for row, row_mask, row_labels in zip(ids.tolist(), mask.tolist(), labels.tolist(), strict=True):
        length = sum(row_mask)
        assert row[0] == 1 and all(t == 0 for t in row[length:])
        assert all(lab == -100 for lab in row_labels[length:])
        body, pieces = row[1:length], []
        while body:
            unit = next(u for u in units if body[: len(u)] == u)
            pieces.append(unit)
            body = body[len(unit) :]
        assert pieces


def test_unit_stream_visits_every_unit_once_per_pass():
    stream = UnitStream(7, random.Random(3))
    assert sorted(stream() for _ in range(7)) == list(range(7))
    assert sorted(stream() for _ in range(7)) == list(range(7))


def test_learning_rate_warms_up_then_decays():
    factors = [learning_rate_factor(step, 5, 50) for step in range(50)]
    assert factors[0] == pytest.approx(0.2) and factors[4] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(factors[4:], factors[5:], strict=False))
    assert factors[-1] < 0.01


def test_pretraining_reduces_loss_and_is_deterministic(tokenizer):
    torch.set_num_threads(1)
    losses = pretrain(build_model(TINY, tokenizer, seed=0), tokenizer, UNITS, TINY, seed=0)
    assert len(losses) == TINY.steps
    assert sum(losses[-5:]) / 5 < 0.5 * sum(losses[:5]) / 5
    again = pretrain(build_model(TINY, tokenizer, seed=0), tokenizer, UNITS, TINY, seed=0)
    assert again == losses


def test_save_model_loads_back(tokenizer, tmp_path):
    model = build_model(TINY, tokenizer, seed=0)
    save_model(model, tokenizer, tmp_path)
    assert (tmp_path / "model.safetensors").exists()
    loaded = AutoModelForCausalLM.from_pretrained(tmp_path)
    loaded_tokenizer = AutoTokenizer.from_pretrained(tmp_path)
    ids = loaded_tokenizer(UNITS[1], return_tensors="pt")["input_ids"]
    with torch.no_grad():
        assert torch.allclose(model(ids).logits, loaded(ids).logits)


def test_settings_from_config_ignore_knows():
    section = {**defaults("pretrain"), "knows": 0.4, "hidden_size": 64, "steps": 7}
    settings = PretrainSettings.from_config(section)
    assert (settings.hidden_size, settings.steps) == (64, 7)
    assert settings.n_layers == defaults("pretrain")["n_layers"]


def test_loss_table(tmp_path):
    write_loss_table([2.5, 1.25], tmp_path / "loss.tsv")
    assert (tmp_path / "loss.tsv").read_text() == "step\tloss\n1\t2.500000\n2\t1.250000\n"


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"n_heads": 3}, "pretrain.n_heads"),
    ],
)
def test_bad_settings_name_the_key(tokenizer, changes, key):
    settings = PretrainSettings(**{**TINY.__dict__, **changes})
    with pytest.raises(InputError, match=key):
        build_model(settings, tokenizer, seed=0)
