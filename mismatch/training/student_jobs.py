"""One process fine-tunes and labels a list of (recipe, seed) units of one student.

Starting Python and importing torch, transformers and peft costs several CPU seconds, more than
fine-tuning a tiny student; ``run_student_seeds`` pays it once for every unit of a job (all recipes
and seeds of a student, all seeds of a recipe, or one seed: ``finetune.job_per``). Each unit's
outputs are the same files whichever way units are grouped.

One model cache lives outside the job's declared outputs (which Snakemake deletes when a job fails
or reruns): ``finetuned/<key>`` under ``finetune.checkpoint_root``, a unit's finished adapter and
loss table, keyed by a digest of the contents of the base model and the fine-tuning set, the
fine-tuning settings and prompt, the stopping rule (and, when early, the pool questions), the code
of ``mismatch.training.finetune`` and the unit's identity. A folder appears there by one atomic
rename of a finished private folder and is never rewritten, so two live copies of a job never see
each other's half-written files (no lock). A job killed during a unit therefore retrains only that
unit (resuming from its newest checkpoint) and relabels the finished ones from their adapters; a
labelling code change relabels without retraining.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mismatch.answers.answering import answer_questions, graders_of
from mismatch.answers.prompting import PromptFormat
from mismatch.configuration import code_digest
from mismatch.errors import InputError
from mismatch.io import atomic_path, path_digest, publish_once, read_parquet, write_parquet
from mismatch.knowing.knows import definition_of, knows_by_question
from mismatch.knowing.slick import attach_categories
from mismatch.questions.fact_sets import fact_vocabulary
from mismatch.recipes.sets import seed_set
from mismatch.training import finetune as finetune_module
from mismatch.training.finetune import EarlyStopping, finetune_from_config
from mismatch.training.labels import evaluate_student, label_answers

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
    """The parquet metadata of a labels file (as a finetune_and_label job writes it);
    ``knowledge_basis`` names the definition of knowing that decided ``student_knows``."""
    basis = student_knows(inputs.knows)[1] if inputs.knows else "measured"
    return {
        "settings": dict(answering),
        "knowledge_basis": basis,
        **{k: str(v) for k, v in identity.items()},
    }


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
    prompt_config: Mapping[str, Any],
    finetune_settings: Mapping[str, Any],
    answering: Mapping[str, Any],
    identity: Mapping[str, Any],
    outputs: Sequence[SeedOutputs],
    log: Callable[[str], Any] = print,
) -> None:
    """Fine-tune and label every unit in ``outputs`` in this process, in order, then publish all
    of them; ``identity`` names the job (``w``, ``student``). Adapters finished by an earlier run
    are taken from ``finetuned/`` under ``finetune_settings["checkpoint_root"]``."""
    prompt = PromptFormat.from_config(prompt_config)
    base_digest = path_digest(inputs.base)
    pool_digest = path_digest(inputs.pool) if inputs.pool else None
    finetune_code = code_digest(finetune_module.__file__)
    cache = Path(finetune_settings["checkpoint_root"]) / FINETUNED_FOLDER
    recipe_digests: dict[str, str] = {}
    finished: list[tuple[SeedOutputs, Path, pd.DataFrame, dict[str, Any]]] = []
    for unit in outputs:
        if unit.recipe_path not in recipe_digests:
            recipe_digests[unit.recipe_path] = path_digest(unit.recipe_path)
        unit_identity = {
            "w": identity["w"],
            "student": identity["student"],
            "recipe": unit.recipe,
            "seed": unit.seed,
        }
        early = unit.stopping == "early"
        tuned_inputs = {
            "base": base_digest,
            "recipe": recipe_digests[unit.recipe_path],
            "pool": pool_digest if early else None,
        }
        tuned_params = {  # job_per only groups units: a regrouped unit keeps its adapter
            "finetune": {k: v for k, v in finetune_settings.items() if k != "job_per"},
            "prompt": prompt.as_dict(),
            "code": finetune_code,
            "stopping": unit.stopping,
        }
        tuned = cache / seed_key(tuned_inputs, tuned_params, unit_identity)
        name = f"{unit.recipe} seed {unit.seed}"
        if tuned.is_dir():
            log(f"{name}: adapter fine-tuned by an earlier run, reused from {tuned}")
        else:
            log(f"{name}: fine-tuning (cache {tuned})")
            _finetune_unit(
                inputs, unit, prompt, finetune_settings, answering, base_digest, tuned, log
            )
        labels = label_seed(inputs, tuned / "adapter", prompt, answering, unit_identity)
        log(f"{name}: labels {labels.label.value_counts().to_dict()}")
        finished.append((unit, tuned, labels, labels_metadata(answering, unit_identity, inputs)))
    for unit, tuned, labels, metadata in finished:
        _publish(tuned, unit)
        write_parquet(labels, unit.labels, metadata)


def _finetune_unit(
    inputs: StudentInputs,
    unit: SeedOutputs,
    prompt: PromptFormat,
    finetune_settings: Mapping[str, Any],
    answering: Mapping[str, Any],
    base_digest: str,
    tuned: Path,
    log: Callable[[str], Any],
) -> None:
    """Fine-tune one unit into a private folder and publish it as ``tuned`` (one rename)."""
    name = f"{unit.recipe} seed {unit.seed}"
    recipe = seed_set(read_parquet(unit.recipe_path), unit.seed, unit.recipe_path)
    early_stopping = None
    if unit.stopping == "early":
        early_stopping = unit_early_stopping(
            inputs.pool, recipe, unit.seed, finetune_settings, prompt, answering
        )
        n_dev = len(early_stopping.identity["dev_questions"])
        log(f"{name}: early stopping on {n_dev} dev questions")
    staged = tuned.with_name(f".{tuned.name}.tmp-{uuid.uuid4().hex}")
    try:
        finetune_from_config(
            base_model_dir=inputs.base,
            recipe=recipe,
            recipe_path=unit.recipe_path,
            prompt=prompt,
            settings=dict(finetune_settings),
            seed=unit.seed,
            adapter_dir=str(staged / "adapter"),
            loss_path=str(staged / "loss.tsv"),
            log=log,
            early_stopping=early_stopping,
            base_digest=base_digest,
        )
        publish_once(staged, tuned)
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def _publish(tuned: Path, outputs: SeedOutputs) -> None:
    """Copy a cached unit's adapter and loss table to its declared outputs, each atomically."""
    adapter = Path(outputs.adapter)
    adapter.parent.mkdir(parents=True, exist_ok=True)
    tmp = adapter.with_name(f".{adapter.name}.tmp-{uuid.uuid4().hex}")
    try:
        shutil.copytree(tuned / "adapter", tmp)
        if adapter.exists():
            shutil.rmtree(adapter)
        os.replace(tmp, adapter)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with atomic_path(outputs.loss) as tmp_file:
        shutil.copyfile(tuned / "loss.tsv", tmp_file)
