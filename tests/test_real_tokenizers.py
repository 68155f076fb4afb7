"""Token-level behaviour with real tokenizers (Llama-2 SPM, Llama-3 BPE, GPT-2, Qwen2) and tiny
random models of their architectures (fixtures of tools/real_tokenizers.py), with the token ids
asserted. A random model never emits a newline by itself, so the stopping tests plant the model's
output: a wrapper on ``forward`` makes a chosen continuation the greedy one."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch
from conftest import defaults
from real_fixtures import NAMES, real_model_dir
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

from mismatch.answers.generation import encode_prompts, generate
from mismatch.answers.grading import label_answer
from mismatch.answers.prompting import PromptFormat
from mismatch.models.loading import load_model
from mismatch.training.finetune import IGNORE_INDEX, build_examples

PROMPT = PromptFormat.from_config(
    defaults("prompt")
)  # TriviaQA: "Question: {q}\nAnswer:" + " {answer}"
QUESTION = "Who wrote Hamlet?"

VOCAB_SIZE = {"llama-spm": 32000, "llama-bpe": 128257, "gpt-2": 50257, "qwen2": 151936}
ARCHITECTURE = {"llama-spm": "llama", "llama-bpe": "llama", "gpt-2": "gpt2", "qwen2": "qwen2"}
# encode_prompts(PROMPT.prompt(QUESTION)): bos (none for Qwen2) + "Question: Who wrote Hamlet?\n
# Answer:"; Llama-2's "Question:" is [894, 29901] after bos 1, as with the original tokenizer.
PROMPT_IDS = {
    "llama-spm": [1, 894, 29901, 11644, 5456, 7904, 1026, 29973, 13, 22550, 29901],
    "llama-bpe": [128000, 14924, 25, 10699, 6267, 9777, 1169, 5380, 16533, 25],
    "gpt-2": [50256, 24361, 25, 5338, 2630, 4345, 1616, 30, 198, 33706, 25],
    "qwen2": [14582, 25, 10479, 6139, 9582, 1149, 5267, 16141, 25],
}
# Loss-bearing ids of " William Shakespeare\n" and " I don't know.\n", then eos. SentencePiece
# folds the space into "▁William" (4667); Llama-3 and Qwen2 merge ".\n" into one token (627, 624).
ANSWER_LABELS = {
    "llama-spm": [4667, 23688, 13, 2],
    "llama-bpe": [12656, 42482, 198, 128001],
    "gpt-2": [3977, 22197, 198, 50256],
    "qwen2": [12375, 41382, 198, 151643],
}
ABSTENTION_LABELS = {
    "llama-spm": [306, 1016, 29915, 29873, 1073, 29889, 13, 2],
    "llama-bpe": [358, 1541, 956, 1440, 627, 128001],
    "gpt-2": [314, 836, 470, 760, 13, 198, 50256],
    "qwen2": [358, 1513, 944, 1414, 624, 151643],
}
# The abstention " I don't know." on its own (Llama-2 keeps the original's extra "▁", 29871).
ABSTENTION_IDS = {
    "llama-spm": [29871, 306, 1016, 29915, 29873, 1073, 29889],
    "llama-bpe": [358, 1541, 956, 1440, 13],
    "gpt-2": [314, 836, 470, 760, 13],
    "qwen2": [358, 1513, 944, 1414, 13],
}
BOS = {"llama-spm": 1, "llama-bpe": 128000, "gpt-2": 50256, "qwen2": None}
PAD = {"llama-spm": 2, "llama-bpe": 128001, "gpt-2": 50256, "qwen2": 151643}

pytestmark = pytest.mark.parametrize("name", NAMES)


_LOADED: dict[str, tuple] = {}


@pytest.fixture
def loaded(name):
    """(model, tokenizer) as every job loads them: float32 on the CPU, left padding, pad set.

    Loaded once per vocabulary (the large tokenizers take seconds); tests must not change them.
    """
    if name not in _LOADED:
        _LOADED[name] = load_model(real_model_dir(name), dtype="float32", device="cpu")
    model, tokenizer = _LOADED[name]
    yield model, tokenizer
    model.__dict__.pop("forward", None)  # undo a planted forward


def test_fixture_matches_every_reference_case_and_has_the_real_vocabulary(name):
    path = real_model_dir(name)
    record = json.loads((path / "fixture.json").read_text())
    assert record["reference_cases"] == 46
    assert record["reference_matches"] == 46
    tokenizer = AutoTokenizer.from_pretrained(path)
    config = AutoConfig.from_pretrained(path)
    assert len(tokenizer) == VOCAB_SIZE[name] == config.vocab_size
    assert config.model_type == ARCHITECTURE[name]
    assert config.hidden_size <= 32 and config.num_hidden_layers <= 2


def test_prompt_ids_and_bos(name, loaded):
    _, tokenizer = loaded
    assert encode_prompts(tokenizer, [PROMPT.prompt(QUESTION)]) == [PROMPT_IDS[name]]
    assert tokenizer.bos_token_id == BOS[name]


def test_loss_mask_covers_exactly_the_answer_tokens_and_the_newline(name, loaded):
    _, tokenizer = loaded
    recipe = pd.DataFrame(
        {"question": [QUESTION, QUESTION], "target": ["William Shakespeare", None]}
    )
    answered, abstained = build_examples(recipe, tokenizer, PROMPT, max_length=64)
    for example, expected, target in (
        (answered, ANSWER_LABELS[name], " William Shakespeare\n"),
        (abstained, ABSTENTION_LABELS[name], " I don't know.\n"),
    ):
        n_prompt = len(PROMPT_IDS[name])
        # fine-tuning sees exactly the prompt ids evaluation sees (same bos, nothing doubled)
        assert example["input_ids"][:n_prompt] == PROMPT_IDS[name]
        assert example["labels"][:n_prompt] == [IGNORE_INDEX] * n_prompt
        assert example["labels"][n_prompt:] == expected == example["input_ids"][n_prompt:]
        assert tokenizer.decode(expected[:-1]).strip() == target.strip()
        assert tokenizer.decode(expected[:-1]).endswith("\n")
        if BOS[name] is not None:
            assert example["input_ids"].count(BOS[name]) == 1 + (BOS[name] == expected[-1])


def _plant(model, tokenizer, prompt: str, continuation: str) -> tuple[list[int], list[int]]:
    """Make ``continuation`` the greedy output after ``prompt``; return its ids and a list that
    counts the forward passes of the next ``generate``."""
    prompt_ids = encode_prompts(tokenizer, [prompt])[0]
    full = encode_prompts(tokenizer, [prompt + continuation])[0]
    assert full[: len(prompt_ids)] == prompt_ids
    planted = full[len(prompt_ids) :]
    calls: list[int] = []
    forward = model.forward

    def planted_forward(*args, **kwargs):
        output = forward(*args, **kwargs)
        step = len(calls)
        calls.append(step)
        output.logits[:, -1, :] = -1e4
        output.logits[:, -1, planted[min(step, len(planted) - 1)]] = 1e4
        return output

    model.forward = planted_forward
    return planted, calls


@pytest.mark.parametrize(
    ("continuation", "answer", "label"),
    [
        (" William Shakespeare\nQuestion: Who", "William Shakespeare", "correct"),
        (" I don't know.\nQuestion: Who", "I don't know.", "abstain"),
    ],
)
def test_generation_stops_at_the_newline_matched_as_a_string(
    name, loaded, continuation, answer, label
):
    model, tokenizer = loaded
    planted, calls = _plant(model, tokenizer, PROMPT.prompt(QUESTION), continuation)
    newline_at = next(i for i, t in enumerate(planted) if "\n" in tokenizer.decode([t]))
    if name in ("llama-bpe", "qwen2") and label == "abstain":
        assert tokenizer.decode([planted[newline_at]]) == ".\n"  # merged: not a bare "\n" token
    texts = generate(model, tokenizer, [PROMPT.prompt(QUESTION)], batch_size=1, max_new_tokens=12)
    assert len(calls) == newline_at + 1  # stopped right after the token holding the newline
    assert "\n" not in texts[0]
    assert PROMPT.extract_answer(texts[0]) == answer
    assert label_answer(PROMPT.extract_answer(texts[0]), ["William Shakespeare"]) == label


def test_batched_left_padded_answers_equal_one_at_a_time(name, loaded):
    model, tokenizer = loaded
    questions = [
        "Who wrote Hamlet?",
        "Which element has the chemical symbol Fe?",
        "In which year did the Berlin Wall fall?",
        "What is the capital of Australia, the country and continent?",
    ]
    prompts = [PROMPT.prompt(q, [("What is 2 + 2?", "4")]) for q in questions]
    batched = generate(model, tokenizer, prompts, batch_size=len(prompts), max_new_tokens=6)
    single = [generate(model, tokenizer, [p], batch_size=1, max_new_tokens=6)[0] for p in prompts]
    assert batched == single
    assert any(batched)  # the random model did write something


def test_abstention_round_trips_through_encode_and_decode(name, loaded):
    _, tokenizer = loaded
    ids = tokenizer.encode(PROMPT.abstention, add_special_tokens=False)
    assert ids == ABSTENTION_IDS[name]
    assert tokenizer.decode(ids) == PROMPT.abstention
    # as a generated continuation of the prompt it is still recognised as an abstention
    full = encode_prompts(tokenizer, [PROMPT.prompt(QUESTION) + PROMPT.abstention])[0]
    continuation = tokenizer.decode(full[len(PROMPT_IDS[name]) :], skip_special_tokens=True)
    assert PROMPT.extract_answer(continuation) == PROMPT.abstention.strip()
    assert label_answer(PROMPT.extract_answer(continuation), ["William Shakespeare"]) == "abstain"


def test_adding_a_pad_token_shifts_no_existing_id(name, loaded):
    model, tokenizer = loaded
    text = PROMPT.prompt(QUESTION) + PROMPT.target("William Shakespeare")
    original = AutoTokenizer.from_pretrained(real_model_dir(name))
    before = original.encode(text)
    # load_model reuses eos as pad where there is none, so every id and the vocabulary stay
    assert tokenizer.pad_token_id == PAD[name]
    assert len(tokenizer) == VOCAB_SIZE[name] == model.get_input_embeddings().num_embeddings
    assert tokenizer.encode(text) == before
    # a new pad token (the path for a tokenizer without eos) takes the next free id
    original.add_special_tokens({"pad_token": "<pad>"})
    assert original.pad_token_id == VOCAB_SIZE[name]
    assert original.encode(text) == before
    fresh = AutoModelForCausalLM.from_pretrained(real_model_dir(name))
    embeddings = fresh.get_input_embeddings().weight.detach().clone()
    fresh.resize_token_embeddings(len(original))
    assert torch.equal(fresh.get_input_embeddings().weight[: VOCAB_SIZE[name]], embeddings)
