"""Gathering the study's files into tables, with every file's keys read from the file itself.

Keys come from a file's content or metadata (labels, fine-tuning sets, knowledge reports) or,
for files that do not carry them, from the file's own path parsed with the same pattern the
workflow expands (``parse_keys``) -- never from a parameter list paired by position.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from mismatch.answers.prompting import PromptFormat
from mismatch.answers.vocabulary import Vocabulary
from mismatch.errors import InputError
from mismatch.io import read_json, read_metadata, read_parquet
from mismatch.knowing.knows import knows_by_question
from mismatch.questions.user_sets import persons_of
from mismatch.training.labels import label_answers

BASE_RECIPE = "base"
RECIPE_COLUMNS = [
    "world_seed",
    "student",
    "recipe",
    "ft_seed",
    "n_examples",
    "n_answered",
    "n_abstain",
    "abstention_share",
    "mismatch_fraction",
]
INTEGER_KEYS = {"w": "world_seed", "seed": "ft_seed"}


def parse_keys(path: str, pattern: str) -> dict[str, Any]:
    """Wildcard values of ``path`` under a Snakemake-style ``pattern`` (``results/w{w}/...``);
    ``w`` and ``seed`` become integer ``world_seed`` and ``ft_seed``."""
    regex = ""
    for literal, name in re.findall(r"([^{]*)(?:\{(\w+)\})?", pattern):
        regex += re.escape(literal) + (f"(?P<{name}>[^/]+)" if name else "")
    match = re.fullmatch(regex, str(path))
    if not match:
        raise InputError(str(path), f"does not match the expected pattern {pattern!r}")
    return {
        INTEGER_KEYS.get(k, k): int(v) if k in INTEGER_KEYS else v
        for k, v in match.groupdict().items()
    }


def collect_labels(paths: Iterable[str]) -> pd.DataFrame:
    """All per-answer label files as one table (each carries its world, student, recipe, seed)."""
    return pd.concat([read_parquet(p) for p in paths], ignore_index=True)


def collect_knows(paths: Iterable[str], pattern: str) -> pd.DataFrame:
    """Every knows table (``mismatch.knowing.knows``) with world_seed, model and split read from its
    path under ``pattern``."""
    tables = [read_parquet(path).assign(**parse_keys(path, pattern)) for path in paths]
    return pd.concat(tables, ignore_index=True)


def knows_on_test(knows: pd.DataFrame) -> dict[tuple[int, str], pd.Series]:
    """(world_seed, model) -> question_id -> knows, on the test split (``collect_knows``)."""
    test = knows[knows["split"] == "test"]
    return {
        (int(world), str(model)): knows_by_question(table)
        for (world, model), table in test.groupby(["world_seed", "model"], sort=True)
    }


def base_student_labels(
    paths: Iterable[str],
    pattern: str,
    grading_rule: str,
    prompt: PromptFormat,
    knows: Mapping[tuple[int, str], pd.Series],
    vocabulary: Vocabulary | None = None,
    questions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Labels of each base student's own (k-shot, not fine-tuned) test answers, as recipe
    ``base`` with seed run 0; world and student are read from each path under ``pattern``.
    With ``vocabulary`` (a fact study under contains) each answer is graded against its
    relation's, the relation read from ``questions`` (``collect_questions``)."""
    tables = []
    for path in paths:
        keys = parse_keys(path, pattern)
        answers = read_parquet(path)
        graders = None
        if vocabulary is not None and questions is not None:
            world = questions[questions["world_seed"] == keys["world_seed"]]
            relation = world.set_index("question_id")["relation"]
            graders = [vocabulary.grader(str(relation.loc[q])) for q in answers["question_id"]]
        labels = label_answers(
            answers,
            answers,
            prompt,
            grading_rule=grading_rule,
            knows=knows[(keys["world_seed"], keys["student"])],
            graders=graders,
        )
        tables.append(
            labels.assign(
                student=keys["student"],
                recipe=BASE_RECIPE,
                world_seed=keys["world_seed"],
                ft_seed=0,
            )
        )
    return pd.concat(tables, ignore_index=True)


def collect_questions(paths: Iterable[str], pattern: str, cluster: str) -> pd.DataFrame:
    """Test questions of every world: world_seed, question_id, answers (gold aliases),
    ``person`` (the cluster: ``entity`` or ``question``; ``auto`` picks entity when present) and
    ``relation`` (the question's relation or attribute, where the set has one)."""
    tables = []
    for path in paths:
        questions = read_parquet(path)
        world = parse_keys(path, pattern)["world_seed"]
        tables.append(
            pd.DataFrame(
                {
                    "world_seed": world,
                    "question_id": questions["question_id"],
                    "answers": questions["answers"].map(list),
                    "person": persons_of(questions, cluster, str(path)).to_numpy(),
                    **_relation(questions),
                }
            )
        )
    return pd.concat(tables, ignore_index=True)


def _relation(questions: pd.DataFrame) -> dict[str, Any]:
    """The ``relation`` column of a question set: its relation, else its attribute, if any."""
    for column in ("relation", "attribute"):
        if column in questions.columns:
            return {"relation": questions[column].astype(str).to_numpy()}
    return {}


