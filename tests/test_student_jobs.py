"""A job fine-tunes and labels a list of (recipe, seed) units in one process: the same files
whichever way units are grouped, and a killed job retrains only its unfinished units."""

import pandas as pd
import pytest
from conftest import defaults, job_settings

from mismatch.answers.prompting import PromptFormat
from mismatch.io import read_metadata, write_parquet
from mismatch.recipes.sets import seed_set
from mismatch.training.finetune import finetune_from_config
from mismatch.training.student_jobs import (
    SeedOutputs,
    StudentInputs,
    label_seed,
    labels_metadata,
    path_digest,
    run_student_seeds,
    seed_key,
)

PROMPT_CONFIG = {**defaults("prompt"), "answer_template": " The answer is {answer}."}
QUESTIONS = pd.DataFrame(
    {
        "question_id": ["q1", "q2", "q3", "t1", "t2"],
        "question": [
            "What is the capital of Zorbia?",
            "Who founded Varnox?",
            "Which colour?",
            "Where is Ombrel?",
            "Who plays the harp?",
        ],
        "answers": [["Quelm"], ["Ildra Fenn"], ["green"], ["Tarsk"], ["Drusa"]],
    }
)
RECIPES = {
    "own": QUESTIONS.head(3).assign(target=["Quelm", None, "green"]),
    "large": QUESTIONS.head(3).assign(target=["Quelm", "Ildra Fenn", None]),
}
ANSWERING = {
    "batch_size": 4,
    "max_new_tokens": 6,
    "grading": "exact",
    "dtype": "float32",
    "prefix_cache": False,
}


class Killed(Exception):
    pass


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def files(tmp_path, tiny_llama_dir):
    test = QUESTIONS.tail(2).reset_index(drop=True)
    write_parquet(test, tmp_path / "test.parquet")
    write_parquet(test.assign(correct=[True, False]), tmp_path / "base_answers.parquet")
    for name, recipe in RECIPES.items():  # a set file holds one set per fine-tuning seed
        sets = pd.concat([recipe.assign(ft_seed=seed) for seed in (1, 2)], ignore_index=True)
        write_parquet(sets, tmp_path / "sets" / f"{name}.parquet")
    return StudentInputs(
        base=str(tiny_llama_dir),
        questions=str(tmp_path / "test.parquet"),
        base_answers=str(tmp_path / "base_answers.parquet"),
    )


def units(tmp_path, out):
    return [
        SeedOutputs(
            recipe,
            str(tmp_path / "sets" / f"{recipe}.parquet"),
            seed,
            str(tmp_path / out / recipe / f"ft{seed}" / "adapter"),
            str(tmp_path / out / recipe / f"ft{seed}" / "loss.tsv"),
            str(tmp_path / out / "labels" / recipe / f"ft{seed}.parquet"),
        )
        for recipe in RECIPES
        for seed in (1, 2)
    ]


def grouped(tmp_path, inputs, out, log, r=4, job_per="student"):
    run_student_seeds(
        inputs=inputs,
        prompt_config=PROMPT_CONFIG,
        finetune_settings=job_settings(tmp_path, r) | {"job_per": job_per},
        answering=ANSWERING,
        identity={"w": "1", "student": "small"},
        outputs=units(tmp_path, out),
        log=log,
    )


def test_grouped_units_equal_separate_per_seed_jobs(tmp_path, files):
    grouped(tmp_path, files, "grouped", lambda message: None)
    prompt = PromptFormat.from_config(PROMPT_CONFIG)
    for unit in units(tmp_path, "separate"):  # each unit fine-tuned and labelled on its own
        finetune_from_config(
            base_model_dir=files.base,
            recipe=seed_set(pd.read_parquet(unit.recipe_path), unit.seed),
            recipe_path=unit.recipe_path,
            prompt=prompt,
            settings=job_settings(tmp_path),
            seed=unit.seed,
            adapter_dir=unit.adapter,
            loss_path=unit.loss,
        )
        identity = {"w": "1", "student": "small", "recipe": unit.recipe, "seed": str(unit.seed)}
        labels = label_seed(files, unit.adapter, prompt, ANSWERING, identity)
        write_parquet(labels, unit.labels, labels_metadata(ANSWERING, identity, files))
    for mine, theirs in zip(units(tmp_path, "grouped"), units(tmp_path, "separate"), strict=True):
        assert pd.read_parquet(mine.labels).equals(pd.read_parquet(theirs.labels))
        assert read_metadata(mine.labels) == read_metadata(theirs.labels)
        assert open(mine.loss).read() == open(theirs.loss).read()
        assert path_digest(mine.adapter) == path_digest(theirs.adapter)
    labels = pd.read_parquet(units(tmp_path, "grouped")[3].labels)
    assert set(labels.recipe) == {"large"} and set(labels.ft_seed) == {2}
    assert set(labels.world_seed) == {1} and set(labels.student) == {"small"}
    cached = list((tmp_path / "checkpoints" / "finetuned").iterdir())
    assert len(cached) == 4 and not any(p.name.startswith(".") for p in cached)  # no staging left


