# Knowledge-mismatch study (Wee & Baghdadi 2024, and beyond). See README.md.
# Configuration: config.yaml (validated against schemas/config.schema.yaml).


# The embedded default. A --configfile on the command line replaces it rather than being merged
# into it, so a config naming other models or recipes does not inherit the default ones; a config
# that wants the default's settings says `extends: ../config.yaml` (rules/common.smk).
if not workflow.overwrite_configfiles:

    configfile: f"{workflow.basedir}/config.yaml"


# The HTML report (snakemake --report) opens on this description: the question, this run's
# headline (written by the summary rule) and the figures.
report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/fetch.smk"
include: "rules/world.smk"
include: "rules/questions.smk"
include: "rules/answers.smk"
include: "rules/categories.smk"
include: "rules/knows.smk"
include: "rules/finetune.smk"
include: "rules/summary.smk"
include: "rules/targets.smk"


localrules:
    all,
    foreign_target,


rule all:
    default_target: True
    input:
        final_outputs(),
