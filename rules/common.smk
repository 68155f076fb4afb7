import os
import re
import sys

from snakemake.exceptions import WorkflowError
from snakemake.io import report as report_file  # `report(` cannot start a line in a rule file
from snakemake.utils import min_version, update_config, validate

min_version("9.0")

# The library lives beside the rules; jobs (local or on SLURM) import it through PYTHONPATH.
REPO = workflow.basedir
sys.path.insert(0, REPO)

from mismatch import configuration as cfg  # noqa: E402
from mismatch import studies  # noqa: E402
from mismatch.analysis import summary_files  # noqa: E402
from mismatch.config import jobs  # noqa: E402
from mismatch.models import sources as model_sources  # noqa: E402
from mismatch.questions import sources as question_sources  # noqa: E402
from mismatch.recipes import kinds as recipe_kinds  # noqa: E402
from mismatch.errors import InputError  # noqa: E402

cfg.export_package_path()


# ---------------------------------------------------------------- config layers and validation
# A config file may name a base with `extends: <path>`: rebuild the config from the files (the
# --configfile ones, else the embedded default) with their layers resolved, --config values last.
# Jobs (local or on SLURM) get the same --configfile and --config arguments and rebuild the same.
try:
    _layered = cfg.layered_config(
        workflow.overwrite_configfiles or workflow.configfiles,
        workflow.config_settings.config,
    )
except InputError as err:
    raise WorkflowError(f"invalid config: {err}") from None
config.clear()
config.update(_layered)

# One folder per study: every output, log, benchmark and figure of this config goes under
# results/<study>/ (mismatch/studies.py says how the name is chosen), so studies coexist.
try:
    STUDY = studies.study_name(
        workflow.overwrite_configfiles or workflow.configfiles,
        workflow.config_settings.config,
        REPO,
    )
except InputError as err:
    raise WorkflowError(f"invalid config: {err}") from None
config["study"] = STUDY
OUT = studies.study_dir(STUDY)


def out(path):
    """``path`` inside this study's folder (``results/<study>/<path>``)."""
    return f"{OUT}/{path}"


cfg.drop_unset_model_sources(config)  # an overlay's `hub: null` + `path:` switches a source

SCHEMA = os.path.join(REPO, "schemas", "config.schema.yaml")
# --config 'finetune={lora: {r: 4}}' arrives with its nested values as strings: parse them as YAML.
update_config(config, cfg.override_scalars(workflow.config_settings.config or {}))
_problem = cfg.schema_error(config, SCHEMA)
if _problem:
    raise WorkflowError(f"invalid config: {_problem}")
validate(config, SCHEMA)  # fills in the schema's defaults
cfg.expand_sweeps(config)
if config["finetune"]["checkpoint_root"] is None:
    config["finetune"]["checkpoint_root"] = out(".checkpoints")
# Errors name the config file given (the embedded default's is config.yaml) and the key.
_SOURCE = os.path.relpath(
    (workflow.overwrite_configfiles or workflow.configfiles or ["config"])[-1]
)
try:
    cfg.check_config(config, _SOURCE)
    cfg.check_sizes(config, _SOURCE)
except InputError as err:
    raise WorkflowError(f"invalid config: {err}") from None

WORLD_SEEDS = config["seeds"]["world"]
FT_SEEDS = config["seeds"]["finetune"]
MODELS = list(config["models"])
STUDENTS = config["students"]
RECIPES = list(config["recipes"])
SYNTHETIC = config["questions"]["source"] == "synthetic"
EXPOSURE = SYNTHETIC and config["questions"]["synthetic"]["knowledge_model"] == "exposure"
# the exposure world also asks every pool and test fact with a held-out paraphrased question: its
# answers are the ground truth of knowing there
SPLITS = ["pool", "test", "format"] + (["heldout"] if EXPOSURE else [])
FIGURES = out("figures")
SWEEPS = list(config["sweeps"])
EARLY = "early" in cfg.recipe_stopping(config).values()  # some recipe keeps its best dev step
CATEGORY_SETS = any(  # some recipe is built from the student's SliCK categories
    recipe_kinds.KINDS[spec["kind"]].needs_categories for spec in config["recipes"].values()
)
ANSWERED_SPLITS = cfg.answered_splits(config)  # format: exemplars
KNOWING = cfg.knowledge_basis(config)  # the study's one definition of knowing (knowledge.basis)
DEFINITIONS = cfg.knowledge_definitions(config)  # it and the recipes' own (knowledge_rule)


