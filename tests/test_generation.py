"""Model loading, prompt encoding and batched one-line generation on tiny random models."""

from __future__ import annotations

import pytest
import torch
from peft import LoraConfig, PeftModel, get_peft_model

from mismatch.answers.generation import (
    SamplingSettings,
    encode_prompts,
    first_lines,
    generate,
    generate_lines,
    sample,
)
from mismatch.errors import InputError
from mismatch.models.loading import check_model_dir, load_model, resolve_dtype

PROMPTS = [
    "Question: What is the capital of Zorbia?\nAnswer:",
    "Question: Who?\nAnswer: The",
    "The river flows north; the mountains are high and the valleys are deep. Question: Why",
    "Quelm",
    "Question: In which year was the Tarsk bridge built?\nAnswer: I don't",
    "green flag of Ombrel",
]


@pytest.fixture(params=["tiny_llama_dir", "tiny_gpt2_dir"])
def tiny_model(request: pytest.FixtureRequest):
    torch.set_num_threads(1)
    return load_model(request.getfixturevalue(request.param), dtype="float32", device="cpu")


def test_load_model_pads_left_and_is_in_eval_mode(tiny_llama_dir):
    model, tokenizer = load_model(tiny_llama_dir, device="cpu")
    assert tokenizer.padding_side == "left"
    assert tokenizer.pad_token == "<pad>"
    assert not model.training
    assert model.dtype == torch.float32


def test_load_model_uses_eos_as_pad_when_tokenizer_has_none(tiny_llama_dir, tmp_path):
    model, tokenizer = load_model(tiny_llama_dir, device="cpu")
    tokenizer.pad_token = None
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    _, reloaded = load_model(tmp_path, device="cpu")
    assert reloaded.pad_token == "</s>"


def test_load_model_applies_lora_adapter(tiny_llama_dir, tmp_path):
    base, tokenizer = load_model(tiny_llama_dir, device="cpu")
    peft_model = get_peft_model(base, LoraConfig(r=2, target_modules=["q_proj", "v_proj"]))
    with torch.no_grad():
        for name, weight in peft_model.named_parameters():
            if "lora_B" in name:
                weight.normal_(0, 1.0)
    peft_model.save_pretrained(tmp_path)
    ids = torch.tensor([encode_prompts(tokenizer, PROMPTS[:1])[0]])
    expected = peft_model(input_ids=ids).logits

    loaded, _ = load_model(tiny_llama_dir, device="cpu", adapter=tmp_path)
    assert isinstance(loaded, PeftModel)
    assert torch.allclose(loaded(input_ids=ids).logits, expected, atol=1e-5)


def test_check_model_dir_names_the_path(tmp_path):
    with pytest.raises(InputError, match="does not exist") as missing:
        check_model_dir(tmp_path / "nope")
    assert str(tmp_path / "nope") in str(missing.value)
    with pytest.raises(InputError, match="no config.json"):
        check_model_dir(tmp_path)


def test_resolve_dtype():
    assert resolve_dtype("auto", "cpu") == torch.float32
    assert resolve_dtype("bfloat16", "cpu") == torch.bfloat16
    with pytest.raises(InputError, match="unknown dtype"):
        resolve_dtype("float8", "cpu")


def test_encode_prompts_starts_with_exactly_one_bos(tiny_llama_dir):
    _, tokenizer = load_model(tiny_llama_dir, device="cpu")
    plain = tokenizer(PROMPTS, add_special_tokens=True)["input_ids"]
    assert all(ids[0] != tokenizer.bos_token_id for ids in plain)
    assert encode_prompts(tokenizer, PROMPTS) == [[tokenizer.bos_token_id, *ids] for ids in plain]

    tokenizer.add_bos_token = True  # now the post-processor adds bos itself
    assert tokenizer(PROMPTS[:1])["input_ids"][0][:1] == [tokenizer.bos_token_id]
    assert encode_prompts(tokenizer, PROMPTS) == [[tokenizer.bos_token_id, *ids] for ids in plain]


