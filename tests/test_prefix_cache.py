"""Shared-prefix generation: the exemplar block is prefilled once, with the plain path's outputs."""

import pytest
import torch
from conftest import defaults

from mismatch.answers.generation import SamplingSettings, encode_prompts, generate, sample
from mismatch.answers.prefix_cache import common_prefix_length, prefill_tokens
from mismatch.answers.prompting import PromptFormat
from mismatch.models.loading import load_model

PROMPT = PromptFormat.from_config(
    defaults("prompt") | {"answer_template": " The answer is {answer}."}
)
SHOTS = [("What is the capital of Zorbia?", "Quelm"), ("Who founded Varnox?", "Ildra Fenn")]
QUESTIONS = [
    "What colour is the flag of Ombrel?",
    "In which year was the Tarsk bridge built?",
    "Who?",
    "What is the capital of the city of Varnox and of Zorbia?",
    "Which river flows north?",
]
# continuations after the exemplar block that end differently, so a random model answers them
# differently (k-shot prompts all end in "Answer:", which a random model hardly tells apart)
ENDINGS = [
    "Question: What is the capital of Zorbia?\nAnswer:",
    "Question: Who?\nAnswer: The",
    "The river flows north; the mountains are high. Question: Why",
    "Quelm",
    "Question: In which year was the Tarsk bridge built?\nAnswer: I don't",
    "green flag of Ombrel",
]


@pytest.fixture(scope="module", params=["tiny_llama_dir", "tiny_gpt2_dir"])
def tiny_model(request):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield load_model(request.getfixturevalue(request.param), dtype="float32", device="cpu")
    torch.set_num_threads(threads)


def k_shot(questions):
    return [PROMPT.prompt(q, SHOTS) for q in questions]


def shared_block(endings):
    return [PROMPT.exemplar_block(SHOTS) + ending for ending in endings]


@pytest.mark.parametrize("batch_size", [1, 2, 64])
def test_greedy_answers_equal_the_plain_path(tiny_model, batch_size):
    model, tokenizer = tiny_model
    prompts = shared_block(ENDINGS) + k_shot(QUESTIONS)
    plain = generate(model, tokenizer, prompts, batch_size=batch_size, max_new_tokens=8)
    cached = generate(
        model, tokenizer, prompts, batch_size=batch_size, max_new_tokens=8, prefix_cache=True
    )
    assert cached == plain
    assert len(set(plain)) > 1  # the prompts get different answers: the test can tell them apart


def test_zero_shot_prompts_share_only_the_template(tiny_model):
    model, tokenizer = tiny_model
    prompts = [PROMPT.prompt(q) for q in QUESTIONS]
    plain = generate(model, tokenizer, prompts, batch_size=3, max_new_tokens=8)
    assert generate(
        model, tokenizer, prompts, batch_size=3, max_new_tokens=8, prefix_cache=True
    ) == (plain)


@torch.inference_mode()
def test_first_step_logits_equal_the_plain_path(tiny_model):
    """The next-token logits after a middle-padded row on the prefix cache equal those after the
    left-padded whole prompt (the first step of generation) within 1e-5."""
    from transformers import DynamicCache

    model, tokenizer = tiny_model
    encoded = encode_prompts(tokenizer, shared_block(ENDINGS) + k_shot(QUESTIONS))
    padded = tokenizer.pad({"input_ids": encoded}, padding_side="left", return_tensors="pt")
    input_ids, attention_mask = padded["input_ids"], padded["attention_mask"]  # as generate.py
    plain_positions = (attention_mask.cumsum(-1) - 1).clamp(min=0)  # as generate's first step
    plain = model(
        input_ids=input_ids, attention_mask=attention_mask, position_ids=plain_positions
    ).logits[:, -1]

    prefix = common_prefix_length(encoded)
    assert prefix > len(encode_prompts(tokenizer, [PROMPT.exemplar_block(SHOTS)])[0]) - 2
    cache = DynamicCache(config=model.config)
    model(input_ids=torch.tensor([encoded[0][:prefix]]), past_key_values=cache, use_cache=True)
    cache.batch_repeat_interleave(len(encoded))
    own = [ids[prefix:] for ids in encoded]
    width = max(map(len, own))
    rows = torch.tensor([encoded[0][:prefix] + [0] * (width - len(o)) + o for o in own])
    mask = torch.tensor([[1] * prefix + [0] * (width - len(o)) + [1] * len(o) for o in own])
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    cached = model(
        input_ids=rows[:, prefix:],
        attention_mask=mask,
        position_ids=positions[:, prefix:],
        past_key_values=cache,
    ).logits[:, -1]
    torch.testing.assert_close(cached, plain, rtol=0, atol=1e-5)


def test_samples_are_seeded_and_grouped_by_prompt(tiny_model):
    model, tokenizer = tiny_model
    prompts = shared_block(ENDINGS[:3])
    settings = SamplingSettings(temperature=1.0, num_samples=4)

    def draw(seed):
        return sample(
            model,
            tokenizer,
            prompts,
            batch_size=2,
            max_new_tokens=6,
            sampling=settings,
            seed=seed,
            prefix_cache=True,
        )

    first = draw(7)
    assert [len(s) for s in first] == [4, 4, 4]
    assert draw(7) == first
    assert len({text for samples in first for text in samples}) > 3  # really sampled


def test_common_prefix_leaves_every_prompt_a_token_of_its_own():
    assert common_prefix_length([[1, 5, 6, 7], [1, 5, 6, 9, 9], [1, 5, 8]]) == 2
    assert common_prefix_length([[1, 5, 6], [1, 5, 6, 7]]) == 2  # the shorter keeps its last
    assert common_prefix_length([[3, 4], [5, 6]]) == 0
    assert common_prefix_length([]) == 0


def test_prefill_token_counts():
    lengths = [54, 50, 52, 47, 56]
    # plain: batches [56, 54] and [52, 50] and [47], every row as wide as its batch's widest
    assert prefill_tokens(lengths, 2) == 2 * 56 + 2 * 52 + 47
    # shared prefix of 40: once, then each row's own tokens (padded to its batch's widest)
    assert prefill_tokens(lengths, 2, prefix=40) == 40 + 2 * 16 + 2 * 12 + 7
    # 16 samples: plain prefills every sample's copy; cached prefills each prompt once, then
    # the last token of each copy
    assert prefill_tokens(lengths, 5, samples=16) == 5 * 16 * 56
    assert prefill_tokens(lengths, 5, samples=16, prefix=40) == 40 + 5 * 15 + 5 * 16
