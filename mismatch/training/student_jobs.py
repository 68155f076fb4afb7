"""One process fine-tunes and labels many (recipe, seed) units of one student.

Starting Python and importing torch, transformers and peft costs several CPU seconds, more than
fine-tuning a tiny student; ``run_student_seeds`` pays it once for every unit of a job (all seeds
of a recipe, or all recipes and seeds of a student: ``finetune.job_per``) instead of twice per
seed. Each unit's outputs are the same files the per-seed jobs write.

Two caches live outside the job's declared outputs (which Snakemake deletes when a job fails or
reruns), each named by a digest of the contents of everything that shapes what it holds:

- ``finetuned/<key>``: a unit's adapter and loss table, keyed by the base model, the fine-tuning
  set, the fine-tuning settings and prompt, the code of ``mismatch.training.finetune`` and what it
  imports,
  and the unit's identity. It is kept, so a rerun of the job (a recipe added to the student, a
  labelling code change) retrains only the units whose fine-tuning inputs changed.
- ``seeds/<key>``: a unit's labels, keyed by the adapter's key plus everything labelling reads
  and the code the job runs. A job killed during seed 3 therefore reruns only seed 3 (itself
  resuming from its newest fine-tuning checkpoint); it is removed once every unit is published.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mismatch.answers.answering import answer_questions, graders_of
from mismatch.answers.prompting import PromptFormat
from mismatch.configuration import code_digest
from mismatch.errors import InputError
from mismatch.io import atomic_path, read_parquet, write_parquet
from mismatch.knowing.knows import definition_of, knows_by_question
from mismatch.knowing.slick import attach_categories
from mismatch.questions.fact_sets import fact_vocabulary
from mismatch.recipes.sets import seed_set
from mismatch.training import finetune as finetune_module
from mismatch.training.finetune import EarlyStopping, finetune_from_config
from mismatch.training.labels import evaluate_student, label_answers

FINISHED = "finished"  # marker written last into a cached unit's folder
CACHE_FOLDER = "seeds"  # under finetune.checkpoint_root: labels, removed once published
FINETUNED_FOLDER = "finetuned"  # under finetune.checkpoint_root: adapters and losses, kept


@dataclass(frozen=True)
class SeedOutputs:
    """One (recipe, seed) unit: the fine-tuning set it trains on and where its outputs go."""

    recipe: str
    recipe_path: str
    seed: int
    adapter: str
    loss: str
    labels: str
    stopping: str = "converged"  # or early: keep the best dev step (recipes.<name>.stopping)


@dataclass(frozen=True)
class StudentInputs:
    """The files every unit of a student's job reads."""

    base: str
    questions: str
    base_answers: str
    categories: str | None = None
    knows: str | None = (
        None  # whether the student knows each test question (mismatch.knowing.knows)
    )
    pool: str | None = None  # the pool questions: early stopping's dev questions come from it

    @classmethod
    def from_files(cls, files: Any) -> StudentInputs:
        """From a job's named inputs (``snakemake.input``: base, questions, base_answers, and
        categories, knows and pool, empty when unused)."""
        return cls(
            base=files.base,
            questions=files.questions,
            base_answers=files.base_answers,
            categories=files.categories or None,
            knows=getattr(files, "knows", None) or None,
            pool=getattr(files, "pool", None) or None,
        )


def dev_questions(
    pool: pd.DataFrame, trained_ids: Sequence[str], n_questions: int, seed: int
) -> pd.DataFrame:
    """Early stopping's dev questions: up to ``n_questions`` pool questions the unit does not
    train on, a seeded sample (the unit's fine-tuning seed), in pool order."""
    held_out = pool[~pool["question_id"].isin(set(trained_ids))]
    if held_out.empty:
        raise InputError("pool questions", "every pool question is in the fine-tuning set")
    n = min(n_questions, len(held_out))
    return held_out.sample(n=n, random_state=seed).sort_index().reset_index(drop=True)


def dev_early_stopping(
    dev: pd.DataFrame, prompt: PromptFormat, answering: Mapping[str, Any], eval_every: int
) -> EarlyStopping:
    """Early stopping on ``dev``: the share answered correctly zero-shot (as the test is
    answered), graded by ``answering.grading``."""

    def accuracy(model: Any, tokenizer: Any) -> float:
        answers = answer_questions(
            model,
            tokenizer,
            dev,
            dev.iloc[:0],
            prompt,
            batch_size=answering["batch_size"],
            max_new_tokens=answering["max_new_tokens"],
            grading_rule=answering["grading"],
        )
        return float(answers["correct"].mean())

    identity = {
        "dev_questions": list(dev["question_id"]),
        "grading": answering["grading"],
        "max_new_tokens": answering["max_new_tokens"],
    }
    return EarlyStopping(eval_every, accuracy, identity)