wildcard_constraints:
    w=r"\d+",
    seed=r"\d+",
    split="|".join(SPLITS),
    model="|".join(MODELS),
    student="|".join(STUDENTS),
    recipe="|".join(re.escape(r) for r in RECIPES),
    definition="|".join(DEFINITIONS),
    shard=r"\d+",


# ---------------------------------------------------------------- input functions
def code(script):
    """A digest of what a rule runs (its script and the library modules it imports, as syntax
    trees), passed as a param: editing that code reruns the rule; comments, formatting, docstrings,
    the folder and file times do not (Snakemake's own code trigger, on script times, is off in
    profiles/default)."""
    return cfg.code_digest(os.path.join(REPO, "scripts", f"{script}.py"))


def model_dir(wildcards):
    """Where a model is loaded from: pretrained here, a local path, or the pointer its source's
    rule writes (fetch_model, convert_gguf; mismatch/models/sources.py)."""
    spec = config["models"][wildcards.model]
    in_study, path = model_sources.load_location(spec, wildcards.model, wildcards.w)
    return out(path) if in_study else path


def student_dir(wildcards):
    return model_dir(snakemake_wildcards(wildcards, model=wildcards.student))


def snakemake_wildcards(wildcards, **changes):
    """A copy of ``wildcards`` with some values replaced (for input functions that reuse others)."""
    values = dict(wildcards.items())
    values.update(changes)
    return type("Wildcards", (), values)


def answer_shard_files(wildcards):
    """The answering jobs one (model, split) answer table is gathered from."""
    n_shards = cfg.answer_shards(config, wildcards.split)
    return [
        out(f"w{wildcards.w}/answers/{wildcards.model}/{wildcards.split}.shards/{k}.parquet")
        for k in range(n_shards)
    ]


# answer_questions jobs (rules/answers.smk): their units, by answering.job_per
# (mismatch/config/jobs.py).
ANSWER_JOB = jobs.answer_job_name(config)


def answer_job_outputs():
    return [out(f"w{{w}}/{path}") for path in jobs.answer_job_outputs(config)]


def answer_job_units(wildcards):
    return jobs.answer_job_units(config, dict(wildcards.items()))


def answer_job_models(wildcards):
    return jobs.answer_job_models(config, dict(wildcards.items()))


def answer_job_splits(wildcards):
    return jobs.answer_job_splits(config, dict(wildcards.items()))


def answer_job_model_dirs(wildcards):
    """Where the models of an answer_questions job are loaded from, in unit order."""
    return [
        model_dir(snakemake_wildcards(wildcards, model=name))
        for name in answer_job_models(wildcards)
    ]


def answer_job_question_files(wildcards):
    """The question sets of an answer_questions job, in unit order."""
    return [out(f"w{wildcards.w}/questions/{s}.parquet") for s in answer_job_splits(wildcards)]


def category_shard_files(wildcards):
    """The SliCK jobs one (model, split) category table is gathered from."""
    n_shards = cfg.category_shards(config, wildcards.split)
    return [
        out(f"w{wildcards.w}/categories/{wildcards.model}/{wildcards.split}.shards/{k}.parquet")
        for k in range(n_shards)
    ]


def answers_file(w, model, split):
    """The answer table of ``model`` on ``split`` (rules/answers.smk)."""
    return out(f"w{w}/answers/{model}/{split}.parquet")


def knows_file(w, model, split, definition=KNOWING):
    """The knows table of ``model`` on ``split`` by ``definition`` (rules/knows.smk); with
    "{w}"-style arguments, the pattern a rule names."""
    return out(f"w{w}/knows/{definition}/{model}/{split}.parquet")


def source_files(split, file_of, suffix=""):
    """Input function: ``file_of(w, model, split)`` for every model a student's recipes draw on
    (keyed by model name + ``suffix``): their answers (``answers_file``) or whether each knows
    every question by the study's definition (``knows_file``)."""

    def inputs(wildcards):
        return {
            f"{m}{suffix}": file_of(wildcards.w, m, split)
            for m in cfg.source_models(config, wildcards.student)
        }

    return inputs


def recipe_answers(wildcards):
    """Pool answers of the recipe's teacher and of the student, and whether each knows every
    pool question: the teacher by the recipe's definition (its answered targets), the student by
    the study's."""
    teacher = cfg.teacher_of(config, wildcards.recipe, wildcards.student) or wildcards.student
    w = wildcards.w
    return {
        "teacher": answers_file(w, teacher, "pool"),
        "student": answers_file(w, wildcards.student, "pool"),
        "teacher_knows": knows_file(
            w, teacher, "pool", cfg.recipe_knowledge_rule(config, wildcards.recipe)
        ),
        "student_knows": knows_file(w, wildcards.student, "pool"),
    }