def collect_answers(
    paths: Iterable[str],
    pattern: str,
    questions: Mapping[str, str],
    knows: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every model's graded pool and test answers (world_seed, model, split, question_id,
    correct, relation), the relation from each split's question file (``questions``: path by
    "w/split"); with ``knows`` (``collect_knows``), whether the model knows each question and
    the definition that decided it."""
    relations: dict[str, pd.DataFrame] = {}  # each question set read once, for every model
    tables = []
    for path in paths:
        keys = parse_keys(path, pattern)
        key = f"{keys['world_seed']}/{keys['split']}"
        if key not in relations:
            asked = read_parquet(questions[key])
            relation = _relation(asked).get("relation", np.full(len(asked), "all"))
            relations[key] = pd.DataFrame(
                {"question_id": asked["question_id"], "relation": relation}
            )
        answers = read_parquet(path)[["question_id", "correct"]]
        answers = answers.merge(relations[key], on="question_id", how="left")
        tables.append(answers.assign(**keys))
    table = pd.concat(tables, ignore_index=True)
    if knows is None:
        return table
    keys = ["world_seed", "model", "split", "question_id"]
    merged = table.merge(knows[[*keys, "knows", "definition"]], on=keys, how="left", validate="1:1")
    if merged["knows"].isna().any():
        row = merged[merged["knows"].isna()].iloc[0]
        raise InputError(
            "knows tables",
            f"no entry for {row['model']} on {row['split']} question {row['question_id']!r} "
            f"(world {row['world_seed']})",
        )
    return merged.assign(knows=merged["knows"].astype(bool))


def attach_persons(labels: pd.DataFrame, questions: pd.DataFrame) -> pd.DataFrame:
    """``labels`` with the ``person`` of every question; a labelled question missing from the
    question files is an error."""
    keys = ["world_seed", "question_id"]
    extra = ["relation"] if "relation" in questions.columns else []
    merged = labels.merge(questions[[*keys, "person", *extra]], on=keys, how="left", validate="m:1")
    missing = merged["person"].isna()
    if missing.any():
        example = merged.loc[missing, keys].iloc[0].tolist()
        raise InputError(
            "labels", f"{int(missing.sum())} answers to unknown questions, e.g. {example}"
        )
    return merged


def collect_recipes(paths: Iterable[str]) -> pd.DataFrame:
    """One row per fine-tuning set (recipe and seed run), from the statistics stored in each set
    file's metadata (``per_seed``)."""
    rows = []
    for path in paths:
        metadata = read_metadata(path)
        per_seed = metadata.pop("per_seed")
        rows.extend({**metadata, **stats} for stats in per_seed)
    table = pd.DataFrame(rows)
    extra = [c for c in ("sweep", "level", "n_answered_slick_known") if c in table.columns]
    return table[RECIPE_COLUMNS + extra]


def collect_knowledge(paths: Iterable[str]) -> pd.DataFrame:
    """One row per (world seed, model, split): the known rate by the study's definition (named),
    the measured known rate, and how it relates to true knowledge."""
    rows = []
    for path in paths:
        report = read_json(path)
        for split in ("pool", "test"):
            entry = report[split]
            confusion = entry.get("confusion") or {}
            rows.append(
                {
                    "world_seed": report["world_seed"],
                    "model": report["model"],
                    "split": split,
                    "n": entry["n"],
                    "definition": entry["definition"],
                    "known_rate": entry["known_rate"],
                    "measured_known_rate": entry["measured_known_rate"],
                    "memorised_recall": entry.get("memorised_recall"),
                    "guessing_rate": entry.get("guessing_rate"),
                    **confusion,
                }
            )
    return pd.DataFrame(rows)


def collect_checks(paths: Iterable[str], pattern: str) -> list[dict[str, Any]]:
    """The teacher-knows-more checks, each with the world seed read from its path."""
    return [read_json(p) | {"world_seed": parse_keys(p, pattern)["world_seed"]} for p in paths]


def collect_probes(paths: Iterable[str], pattern: str) -> pd.DataFrame:
    """Every model's fact probes (exposure world) with world_seed and model columns."""
    tables = [read_parquet(path).assign(**parse_keys(path, pattern)) for path in paths]
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()


def collect_losses(paths: Iterable[str], pattern: str) -> pd.DataFrame:
    """Every fine-tuning run's loss table with world_seed, student, recipe and ft_seed columns
    (and dev_accuracy where early stopping measured it)."""
    tables = []
    for path in paths:
        keys = parse_keys(path, pattern)
        table = pd.read_csv(path, sep="\t")
        if not {"step", "loss"} <= set(table.columns):
            raise InputError(str(path), "loss table needs 'step' and 'loss' columns")
        kept = ["step", "loss", *(["dev_accuracy"] if "dev_accuracy" in table.columns else [])]
        tables.append(table[kept].assign(**keys))
    return pd.concat(tables, ignore_index=True)
