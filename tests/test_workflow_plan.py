"""Planning: what `snakemake -n` schedules for the whole study, one target, and edits."""

import copy

import pytest
from workflow_runs import ROOT, load_config, planned_jobs, planned_rules, snakemake, write_config

from mismatch.configuration import expand_sweeps


def n_recipes(config) -> int:
    """The configured recipes plus one per sweep level or grid cell."""
    expanded = copy.deepcopy(config)
    expand_sweeps(expanded)
    return len(expanded["recipes"])


@pytest.fixture
def default_config(tmp_path):
    return write_config(tmp_path / "config.yaml", load_config("config.yaml"))


def test_dry_run_plans_the_whole_default_study(tmp_path, default_config):
    run = snakemake(ROOT, tmp_path / "work", default_config, "-n")
    assert run.returncode == 0, run.output
    config = load_config("config.yaml")
    worlds, models = len(config["seeds"]["world"]), len(config["models"])
    counts = planned_rules(run.output)
    assert counts["pretrain_model"] == worlds * models
    # answering.job_per: world: one job per world answers pool and test with every model
    assert counts["answer_questions"] == worlds
    assert "gather_answers" not in counts
    # finetune.job_per: student: one job fine-tunes and labels every recipe and seed of a student
    assert counts["finetune_and_label"] == worlds * len(config["students"])
    assert counts["gather_labels"] == counts["analyse"] == counts["render_summary"] == 1
    assert counts["plot_figures"] == 1


@pytest.mark.parametrize("job_per", ["recipe", "seed"])
def test_dry_run_plans_a_job_per_recipe_or_per_seed(tmp_path, job_per):
    config = load_config("config.yaml")
    config["finetune"]["job_per"] = job_per
    run = snakemake(ROOT, tmp_path / "work", write_config(tmp_path / "c.yaml", config), "-n")
    assert run.returncode == 0, run.output
    worlds, seeds = len(config["seeds"]["world"]), len(config["seeds"]["finetune"])
    recipes = n_recipes(config)
    counts = planned_rules(run.output)
    # one rule whatever the grouping: a job per seed is a list of one unit
    if job_per == "recipe":
        assert counts["finetune_and_label"] == worlds * recipes
    else:
        assert counts["finetune_and_label"] == worlds * recipes * seeds


@pytest.mark.parametrize("job_per", ["student", "recipe", "seed"])
def test_one_labels_file_builds_only_its_ancestors(tmp_path, job_per):
    config = load_config("config.yaml")
    config["finetune"]["job_per"] = job_per
    configfile = write_config(tmp_path / "config.yaml", config)
    target = "results/test/w1/labels/small/own/ft1.parquet"
    run = snakemake(ROOT, tmp_path / "work", configfile, "-n", target)
    assert run.returncode == 0, run.output
    jobs = planned_jobs(run.output)
    assert {w.get("w") for _, w in jobs} == {"1"}
    if job_per == "student":  # its own job, which writes every recipe and seed of the student
        assert [w for r, w in jobs if r == "finetune_and_label"] == [{"w": "1", "student": "small"}]
    elif job_per == "recipe":  # its own job (which also writes the recipe's other seeds)
        assert [w for r, w in jobs if r == "finetune_and_label"] == [
            {"w": "1", "student": "small", "recipe": "own"}
        ]
    else:
        assert [w for r, w in jobs if r == "finetune_and_label"] == [
            {"w": "1", "student": "small", "recipe": "own", "seed": "1"}
        ]
    sets = [w["recipe"] for r, w in jobs if r == "finetuning_set"]
    if job_per == "student":  # every recipe of the student: the job trains them all
        assert "own" in sets and len(sets) == n_recipes(config)
    else:
        assert sets == ["own"]
    rules = planned_rules(run.output)
    assert not {"gather_labels", "analyse", "render_summary", "plot_figures"} & set(rules)
    # the own recipe still waits for the precondition check, which needs the teacher's answers
    assert rules["pretrain_model"] == 2 and rules["check_preconditions"] == 1


@pytest.mark.parametrize("job_per", ["world", "model"])
def test_answering_jobs_per_world_or_model(tmp_path, job_per):
    config = load_config("configs/tiny.yaml")
    config["answering"]["job_per"] = job_per
    run = snakemake(ROOT, tmp_path / "work", write_config(tmp_path / "c.yaml", config), "-n")
    assert run.returncode == 0, run.output
    jobs = [w for r, w in planned_jobs(run.output) if r == "answer_questions"]
    worlds = [str(w) for w in config["seeds"]["world"]]
    if job_per == "world":
        assert sorted(w["w"] for w in jobs) == worlds
    else:
        assert sorted((w["w"], w["model"]) for w in jobs) == [
            (w, m) for w in worlds for m in sorted(config["models"])
        ]
    assert not any("shard" in w for w in jobs)
    assert "gather_answers" not in planned_rules(run.output)


def test_one_answer_file_with_job_per_model_builds_only_its_model(tmp_path):
    config = load_config("configs/tiny.yaml")
    config["answering"]["job_per"] = "model"
    configfile = write_config(tmp_path / "c.yaml", config)
    run = snakemake(
        ROOT, tmp_path / "work", configfile, "-n", "results/test/w1/answers/small/test.parquet"
    )
    assert run.returncode == 0, run.output
    jobs = planned_jobs(run.output)
    assert [w for r, w in jobs if r == "answer_questions"] == [{"w": "1", "model": "small"}]
    assert [w["model"] for r, w in jobs if r == "pretrain_model"] == ["small"]


