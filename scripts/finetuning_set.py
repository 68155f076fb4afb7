"""Build one fine-tuning set (recipe) from a source model's pool answers."""

from mismatch.io import read_parquet, write_parquet
from mismatch.joblog import job_log
from mismatch.recipes import build_recipe, recipe_stats

with job_log(snakemake.log[0]) as log:
    recipe = build_recipe(
        snakemake.params.recipe,
        teacher_pool=read_parquet(snakemake.input.teacher),
        student_pool=read_parquet(snakemake.input.student),
        teacher_name=snakemake.input.teacher,
        student_name=snakemake.input.student,
    )
    stats = recipe_stats(recipe)
    stats.update(recipe=snakemake.wildcards.recipe, student=snakemake.wildcards.student,
                 world_seed=int(snakemake.wildcards.w), spec=snakemake.params.recipe)
    log(f"{stats}")
    write_parquet(recipe, snakemake.output.recipe, stats)
