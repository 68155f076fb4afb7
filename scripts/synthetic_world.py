"""Draw one synthetic world: its facts and its pool, test and format question sets."""

from mismatch.io import write_parquet
from mismatch.joblog import job_log
from mismatch.world.exposure import heldout_questions
from mismatch.world.fictional import WorldSettings, build_world, question_set

with job_log(snakemake.log[0]) as log:
    seed = int(snakemake.wildcards.w)
    world = build_world(WorldSettings.from_config(snakemake.params.world), seed)
    provenance = {"world_seed": seed, "settings": snakemake.params.world}
    write_parquet(world.facts, snakemake.output.facts, provenance)
    for split in ("pool", "test", "format"):
        questions = question_set(world, split)
        write_parquet(questions, snakemake.output[split], {**provenance, "split": split})
        log(f"{split}: {len(questions)} questions")
    if "heldout" in snakemake.output.keys():  # the exposure world's reference questions
        heldout = heldout_questions(world)
        write_parquet(heldout, snakemake.output.heldout, {**provenance, "split": "heldout"})
        log(f"heldout: {len(heldout)} paraphrased questions")
