"""Which facts one world model truly knows: in the slice world, the facts it was given in
pretraining; in the exposure world, those whose held-out paraphrased question it answers."""

from mismatch.io import read_parquet, write_parquet
from mismatch.joblog import job_log
from mismatch.world.exposure import heldout_truth
from mismatch.world.fictional import World, knowledge_slices

with job_log(snakemake.log[0]) as log:
    model = snakemake.wildcards.model
    if "heldout" in snakemake.input.keys():
        truth = heldout_truth(
            read_parquet(snakemake.input.heldout), read_parquet(snakemake.input.exposure), model
        )
        provenance = {"model": model, "reference": "held-out paraphrase answered correctly"}
    else:
        world = World.from_facts(read_parquet(snakemake.input.facts))
        knows = snakemake.params.knows
        truth = knowledge_slices(
            world, {model: knows}, snakemake.params.unit, int(snakemake.wildcards.w)
        )
        provenance = {"model": model, "knows": knows}
    write_parquet(truth, snakemake.output.truth, provenance)
    log(f"{model} truly knows {int(truth.truly_known.sum())} of {len(truth)} facts")