def test_killed_job_reruns_only_unfinished_units_and_resumes_the_killed_one(tmp_path, files):
    def kill_in_third_unit(message):
        if message.startswith("saved checkpoint step 4") and "large seed 1" in seen[-1]:
            raise Killed

    seen: list[str] = []

    def log(message):
        if "fine-tuning (cache" in message:
            seen.append(message)
        kill_in_third_unit(message)

    with pytest.raises(Killed):
        grouped(tmp_path, files, "out", log)
    assert not (tmp_path / "out").exists()  # nothing published by the killed job
    cached = (tmp_path / "checkpoints" / "finetuned").iterdir()
    assert len([p for p in cached if not p.name.startswith(".")]) == 2

    rerun: list[str] = []
    grouped(tmp_path, files, "out", rerun.append)
    reused = [m for m in rerun if "fine-tuned by an earlier run" in m]
    assert [m.split(":")[0] for m in reused] == ["own seed 1", "own seed 2"]
    assert sum("fine-tuning (cache" in m for m in rerun) == 2  # large seeds 1 and 2
    assert any(m.startswith("resuming from checkpoint step 4") for m in rerun)
    for unit in units(tmp_path, "out"):
        labels = pd.read_parquet(unit.labels)  # a random model: often malformed
        assert labels.label.isin(["correct", "wrong", "abstain", "malformed"]).all()


def test_a_rerun_relabels_without_retraining(tmp_path, files):
    first: list[str] = []
    grouped(tmp_path, files, "out", first.append)
    assert sum("fine-tuning (cache" in m for m in first) == 4
    before = {u.labels: pd.read_parquet(u.labels) for u in units(tmp_path, "out")}
    rerun: list[str] = []
    # e.g. labels.py edited, or the units regrouped (job_per only groups them): the job reruns
    grouped(tmp_path, files, "out", rerun.append, job_per="seed")
    assert not any("fine-tuning (cache" in m for m in rerun), rerun
    assert sum("adapter fine-tuned by an earlier run" in m for m in rerun) == 4
    for path, frame in before.items():
        assert pd.read_parquet(path).equals(frame)
    retrained: list[str] = []
    grouped(tmp_path, files, "out", retrained.append, r=2)  # a changed LoRA rank retrains all
    assert sum("fine-tuning (cache" in m for m in retrained) == 4


def test_a_units_cache_key_follows_inputs_settings_and_identity():
    digests = {"base": "a", "recipe": "b", "code": "c"}
    params = {"finetune": {"lora": {"r": 4}}}
    identity = {"w": "1", "student": "small", "recipe": "own", "seed": 1}
    key = seed_key(digests, params, identity)
    assert key == seed_key(dict(digests), {"finetune": {"lora": {"r": 4}}}, dict(identity))
    assert key != seed_key({**digests, "recipe": "B"}, params, identity)
    assert key != seed_key(digests, {"finetune": {"lora": {"r": 2}}}, identity)
    assert key != seed_key(digests, params, {**identity, "seed": 2})
    assert key != seed_key(digests, params, {**identity, "recipe": "large"})


def test_path_digest_covers_file_names_and_contents(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "a.bin").write_bytes(b"1")
    first = path_digest(folder)
    (folder / "a.bin").write_bytes(b"2")
    assert path_digest(folder) != first
    (folder / "a.bin").write_bytes(b"1")
    assert path_digest(folder) == first
    (folder / "a.bin").rename(folder / "b.bin")
    assert path_digest(folder) != first