def label_seed(
    inputs: StudentInputs,
    adapter_dir: str | os.PathLike[str],
    prompt: PromptFormat,
    answering: Mapping[str, Any],
    identity: Mapping[str, Any],
) -> pd.DataFrame:
    """Answer the test questions with base model + adapter and label each answer.

    ``identity`` (world seed ``w``, ``student``, ``recipe``, fine-tuning ``seed``) becomes the
    ``world_seed``, ``student``, ``recipe`` and ``ft_seed`` columns.
    """
    questions = read_parquet(inputs.questions)
    vocabulary = fact_vocabulary(answering.get("vocabulary"))  # real facts under contains
    answers = evaluate_student(
        inputs.base,
        adapter_dir,
        questions,
        prompt,
        batch_size=answering["batch_size"],
        max_new_tokens=answering["max_new_tokens"],
        grading_rule=answering["grading"],
        dtype=answering["dtype"],
        device_map=answering.get("device_map"),
        prefix_cache=answering["prefix_cache"],
        vocabulary=vocabulary,
    )
    labels = label_answers(
        answers,
        read_parquet(inputs.base_answers),
        prompt,
        grading_rule=answering["grading"],
        knows=student_knows(inputs.knows)[0] if inputs.knows else None,
        graders=graders_of(questions, vocabulary),
    )
    labels = labels.assign(
        student=identity["student"],
        recipe=identity["recipe"],
        world_seed=int(identity["w"]),
        ft_seed=int(identity["seed"]),
    )
    if inputs.categories:
        labels = attach_categories(labels, read_parquet(inputs.categories))
    return labels


def unit_early_stopping(
    pool_path: str | None,
    recipe: pd.DataFrame,
    seed: int,
    finetune_settings: Mapping[str, Any],
    prompt: PromptFormat,
    answering: Mapping[str, Any],
) -> EarlyStopping:
    """Early stopping of one (recipe, seed) unit: dev questions from the pool questions at
    ``pool_path`` that ``recipe`` (the seed's set) does not train on
    (``finetune.early_stopping``: dev_questions, eval_every)."""
    if not pool_path:
        raise InputError("finetune.early_stopping", "early stopping needs the pool questions")
    section = finetune_settings["early_stopping"]
    dev = dev_questions(
        read_parquet(pool_path), recipe["question_id"], section["dev_questions"], seed
    )
    return dev_early_stopping(dev, prompt, answering, section["eval_every"])


@functools.lru_cache(maxsize=4)
def student_knows(path: str) -> tuple[pd.Series, str]:
    """The student's test knows table (question id -> knows) and its definition, read once per
    job for every unit's labels and their metadata."""
    table = read_parquet(path)
    return knows_by_question(table, path), definition_of(table, path)


def labels_metadata(
    answering: Mapping[str, Any], identity: Mapping[str, Any], inputs: StudentInputs
) -> dict[str, Any]:
    """The parquet metadata of a labels file (as the per-seed ``label_student`` job writes it);
    ``knowledge_basis`` names the definition of knowing that decided ``student_knows``."""
    basis = student_knows(inputs.knows)[1] if inputs.knows else "measured"
    return {
        "settings": dict(answering),
        "knowledge_basis": basis,
        **{k: str(v) for k, v in identity.items()},
    }


