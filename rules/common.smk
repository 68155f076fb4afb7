import os
import re
import sys

from snakemake.io import report as report_file  # `report(` cannot start a line in a rule file
from snakemake.utils import min_version

min_version("9.0")

# The library lives beside the rules; jobs (local or on SLURM) import it through PYTHONPATH.
REPO = workflow.basedir
sys.path.insert(0, REPO)

from mismatch import configuration as cfg  # noqa: E402
from mismatch import layout, studies, study_state  # noqa: E402
from mismatch import plan_estimate as studies_plan  # noqa: E402
from mismatch.analysis import outputs as analysis_outputs  # noqa: E402
from mismatch.config import jobs  # noqa: E402
from mismatch.models import sources as model_sources  # noqa: E402
from mismatch.questions import sources as question_sources  # noqa: E402
from mismatch.recipes import kinds as recipe_kinds  # noqa: E402
from mismatch.errors import InputError  # noqa: E402

cfg.export_package_path()


def refuse(problem, what="config"):
    """Stop planning with one line naming the file or key and what to do: no traceback and no
    "WorkflowError in file rules/common.smk" wrapper, which read as a bug in the workflow."""
    print(f"invalid {what}: {problem}", file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------- config layers and validation
# The --configfile files (else the embedded default), their `extends:` layers resolved, --config
# values last, checked, the schema's defaults filled in (mismatch/config/planned.py). Jobs (local
# or on SLURM) get the same arguments and rebuild the same config.
try:
    _planned = cfg.planned_config(
        workflow.overwrite_configfiles or workflow.configfiles,
        workflow.config_settings.config,
        REPO,
    )
except InputError as err:
    refuse(err)
config.clear()
config.update(_planned)
# One folder per study: every output, log, benchmark and figure of this config goes under
# results/<study>/ (mismatch/studies.py names it), so studies coexist; mismatch/layout.py says
# where each file lies in it.
STUDY = config["study"]
_CONFIGFILE = (workflow.overwrite_configfiles or workflow.configfiles or ["config"])[-1]
_SOURCE = os.path.relpath(_CONFIGFILE)  # errors name the config file given and the key
OUT = studies.study_dir(STUDY)
KNOWING = cfg.knowledge_basis(config)  # the study's one definition of knowing (knowledge.basis)
PATHS = layout.StudyPaths(OUT, KNOWING)
out = PATHS.out  # ``path`` inside this study's folder (``results/<study>/<path>``)
answers_file = PATHS.answers  # the answer table of (w, model, split): rules/answers.smk
knows_file = PATHS.knows  # the knows table of (w, model, split[, definition]): rules/knows.smk
PATTERNS = PATHS.patterns  # files whose keys the summary parses from their paths

WORLD_SEEDS = config["seeds"]["world"]
FT_SEEDS = config["seeds"]["finetune"]
MODELS = list(config["models"])
STUDENTS = config["students"]
RECIPES = list(config["recipes"])
QUESTIONS = cfg.question_source(config)  # its entry: the rule writing the question sets, ...
SYNTHETIC = cfg.pretrained_world(config) is not None  # models pretrained on a world of facts
EXPOSURE = cfg.pretrained_world(config) == "exposure"  # knowledge graded by exposure
SPLITS = cfg.question_splits(config)  # pool, test, format (+ the exposure world's heldout)
FIGURES = out("figures")
SWEEPS = list(config["sweeps"])
CATEGORY_SETS = any(  # some recipe is built from the student's SliCK categories
    recipe_kinds.KINDS[spec["kind"]].needs_categories for spec in config["recipes"].values()
)
ANSWERED_SPLITS = cfg.answered_splits(config)  # format: exemplars
DEFINITIONS = cfg.knowledge_definitions(config)  # it and the recipes' own (knowledge_rule)


wildcard_constraints:
    w="|".join(str(w) for w in WORLD_SEEDS),  # another world: rules/targets.smk says so
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
    w, model, split = wildcards.w, wildcards.model, wildcards.split
    return PATHS.shards("answers", w, model, split, cfg.answer_shards(config, split))


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
    w, model, split = wildcards.w, wildcards.model, wildcards.split
    return PATHS.shards("categories", w, model, split, cfg.category_shards(config, split))


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


# ---------------------------------------------------------------- the summary's files
SUMMARY = out("summary")
INPUTS_DIR = f"{SUMMARY}/inputs"
DESIGN = analysis_outputs.design_of(config)  # which registered tables and figures it has
GATHERED = PATHS.gathered(  # every file gather_labels reads, by input name
    WORLD_SEEDS, MODELS, STUDENTS, RECIPES, FT_SEEDS, sweeps=bool(SWEEPS), probes=EXPOSURE
)


def analysis_table_files():
    """The tables analyse writes for the study's design (mismatch/analysis/outputs.py)."""
    return analysis_outputs.table_files(SUMMARY, DESIGN)


def figure_files():
    """The figures plot_figures draws for the study's design (mismatch/analysis/outputs.py)."""
    return analysis_outputs.figure_files(FIGURES, DESIGN)


def reported(files):
    """``files`` (registered tables or figures) marked for ``snakemake --report`` where the
    registry gives them a caption and category."""
    marked = {}
    for name, path in files.items():
        entry = analysis_outputs.reported(name, DESIGN)
        if entry is not None:
            caption, category = entry
            path = report_file(path, caption=f"../report/{caption}.rst", category=category)
        marked[name] = path
    return marked


def final_outputs():
    return [out("summary/summary.md"), *figure_files().values()]


# A run marks its folder as the workflow's (mismatch/study_state.py: what tools/studies.py lists
# and may clean) and records how it ended. The end of a run prints the headline and where what it
# wrote is; the full text stays in results/<study>/summary/summary.md.
onstart:
    study_state.write_marker(OUT, STUDY, "running", config=os.path.abspath(_CONFIGFILE))


onsuccess:
    study_state.write_marker(OUT, STUDY, "finished")
    print(studies.run_epilogue(OUT, question_sources.cluster_unit(config)), file=sys.stderr)


onerror:
    study_state.write_marker(OUT, STUDY, "failed")
