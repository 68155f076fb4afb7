"""Build one fine-tuning set (recipe) from the source models' pool answers."""

from mismatch.io import read_parquet, write_parquet
from mismatch.joblog import job_log
from mismatch.recipes import apply_knowledge_rule, build_recipe, recipe_stats

with job_log(snakemake.log[0]) as log:
    spec = snakemake.params.recipe
    wildcards = snakemake.wildcards
    rule = spec.get("knowledge_rule", "answer")
    pools = {}
    for role in ("teacher", "student"):
        categories = getattr(snakemake.input, f"{role}_categories", None)
        pools[role] = apply_knowledge_rule(
            read_parquet(getattr(snakemake.input, role)),
            rule,
            read_parquet(categories) if categories else None,
            name=getattr(snakemake.input, role),
        )
    recipe = build_recipe(
        spec,
        teacher_pool=pools["teacher"],
        student_pool=pools["student"],
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
