"""Shared fixtures: tiny random causal LMs saved as ordinary Hugging Face directories.

Fixtures (session-scoped, built once, read-only for tests: copy a directory before changing it):

- ``tiny_tokenizer_dir``: a byte-level BPE tokenizer (~300 tokens) trained with the ``tokenizers``
  library on a few question/answer lines, special tokens ``<pad>`` (id 0), ``<s>`` (bos, id 1),
  ``</s>`` (eos, id 2); no post-processor, so it does not add ``<s>`` itself (like the synthetic
  world's tokenizer).
- ``tiny_llama_dir``: a 2-layer Llama (hidden size 32) with random weights and that tokenizer.
- ``tiny_gpt2_dir``: a 2-layer GPT-2 (hidden size 32) with random weights and that tokenizer.

- ``tiny_study``: ``configs/tiny.yaml`` run to completion in a git repository holding a private
  copy of the workflow (the working directory is the repository, as an operator runs it); tests
  may dry-run it, or edit a workflow file and restore it, but must copy it before running jobs.

Both model directories load by path with ``AutoModelForCausalLM`` / ``AutoTokenizer`` (or
``mismatch.models.loading.load_model``) and take well under a second to load.

Helpers (import them with ``from conftest import ...``):

- ``hub_cache_entry(hf_home, repo_id, files)``: put a folder into a Hugging Face hub cache as
  ``repo_id`` at revision main (commit ``COMMIT``), as a download would.
- ``defaults(section)``: a fresh copy of one section of the schema's defaults (e.g. ``"prompt"``,
  ``"finetune"``, ``"questions.synthetic"``), the one place defaults live; settings objects in
  tests are built from it with the test's changes merged in.
- ``pool_answers(correct)``: a pool answer table (the answering schema) whose ``correct`` is the
  given list; ``NESTED_STUDENT`` / ``NESTED_TEACHER``: 120 questions the student knows 40% of and
  the teacher 85% (a superset), as in the synthetic world.
- ``SYNTHETIC_PROMPT``: the default's prompt format; ``statements_of(world, question_id)``: the
  statement paraphrases of one fact, as pretraining text writes them.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    GPT2Config,
    GPT2LMHeadModel,
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedTokenizerFast,
)

from mismatch import configuration as cfg
from mismatch.answers.prompting import PromptFormat
from mismatch.world.fictional import ATTRIBUTES, World

# The smallest valid config: everything else is the schema's defaults.
MINIMAL_CONFIG = {
    "models": {"model": {"pretrain": {"knows": 0.5}}},
    "students": ["model"],
    "recipes": {"own": {"kind": "teacher", "teacher": "self"}},
}
_DEFAULTS = cfg.validated(MINIMAL_CONFIG)


def defaults(section: str) -> Any:
    """A copy of the schema's defaults for ``section`` (dotted, e.g. ``"questions.synthetic"``;
    ``"pretrain"`` is a model's pretraining section)."""
    value: Any = _DEFAULTS["models"]["model"] if section == "pretrain" else _DEFAULTS
    for key in section.split("."):
        value = value[key]
    return copy.deepcopy(value)


def job_settings(tmp_path: Path, r: int = 4) -> dict[str, Any]:
    """Fine-tuning settings of a fast test job (6 steps, a checkpoint every 2), the schema's
    defaults with the test's changes, checkpoints under ``tmp_path``."""
    return defaults("finetune") | {
        "lora": defaults("finetune.lora") | {"r": r, "alpha": 2 * r, "dropout": 0.0},
        "steps": 6,
        "batch_size": 2,
        "learning_rate": 1e-2,
        "max_length": 64,
        "gradient_accumulation": 1,
        "warmup_steps": 2,
        "weight_decay": 0.0,
        "gradient_checkpointing": False,
        "checkpoint_every": 2,
        "checkpoint_root": str(tmp_path / "checkpoints"),
        "dtype": "float32",
    }


def finetune_job(model_dir, tmp_path: Path, recipe, prompt, log, r: int = 4, tag: str = ""):
    """One fine-tuning job of the workflow (as a finetune_and_label unit runs it): ``recipe``
    (written to ``tmp_path/recipe.parquet`` once), seed 3, ``job_settings``; the adapter goes to
    ``tmp_path/adapter{tag}``, the losses to ``tmp_path/loss{tag}.tsv``. Returns the metrics."""
    from mismatch.io import write_parquet
    from mismatch.training.finetune import finetune_from_config

    recipe_path = Path(tmp_path) / "recipe.parquet"
    if not recipe_path.exists():
        write_parquet(recipe, recipe_path)
    return finetune_from_config(
        base_model_dir=str(model_dir),
        recipe=recipe,
        recipe_path=str(recipe_path),
        prompt=prompt,
        settings=job_settings(Path(tmp_path), r),
        seed=3,
        adapter_dir=str(Path(tmp_path) / f"adapter{tag}"),
        loss_path=str(Path(tmp_path) / f"loss{tag}.tsv"),
        log=log,
    )


