"""Fail the run unless every larger teacher measurably knows more pool facts than the student."""

from mismatch.io import read_parquet, write_json
from mismatch.joblog import job_log
from mismatch.knowing.knowledge_checks import check_preconditions

with job_log(snakemake.log[0]) as log:
    student = snakemake.wildcards.student
    pools = {name: read_parquet(path) for name, path in snakemake.input.items()}
    verdict = check_preconditions(
        student,
        pools[student],
        {name: table for name, table in pools.items() if name != student},
        set(snakemake.params.larger),
        min_margin=snakemake.params.preconditions["min_teacher_margin"],
        allow_weak_teacher=snakemake.params.preconditions["allow_weak_teacher"],
    )
    log(f"{verdict}")
    write_json(verdict, snakemake.output.check)
