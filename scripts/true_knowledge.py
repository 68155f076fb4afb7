"""Which facts one world model is given in pretraining (the exact ground truth of knowing)."""

from mismatch.io import read_parquet, write_parquet
from mismatch.joblog import job_log
from mismatch.world import World, knowledge_slices

with job_log(snakemake.log[0]) as log:
    model = snakemake.wildcards.model
    world = World.from_facts(read_parquet(snakemake.input.facts))
    truth = knowledge_slices(
        world, {model: snakemake.params.knows}, snakemake.params.unit, int(snakemake.wildcards.w)
    )
    write_parquet(truth, snakemake.output.truth, {"model": model, "knows": snakemake.params.knows})
    log(f"{model} truly knows {int(truth.truly_known.sum())} of {len(truth)} facts")
