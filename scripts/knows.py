"""Write whether one model knows each question of one split, by one definition of knowing."""

from mismatch.io import read_parquet, write_parquet
from mismatch.joblog import job_log
from mismatch.knowing.knows import knows_table

with job_log(snakemake.log[0]) as log:
    inputs, wildcards = snakemake.input, snakemake.wildcards
    table = knows_table(
        read_parquet(inputs.answers),
        wildcards.definition,
        truth=read_parquet(inputs.truth) if "truth" in inputs.keys() else None,
        categories=read_parquet(inputs.categories) if "categories" in inputs.keys() else None,
        name=inputs.answers,
    )
    provenance = {
        "model": wildcards.model,
        "split": wildcards.split,
        "definition": wildcards.definition,
        "world_seed": int(wildcards.w),
    }
    write_parquet(table, snakemake.output.knows, provenance)
    log(
        f"{wildcards.model} knows {int(table.knows.sum())} of {len(table)} {wildcards.split} "
        f"questions by {wildcards.definition}"
    )