def all_sweep_checks(wildcards=None):
    """The one check per world and student that every level of the sweeps can be filled. No set
    depends on it (so adding a level, which reruns it, reruns no existing level); it runs first
    among the jobs that wait for the pool answers (priority), and the summary reads it."""
    if not SWEEPS:
        return []
    return expand(out("w{w}/checks/sweeps/{student}.json"), w=WORLD_SEEDS, student=STUDENTS)


def knows_inputs(wildcards):
    """What decides a knows table: the model's graded answers, and its ground truth (truth) or
    SliCK categories (slick)."""
    w, model, split = wildcards.w, wildcards.model, wildcards.split
    inputs = {"answers": answers_file(w, model, split)}
    if wildcards.definition == "truth":
        inputs["truth"] = out(f"w{w}/world/truth/{model}.parquet")
    if wildcards.definition == "slick":
        inputs["categories"] = out(f"w{w}/categories/{model}/{split}.parquet")
    return inputs


def recipe_categories(wildcards):
    """The student's pool SliCK categories, for every recipe of a study with category sets (they
    choose those sets' questions; every set records its SliCK-known answered targets)."""
    if not CATEGORY_SETS:
        return {}
    return {
        "student_categories": out(f"w{wildcards.w}/categories/{wildcards.student}/pool.parquet")
    }


def all_labels(wildcards=None):
    return expand(
        out("w{w}/labels/{student}/{recipe}/ft{seed}.parquet"),
        w=WORLD_SEEDS,
        student=STUDENTS,
        recipe=RECIPES,
        seed=FT_SEEDS,
    )


# finetune_and_label jobs (rules/finetune.smk): their (recipe, seed) units, by finetune.job_per
# (mismatch/config/jobs.py).
STUDENT_JOB = jobs.student_job_name(config)


def unit_paths(pattern):
    """``results/<study>/w{w}/<pattern>`` for every unit of a finetune_and_label job."""
    return [
        out(f"w{{w}}/{pattern}").replace("{recipe}", recipe).replace("{seed}", seed)
        for recipe, seed in jobs.student_unit_patterns(config)
    ]


def job_unit_values(wildcards):
    return jobs.student_unit_values(config, dict(wildcards.items()))


def unit_recipes(wildcards):
    """The fine-tuning sets of a finetune_and_label job, in the order of its units."""
    return [
        out(f"w{wildcards.w}/sets/{wildcards.student}/{recipe}.parquet")
        for recipe, _ in job_unit_values(wildcards)
    ]


def all_sets(wildcards=None):
    return expand(
        out("w{w}/sets/{student}/{recipe}.parquet"),
        w=WORLD_SEEDS,
        student=STUDENTS,
        recipe=RECIPES,
    )


def all_losses(wildcards=None):
    return expand(
        PATTERNS["losses"],
        w=WORLD_SEEDS,
        student=STUDENTS,
        recipe=RECIPES,
        seed=FT_SEEDS,
    )


# ---------------------------------------------------------------- the summary's files
SUMMARY = out("summary")
INPUTS_DIR = f"{SUMMARY}/inputs"


def analysis_table_files():
    """The tables analyse writes: every study's, plus those its design asks for."""
    files = {name: f"{SUMMARY}/{file}" for name, file in summary_files.TABLES.items()}
    optional = summary_files.OPTIONAL_TABLES
    if EXPOSURE:
        for name in ("probe_auroc", "recall_by_exposure", "gap_points", "gap_fit"):
            files[name] = f"{SUMMARY}/{optional[name]}"
    if EARLY:
        files["training_length"] = f"{SUMMARY}/{optional['training_length']}"
    return files


REPORTED_TABLES = {  # table -> (caption, report category)
    "summary": ("summary", "4. Summary table"),
    "contrasts": ("contrasts", "4. Summary table"),
    "robustness": ("robustness", "4. Summary table"),
    "probe_auroc": ("probe_auroc", "5. Knowledge probes"),
    "gap_points": ("gap", "6. Knowledge gap and fits"),
    "gap_fit": ("gap", "6. Knowledge gap and fits"),
    "training_length": ("training_length", "6. Knowledge gap and fits"),
}
if CATEGORY_SETS:
    REPORTED_TABLES["gekhman_fit"] = ("gekhman_fit", "6. Knowledge gap and fits")


