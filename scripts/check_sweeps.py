"""Check once per world and student that every level of every sweep can be filled."""

from mismatch.io import read_parquet, write_json
from mismatch.joblog import job_log
from mismatch.recipes import check_sweep_fill

with job_log(snakemake.log[0]) as log:
    wildcards = snakemake.wildcards
    checked = check_sweep_fill(
        snakemake.params.sweeps,
        pools={name: read_parquet(path) for name, path in snakemake.input.items()},
        student=wildcards.student,
        size=snakemake.params.size,
        seed=int(wildcards.w),
        where=f" (world {wildcards.w}, student {wildcards.student})",
    )
    log(f"every level can be filled with {snakemake.params.size} examples: {checked}")
    write_json({"size": snakemake.params.size, "levels": checked}, snakemake.output.check)
