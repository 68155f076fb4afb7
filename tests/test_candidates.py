"""The gold-value probability probe on a tiny random model: log-probabilities equal a direct
forward pass, padding changes nothing, and the shares over candidates form a distribution."""

import numpy as np
import pytest
import torch
from conftest import defaults

from mismatch.answers.generation import encode_prompts
from mismatch.answers.prompting import PromptFormat
from mismatch.knowing.candidates import continuation_logprobs, gold_probability
from mismatch.models.loading import load_model

PROMPT = PromptFormat.from_config(
    {**defaults("prompt"), "answer_template": " The answer is {answer}."}
)


@pytest.fixture(scope="module")
def model(tiny_llama_dir):
    return load_model(tiny_llama_dir, device="cpu")


def direct(model, tokenizer, prompt, continuation):
    p = encode_prompts(tokenizer, [prompt])[0]
    c = tokenizer(continuation, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([p + c])).logits[0]
    logprobs = torch.log_softmax(logits.float(), dim=-1)
    return float(sum(logprobs[len(p) - 1 + i, t] for i, t in enumerate(c)))


def test_logprobs_match_a_direct_pass_whatever_the_batch(model):
    m, tok = model
    prompts = ["Question: Who is he?\nAnswer:", "Q?\nAnswer:", "A much longer prompt here\nAnswer:"]
    conts = [" The answer is blue.\n", " I don't know.\n", " The answer is a harp.\n"]
    batched = continuation_logprobs(m, tok, prompts, conts, batch_size=3)
    single = continuation_logprobs(m, tok, prompts, conts, batch_size=1)
    expected = [direct(m, tok, p, c) for p, c in zip(prompts, conts, strict=True)]
    assert np.allclose(batched, expected, atol=1e-4)
    assert np.allclose(single, expected, atol=1e-4)
    assert (batched < 0).all()


def test_gold_shares_form_a_distribution(model):
    m, tok = model
    prompt = PROMPT.prompt("What is the favourite colour of Tavrin Oselko?")
    values = ["blue", "red", "beige", "green"]
    shares = [gold_probability(m, tok, PROMPT, [prompt], [values], [gold])[0] for gold in values]
    assert sum(shares) == pytest.approx(1.0)
    assert all(0 < s < 1 for s in shares)
    with pytest.raises(ValueError, match="not among the candidates"):
        gold_probability(m, tok, PROMPT, [prompt], [values], ["violet"])