def reported(files):
    """``files`` with the report's tables marked for ``snakemake --report``."""
    marked = {}
    for name, path in files.items():
        if name in REPORTED_TABLES:
            caption, category = REPORTED_TABLES[name]
            path = report_file(path, caption=f"../report/{caption}.rst", category=category)
        marked[name] = path
    return marked


# Files whose keys (world, student, ...) are not stored in them: the summary parses each path
# with the same pattern that lists it, instead of pairing files with parameter lists by position.
PATTERNS = {
    "base": answers_file("{w}", "{student}", "test"),
    "checks": out("w{w}/checks/{student}.json"),
    "losses": out("w{w}/students/{student}/{recipe}/ft{seed}/loss.tsv"),
    "questions": out("w{w}/questions/test.parquet"),
    "knows": knows_file("{w}", "{model}", "{split}"),
    "probes": out("w{w}/probes/{model}.parquet"),
    "answers": answers_file("{w}", "{model}", "{split}"),
}


def all_base_answers(wildcards=None):
    """Every model's pool and test answers (who knows what, per relation)."""
    return expand(PATTERNS["answers"], w=WORLD_SEEDS, model=MODELS, split=["pool", "test"])


def all_question_sets(wildcards=None):
    """The pool and test question sets of every world, keyed "w/split" (their relations)."""
    return {
        f"{w}/{split}": out(f"w{w}/questions/{split}.parquet")
        for w in WORLD_SEEDS
        for split in ("pool", "test")
    }


def all_probes(wildcards=None):
    """Every exposure-world model's fact probes (none in the slice world)."""
    return expand(PATTERNS["probes"], w=WORLD_SEEDS, model=MODELS) if EXPOSURE else []


def all_test_questions(wildcards=None):
    return expand(PATTERNS["questions"], w=WORLD_SEEDS)


def all_knowledge(wildcards=None):
    return expand(out("w{w}/knowledge/{model}.json"), w=WORLD_SEEDS, model=MODELS)


def all_checks(wildcards=None):
    return expand(PATTERNS["checks"], w=WORLD_SEEDS, student=STUDENTS)


def base_test_answers(wildcards=None):
    return expand(PATTERNS["base"], w=WORLD_SEEDS, student=STUDENTS)


def all_knows(wildcards=None):
    """Every model's pool and test knows tables by the study's definition."""
    return expand(PATTERNS["knows"], w=WORLD_SEEDS, model=MODELS, split=["pool", "test"])


def final_outputs():
    return [
        out("summary/summary.md"),
        f"{FIGURES}/outcomes.png",
        f"{FIGURES}/wrong_by_knowledge.png",
        f"{FIGURES}/loss_curves.png",
        f"{FIGURES}/forest.png",
        *(f"{FIGURES}/dose_response_{sweep}.png" for sweep in SWEEPS),
        *([f"{FIGURES}/recall_by_exposure.png"] if EXPOSURE else []),
    ]


# The end of a run prints the headline and where everything is; the full text stays in
# results/<study>/summary/summary.md.
onsuccess:
    print(studies.run_epilogue(OUT, question_sources.cluster_unit(config)), file=sys.stderr)


# ---------------------------------------------------------------- resources
def model_resources(stage, model_wildcard="model"):
    """mem_mb, runtime and gpu callables for a job of ``stage`` on the model named by a wildcard
    (mismatch/resources.py: seconds per unit x the job's units, times a margin)."""

    def one(resource):
        def value(wildcards, attempt):
            name = getattr(wildcards, model_wildcard)
            work = cfg.shard_work(config, stage, name, getattr(wildcards, "split", None))
            return cfg.model_job_resources(config, work, [name], attempt)[resource]

        return value

    return {resource: one(resource) for resource in ("mem_mb", "runtime", "gpu")}


def answer_job_resources():
    """Resources of an answer_questions job: its models answer their units one after another."""

    def one(resource):
        def value(wildcards, attempt):
            models, work = cfg.answer_job_work(config, dict(wildcards.items()))
            return cfg.model_job_resources(config, work, models, attempt)[resource]

        return value

    return {resource: one(resource) for resource in ("mem_mb", "runtime", "gpu")}


def student_job_resources():
    """Resources of a finetune_and_label job: fine-tuning and labelling of every unit in turn."""

    def one(resource):
        def value(wildcards, attempt):
            work = cfg.student_job_work(config, wildcards.student)
            return cfg.model_job_resources(config, work, [wildcards.student], attempt)[resource]

        return value

    return {resource: one(resource) for resource in ("mem_mb", "runtime", "gpu")}
