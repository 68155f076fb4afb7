"""Check once per world and student that every level of every sweep can be filled."""

from mismatch.io import read_parquet, write_json
from mismatch.joblog import job_log
from mismatch.recipes import check_sweep_fill, set_seed

with job_log(snakemake.log[0]) as log:
    wildcards = snakemake.wildcards
    pools = {name: read_parquet(path) for name, path in snakemake.input.items()}
    for ft_seed in snakemake.params.seeds:  # each seed run draws its own sets
        checked = check_sweep_fill(
            snakemake.params.sweeps,
            pools=pools,
            student=wildcards.student,
            size=snakemake.params.size,
            seed=set_seed(int(wildcards.w), ft_seed),
            where=f" (world {wildcards.w}, seed run {ft_seed}, student {wildcards.student})",
        )
    log(f"every level can be filled with {snakemake.params.size} examples: {checked}")
    write_json({"size": snakemake.params.size, "levels": checked}, snakemake.output.check)
