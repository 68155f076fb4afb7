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
    wildcard_constraints:
        path=config_targets.foreign_pattern(STUDY, WORLD_SEEDS, MODELS),
    log:
        out("logs/foreign_target/{path}.log"),
    conda:
        "../envs/mismatch.yaml"
    resources:
        runtime=1,
    shell:
        "exit 1"