def path_digest(path: str | os.PathLike[str]) -> str:
    """sha256 of a file's content, or of every file (relative name and content) under a folder."""
    path = Path(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(str(file.relative_to(path) if path.is_dir() else "").encode() + b"\0")
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def seed_key(
    input_digests: Mapping[str, str], params: Mapping[str, Any], identity: Mapping[str, Any]
) -> str:
    """24 hex chars naming a seed's cache folder: changes whenever an input, setting or the seed
    (or the world, student, recipe) does."""
    canonical = json.dumps(
        {"inputs": dict(input_digests), "params": dict(params), "identity": dict(identity)},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:24]


def run_student_seeds(
    *,
    inputs: StudentInputs,
    code: str,
    prompt_config: Mapping[str, Any],
    finetune_settings: Mapping[str, Any],
    answering: Mapping[str, Any],
    identity: Mapping[str, Any],
    outputs: Sequence[SeedOutputs],
    log: Callable[[str], Any] = print,
) -> None:
    """Fine-tune and label every unit in ``outputs`` in this process, then publish all of them.

    ``identity`` names the job (``w``, ``student``); ``code`` is the digest of the code the job
    runs (its ``code`` param), part of every unit's labels key. Adapters and labels finished by an
    earlier run are taken from the caches under ``finetune_settings["checkpoint_root"]``.
    """
    prompt = PromptFormat.from_config(prompt_config)
    digests = {
        name: path_digest(path)
        for name, path in (
            ("base", inputs.base),
            ("questions", inputs.questions),
            ("base_answers", inputs.base_answers),
            ("categories", inputs.categories),
            ("knows", inputs.knows),
            ("pool", inputs.pool),
        )
        if path
    }
    digests["code"] = code
    params = {
        "finetune": dict(finetune_settings),
        "answering": dict(answering),
        "prompt": prompt.as_dict(),
    }
    finetune_code = code_digest(finetune_module.__file__)
    checkpoint_root = Path(finetune_settings["checkpoint_root"])
    cached: list[tuple[SeedOutputs, Path, Path]] = []
    recipe_digests: dict[str, str] = {}
    for unit in outputs:
        if unit.recipe_path not in recipe_digests:
            recipe_digests[unit.recipe_path] = path_digest(unit.recipe_path)
        unit_identity = {
            "w": identity["w"],
            "student": identity["student"],
            "recipe": unit.recipe,
            "seed": unit.seed,
        }
        tuned_params = {
            "finetune": params["finetune"],
            "prompt": params["prompt"],
            "code": finetune_code,
        }
        tuned_inputs = {"base": digests["base"], "recipe": recipe_digests[unit.recipe_path]}
        if unit.stopping == "early":  # absent otherwise: converged units keep their keys
            tuned_params["stopping"] = "early"
            tuned_inputs["pool"] = digests["pool"]
        tuned_key = seed_key(tuned_inputs, tuned_params, unit_identity)
        tuned = checkpoint_root / FINETUNED_FOLDER / tuned_key
        folder = (
            checkpoint_root
            / CACHE_FOLDER
            / seed_key({**digests, "adapter": tuned_key}, params, unit_identity)
        )
        name = f"{unit.recipe} seed {unit.seed}"
        if (folder / FINISHED).is_file():
            log(f"{name}: finished by an earlier run, reused from {folder}")
        else:
            _run_seed(
                inputs,
                unit,
                prompt,
                finetune_settings,
                answering,
                unit_identity,
                tuned,
                folder,
                log,
            )
        cached.append((unit, tuned, folder))
    for seed_out, tuned, folder in cached:
        _publish(tuned, folder, seed_out)
    for _, _, folder in cached:
        shutil.rmtree(folder, ignore_errors=True)


def _run_seed(
    inputs: StudentInputs,
    unit: SeedOutputs,
    prompt: PromptFormat,
    finetune_settings: Mapping[str, Any],
    answering: Mapping[str, Any],
    identity: Mapping[str, Any],
    tuned: Path,
    folder: Path,
    log: Callable[[str], Any],
) -> None:
    """Fine-tune (unless ``tuned`` holds the finished adapter), label, and mark the unit
    finished; the adapter goes to ``tuned``, the labels to ``folder``."""
    name = f"{unit.recipe} seed {unit.seed}"
    if (tuned / FINISHED).is_file():
        log(f"{name}: adapter fine-tuned by an earlier run, reused from {tuned}")
    else:
        log(f"{name}: fine-tuning (cache {tuned})")
        if tuned.exists():
            shutil.rmtree(tuned)  # an unfinished attempt: its checkpoints live elsewhere
        tuned.mkdir(parents=True)
        recipe = seed_set(read_parquet(unit.recipe_path), identity["seed"], unit.recipe_path)
        early_stopping = None
        if unit.stopping == "early":
            early_stopping = unit_early_stopping(
                inputs.pool, recipe, int(identity["seed"]), finetune_settings, prompt, answering
            )
            log(
                f"{name}: early stopping on {len(early_stopping.identity['dev_questions'])} "
                "dev questions"
            )
        finetune_from_config(
            base_model_dir=inputs.base,
            recipe=recipe,
            recipe_path=unit.recipe_path,
            prompt=prompt,
            settings=dict(finetune_settings),
            seed=int(identity["seed"]),
            adapter_dir=str(tuned / "adapter"),
            loss_path=str(tuned / "loss.tsv"),
            log=log,
            early_stopping=early_stopping,
        )
        (tuned / FINISHED).write_text("")
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    labels = label_seed(inputs, tuned / "adapter", prompt, answering, identity)
    log(f"{name}: labels {labels.label.value_counts().to_dict()}")
    write_parquet(labels, folder / "labels.parquet", labels_metadata(answering, identity, inputs))
    (folder / FINISHED).write_text("")


def _publish(tuned: Path, folder: Path, outputs: SeedOutputs) -> None:
    """Copy a cached unit's files to its declared outputs, each appearing atomically."""
    adapter = Path(outputs.adapter)
    adapter.parent.mkdir(parents=True, exist_ok=True)
    tmp = adapter.with_name(f".{adapter.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        shutil.copytree(tuned / "adapter", tmp)
        if adapter.exists():
            shutil.rmtree(adapter)
        os.replace(tmp, adapter)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for source, target in (
        (tuned / "loss.tsv", outputs.loss),
        (folder / "labels.parquet", outputs.labels),
    ):
        with atomic_path(target) as tmp_file:
            shutil.copyfile(source, tmp_file)
