"""How often the exposure world's one corpus states each fact and mentions each name."""

from mismatch.io import read_parquet, write_parquet
from mismatch.joblog import job_log
from mismatch.world.exposure import ExposureSettings, exposure_table, name_mentions
from mismatch.world.fictional import World

with job_log(snakemake.log[0]) as log:
    seed = int(snakemake.wildcards.w)
    world = World.from_facts(read_parquet(snakemake.input.facts))
    settings = ExposureSettings.from_config(snakemake.params.exposure)
    table = exposure_table(world, settings, seed)
    table["name_mentions"] = table["entity"].map(name_mentions(world, settings, seed))
    write_parquet(
        table, snakemake.output.exposure, {"world_seed": seed, **snakemake.params.exposure}
    )
    seen = table[table.split != "format"].exposure
    log(
        f"{(seen > 0).mean():.1%} of pool/test facts seen at least once; "
        f"mean count {seen.mean():.2f}"
    )