def test_batched_generation_matches_one_at_a_time(tiny_model):
    model, tokenizer = tiny_model
    batched = generate(model, tokenizer, PROMPTS, batch_size=4, max_new_tokens=6)
    single = [generate(model, tokenizer, [p], batch_size=1, max_new_tokens=6)[0] for p in PROMPTS]
    assert batched == single
    assert len(set(batched)) > 1  # prompts really get different answers, so order is checked
    assert generate(model, tokenizer, PROMPTS, batch_size=4, max_new_tokens=6) == batched
    assert generate(model, tokenizer, [], batch_size=4, max_new_tokens=6) == []


def _rig_bigram_chain(model, chain: list[int]) -> None:
    """Make a Llama's greedy next token depend only on the current one, following ``chain``."""
    with torch.no_grad():
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        normed = model.model.norm(model.model.embed_tokens.weight)
        model.lm_head.weight.zero_()
        for current, following in zip(chain, chain[1:], strict=False):
            model.lm_head.weight[following] = 10 * normed[current]


def test_generation_stops_at_newline(tiny_llama_dir):
    model, tokenizer = load_model(tiny_llama_dir, device="cpu")
    prompt = PROMPTS[0]
    last = encode_prompts(tokenizer, [prompt])[0][-1]
    newline = tokenizer.convert_tokens_to_ids("Ċ")
    words = [i for t, i in sorted(tokenizer.get_vocab().items()) if t.isalpha() and i != last][:4]
    _rig_bigram_chain(model, [last, words[0], words[1], newline, words[2], words[3]])
    ids = torch.tensor([encode_prompts(tokenizer, [prompt])[0]])
    unstopped = model.generate(input_ids=ids, max_new_tokens=5, do_sample=False)
    assert "\n" in tokenizer.decode(unstopped[0, ids.shape[1] :])  # the rig runs past the newline

    answers = generate(model, tokenizer, [prompt, PROMPTS[1]], batch_size=2, max_new_tokens=5)
    assert answers[0] == tokenizer.decode(words[:2])
    assert all("\n" not in a for a in answers)


def test_sampling_is_seeded_and_grouped_by_prompt(tiny_model):
    model, tokenizer = tiny_model

    def run(sampling: SamplingSettings, seed: int) -> list[list[str]]:
        return sample(
            model, tokenizer, PROMPTS, batch_size=4, max_new_tokens=5, sampling=sampling, seed=seed
        )

    settings = SamplingSettings(temperature=0.5, num_samples=3)
    rng_before = torch.get_rng_state()
    first = run(settings, 1)
    assert torch.equal(torch.get_rng_state(), rng_before)
    assert [len(s) for s in first] == [3] * len(PROMPTS)
    assert first == run(settings, 1)
    assert first != run(settings, 2)

    cold = SamplingSettings(temperature=1e-6, num_samples=2)
    greedy = generate(model, tokenizer, PROMPTS, batch_size=4, max_new_tokens=5)
    assert run(cold, 0) == [[g, g] for g in greedy]


class _Decoder:
    """A stand-in tokenizer: id 9 is a newline, 2 is eos, others are letters."""

    def batch_decode(self, rows, skip_special_tokens=True):
        text = {9: "\n", 2: ""}
        return ["".join(text.get(int(i), chr(ord("a") + int(i))) for i in row) for row in rows]


def test_first_lines_say_whether_generation_stopped_by_itself():
    rows = torch.tensor(
        [
            [3, 4, 9, 5],  # newline within the budget
            [3, 2, 2, 2],  # eos, then eos padding
            [3, 4, 5, 6],  # ran into max_new_tokens
        ]
    )
    lines = first_lines(_Decoder(), rows, eos=2)
    assert [(line.text, line.stopped) for line in lines] == [
        ("de", True),
        ("d", True),
        ("defg", False),
    ]
    assert [line.stopped for line in first_lines(_Decoder(), rows, eos=[7, 2])] == [
        True,
        True,
        False,
    ]


def test_generate_lines_reports_a_cut_off_answer(tiny_model):
    """A random model rarely emits a newline or eos first: with a one-token budget some answers
    are cut off; the texts are generate()'s."""
    model, tokenizer = tiny_model
    one = generate_lines(model, tokenizer, PROMPTS, batch_size=4, max_new_tokens=1)
    assert [line.text for line in one] == generate(
        model, tokenizer, PROMPTS, batch_size=4, max_new_tokens=1
    )
    assert not all(line.stopped for line in one)
