# A target this config does not describe (another study's file, a world not in seeds.world, a
# model not in models) matches only this rule: its input function stops planning with one line
# naming the config that does (mismatch/config/targets.py). It never runs.
from mismatch.config import targets as config_targets  # noqa: E402


rule foreign_target:
    input:
        lambda wildcards: refuse(
            config_targets.target_problem(
                wildcards.path, STUDY, WORLD_SEEDS, MODELS, _SOURCE, REPO
            ),
            "target",
        ),
    output:
        target=f"{studies.RESULTS_ROOT}/{{path}}",
    log:
        out("logs/foreign_target/{path}.log"),
    wildcard_constraints:
        path=config_targets.foreign_pattern(STUDY, WORLD_SEEDS, MODELS),
    conda:
        "../envs/mismatch.yaml"
    resources:
        runtime=1,
    shell:
        "exit 1"


# A dry run says how long the whole study takes on its cores and which jobs never go to SLURM.
if studies_plan.dry_run_cores(sys.argv) is not None:
    print(
        studies_plan.describe(
            config,
            studies_plan.dry_run_cores(sys.argv),
            sorted({*getattr(workflow, "_localrules", ()), "all"}),
            os.getloadavg()[0],
        ),
        file=sys.stderr,
    )


# --report on a study that has not finished: one line instead of a warning per missing file.
if study_state.report_requested(sys.argv):
    _unfinished = study_state.unfinished_report(OUT, _SOURCE)
    if _unfinished:
        refuse(_unfinished, "report")