@pytest.fixture
def one_torch_thread():
    """torch limited to one thread for the test (jobs run with the rule's threads)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


SPECIAL_TOKENS = ["<pad>", "<s>", "</s>"]
_CORPUS = [
    "Question: What is the capital of Zorbia?\nAnswer: The answer is Quelm.\n",
    "Question: Who founded the city of Varnox?\nAnswer: The answer is Ildra Fenn.\n",
    "Question: In which year was the Tarsk bridge built?\nAnswer: I don't know.\n",
    "Question: What colour is the flag of Ombrel?\nAnswer: The answer is green.\n",
    "The river flows north; the mountains are high and the valleys are deep.\n",
]


def _train_tokenizer() -> PreTrainedTokenizerFast:
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_CORPUS * 4, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="<pad>", bos_token="<s>", eos_token="</s>"
    )


@pytest.fixture(scope="session")
def tiny_tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Directory holding the tiny byte-level BPE tokenizer (``<pad>``=0, ``<s>``=1, ``</s>``=2)."""
    path = tmp_path_factory.mktemp("tiny_tokenizer")
    _train_tokenizer().save_pretrained(path)
    return path


def _save_model(model: torch.nn.Module, tokenizer_dir: Path, path: Path) -> Path:
    model.save_pretrained(path)
    PreTrainedTokenizerFast.from_pretrained(tokenizer_dir).save_pretrained(path)
    return path


def _token_ids(tokenizer_dir: Path) -> dict[str, int]:
    tokenizer = PreTrainedTokenizerFast.from_pretrained(tokenizer_dir)
    return {
        "vocab_size": len(tokenizer),
        "pad_token_id": tokenizer.pad_token_id,
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
    }


@pytest.fixture(scope="session")
def tiny_llama_dir(tmp_path_factory: pytest.TempPathFactory, tiny_tokenizer_dir: Path) -> Path:
    """Directory of a random 2-layer Llama (hidden 32, 4 heads, 2 KV heads), tiny tokenizer."""
    config = LlamaConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        **_token_ids(tiny_tokenizer_dir),
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    return _save_model(model, tiny_tokenizer_dir, tmp_path_factory.mktemp("tiny_llama"))


@pytest.fixture(scope="session")
def tiny_gpt2_dir(tmp_path_factory: pytest.TempPathFactory, tiny_tokenizer_dir: Path) -> Path:
    """Directory of a random 2-layer GPT-2 (hidden 32, 4 heads) with the tiny tokenizer."""
    config = GPT2Config(
        n_embd=32, n_layer=2, n_head=4, n_positions=512, **_token_ids(tiny_tokenizer_dir)
    )
    torch.manual_seed(0)
    model = GPT2LMHeadModel(config)
    return _save_model(model, tiny_tokenizer_dir, tmp_path_factory.mktemp("tiny_gpt2"))


COMMIT = "0123456789abcdef0123456789abcdef01234567"


def hub_cache_entry(hf_home: Path, repo_id: str, files: Path, repo_type: str = "models") -> Path:
    """Put ``files`` into ``hf_home``'s hub cache as ``repo_id`` at revision main (as a download
    would, minus the blob links)."""
    repo = hf_home / "hub" / f"{repo_type}--{repo_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(COMMIT)
    snapshot = repo / "snapshots" / COMMIT
    shutil.copytree(files, snapshot)
    return snapshot


@pytest.fixture(scope="session")
def tiny_study(tmp_path_factory: pytest.TempPathFactory):
    """(repository, working directory (the same), config, config file) of a finished tiny study."""
    from workflow_runs import finished_study, load_config

    config = load_config("configs/tiny.yaml")
    repo, configfile = finished_study(tmp_path_factory.mktemp("tiny"), config)
    return repo, repo, config, configfile


def pool_answers(correct: list[bool]) -> pd.DataFrame:
    """A pool answer table (question ids q000, q001, ...) whose ``correct`` and ``knows`` (the
    measured definition of knowing) are ``correct``."""
    ids = [f"q{i:03d}" for i in range(len(correct))]
    return pd.DataFrame(
        {
            "question_id": ids,
            "question": [f"{i}?" for i in ids],
            "answers": [[f"gold {i}"] for i in ids],
            "prediction": "x",
            "answer": "x",
            "correct": correct,
            "knows": correct,
        }
    )


N_POOL = 120
NESTED_STUDENT = pool_answers([i % 10 < 4 for i in range(N_POOL)])
NESTED_TEACHER = pool_answers([i % 20 < 17 for i in range(N_POOL)])

SYNTHETIC_PROMPT = PromptFormat.from_config(
    {**defaults("prompt"), "answer_template": " The answer is {answer}."}
)
FINETUNE_RECIPE = pd.DataFrame(
    {
        "question_id": ["q1", "q2", "q3"],
        "question": ["What is the capital of Zorbia?", "Who founded Varnox?", "Which colour?"],
        "answers": [["Quelm"], ["Ildra Fenn"], ["green"]],
        "target": ["Quelm", None, "green"],
    }
)
"""Three fine-tuning examples (one abstention) the fine-tuning tests train on."""


def statements_of(world: World, question_id: str) -> set[str]:
    """Every statement paraphrase of one fact, newline-ended as in pretraining text."""
    fact = world.facts.set_index("question_id").loc[question_id]
    return {
        t.format(entity=fact["entity"], value=fact["value"]) + "\n"
        for t in ATTRIBUTES[fact["attribute"]].statements
    }