def test_shards_without_job_per_split_are_refused(tmp_path):
    config = load_config("configs/tiny.yaml")
    config["answering"]["questions_per_shard"] = 5
    run = snakemake(ROOT, tmp_path / "work", write_config(tmp_path / "c.yaml", config), "-n")
    assert run.returncode != 0
    assert "answering.questions_per_shard: shards need answering.job_per: split" in run.output


def test_answering_is_split_into_shards_and_gathered(tmp_path):
    config = load_config("configs/tiny.yaml")
    config["answering"].update(job_per="split", questions_per_shard=5)
    run = snakemake(ROOT, tmp_path / "work", write_config(tmp_path / "c.yaml", config), "-n")
    assert run.returncode == 0, run.output
    synthetic = config["questions"]["synthetic"]
    per_split = {
        s: synthetic["split_entities"][s] * len(synthetic["attributes"]) for s in ("pool", "test")
    }
    shards = [w for r, w in planned_jobs(run.output) if r == "answer_questions"]
    n_models = len(config["models"])
    assert len(shards) == n_models * sum(-(-n // 5) for n in per_split.values())
    assert {w["shard"] for w in shards if w["split"] == "pool"} == {
        str(k) for k in range(-(-per_split["pool"] // 5))
    }
    assert planned_rules(run.output)["gather_answers"] == n_models * 2


def test_layered_config_plans_with_command_line_values_last(tmp_path):
    """A --configfile that extends another (relative to its own folder) plans the merged study;
    --config still wins over both layers."""
    write_config(tmp_path / "base" / "tiny.yaml", load_config("configs/tiny.yaml"))
    overlay = {
        "extends": "base/tiny.yaml",
        "seeds": {"finetune": [1, 2, 3]},
        "finetune": {"job_per": "seed"},  # merged into the base's finetune section
        "answering": {"job_per": "split", "questions_per_shard": 5},
        "study": "overlay",
    }
    layered = write_config(tmp_path / "layered.yaml", overlay)
    run = snakemake(ROOT, tmp_path / "work", layered, "-n", "--config", "study=cli")
    assert run.returncode == 0, run.output
    jobs = planned_jobs(run.output)
    assert {w["seed"] for r, w in jobs if r == "finetune_and_label"} == {"1", "2", "3"}
    assert len([w for r, w in jobs if r == "answer_questions"]) == 2 * (-(-24 // 5) + -(-16 // 5))
    assert "results/cli/figures/outcomes.png" in run.output and "results/overlay" not in run.output


def test_knowledge_rule_slick_plans_the_teachers_pool_categories_and_knows_tables(
    tmp_path, tiny_llama_dir, tiny_gpt2_dir
):
    """A recipe that decides its teacher's knowing by SliCK plans the teacher's pool categories
    and a slick knows table for it; the student's knowing stays the study's (measured)."""
    config = load_config("configs/real-path.yaml")
    config["models"]["student"]["path"] = str(tiny_llama_dir)
    config["models"]["teacher"]["path"] = str(tiny_gpt2_dir)
    config["questions"]["triviaqa"]["local_dir"] = str(ROOT / "tests/fixtures/trivia_qa")
    config["recipes"]["teacher"]["knowledge_rule"] = "slick"
    config["knowledge_categories"]["enabled"] = True
    config["knowledge_categories"]["questions_per_shard"] = 0  # one SliCK job per split
    configfile = write_config(tmp_path / "config.yaml", config)
    target = "results/test/w1/sets/student/teacher.parquet"
    run = snakemake(ROOT, tmp_path / "work", configfile, "-n", target)
    assert run.returncode == 0, run.output
    categories = [w for r, w in planned_jobs(run.output) if r == "knowledge_categories"]
    assert sorted((w["model"], w["split"]) for w in categories) == [("teacher", "pool")]
    knows = [w for r, w in planned_jobs(run.output) if r == "knows"]
    assert sorted((w["definition"], w["model"], w["split"]) for w in knows) == [
        ("measured", "student", "pool"),
        ("measured", "teacher", "pool"),  # the preconditions: the study's definition
        ("slick", "teacher", "pool"),
    ]
    own = snakemake(
        ROOT, tmp_path / "work", configfile, "-n", "results/test/w1/sets/student/own.parquet"
    )
    assert "knowledge_categories" not in planned_rules(own.output)  # the study's: answers only


def test_exposure_world_plans_one_corpus_and_the_probes(tmp_path):
    """configs/exposure.yaml: one exposure table per world, every model pretrained on it, the
    held-out split answered with the others, and one probe job per world and model."""
    config = load_config("configs/exposure.yaml")
    run = snakemake(ROOT, tmp_path / "work", write_config(tmp_path / "c.yaml", config), "-n")
    assert run.returncode == 0, run.output[-3000:]
    counts = planned_rules(run.output)
    worlds, models = len(config["seeds"]["world"]), len(config["models"])
    assert counts["exposure_table"] == worlds
    assert counts["pretrain_model"] == counts["probe_facts"] == counts["true_knowledge"]
    assert counts["probe_facts"] == worlds * models
    assert "results/test/w1/answers/small/heldout.parquet" in run.output
    pretrain_inputs = _inputs_of(run.output, "pretrain_model")
    assert "results/test/w1/world/exposure.parquet" in pretrain_inputs
    assert "world/truth/" not in pretrain_inputs  # no slice: the truth comes after answering


def _inputs_of(output: str, rule: str) -> str:
    """The input lines of every planned job of ``rule`` in a dry run's output."""
    blocks = output.split("\nrule ")[1:] + output.split("\nlocalrule ")[1:]
    return "\n".join(
        line
        for block in blocks
        if block.startswith(f"{rule}:")
        for line in block.splitlines()
        if line.strip().startswith("input:")
    )
