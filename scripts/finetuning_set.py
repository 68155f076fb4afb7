"""Build one fine-tuning set (recipe) from the source models' pool answers."""

from mismatch.io import read_parquet, write_parquet
from mismatch.joblog import job_log
from mismatch.recipes import build_recipe, recipe_stats

with job_log(snakemake.log[0]) as log:
    spec = snakemake.params.recipe
    wildcards = snakemake.wildcards
    recipe = build_recipe(
        spec,
        teacher_pool=read_parquet(snakemake.input.teacher),
        student_pool=read_parquet(snakemake.input.student),
        size=snakemake.params.size,
        seed=int(wildcards.w),
        name=f"recipes.{wildcards.recipe} (world {wildcards.w})",
        teacher_name=snakemake.input.teacher,
        student_name=snakemake.input.student,
    )
    stats = recipe_stats(recipe)
    stats.update(
        recipe=wildcards.recipe,
        student=wildcards.student,
        world_seed=int(wildcards.w),
        sweep=spec.get("sweep"),
        level=spec.get("level"),
        spec=spec,
    )
    log(f"{stats}")
    write_parquet(recipe, snakemake.output.recipe, stats)
