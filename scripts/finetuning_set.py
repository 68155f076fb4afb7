"""Build one fine-tuning set (recipe) from the source models' pool answers."""

from mismatch.io import read_parquet, write_parquet
from mismatch.joblog import job_log
from mismatch.questions import persons_of
from mismatch.recipe_kinds import build_seed_sets
from mismatch.recipes import apply_knowledge_rule

with job_log(snakemake.log[0]) as log:
    spec = snakemake.params.recipe
    wildcards = snakemake.wildcards
    rule = snakemake.params.knowledge_rule
    pools = {}
    for role in ("teacher", "student"):
        categories = getattr(snakemake.input, f"{role}_categories", None)
        truth = getattr(snakemake.input, f"{role}_truth", None)
        pools[role] = apply_knowledge_rule(
            read_parquet(getattr(snakemake.input, role)),
            rule,
            read_parquet(categories) if categories else None,
            name=getattr(snakemake.input, role),
            truth=read_parquet(truth) if truth else None,
        )
    sets, per_seed = build_seed_sets(
        spec,
        world_seed=int(wildcards.w),
        ft_seeds=snakemake.params.seeds,
        teacher_pool=pools["teacher"],
        student_pool=pools["student"],
        size=snakemake.params.size,
        persons=persons_of(
            read_parquet(snakemake.input.questions),
            snakemake.params.cluster,
            snakemake.input.questions,
        ),
        name=f"recipes.{wildcards.recipe} (world {wildcards.w})",
        teacher_name=snakemake.input.teacher,
        student_name=snakemake.input.student,
        student_categories=(
            read_parquet(snakemake.input.student_categories)
            if "student_categories" in snakemake.input.keys()
            else None
        ),
    )
    stats = {"per_seed": per_seed}
    stats.update(
        recipe=wildcards.recipe,
        student=wildcards.student,
        world_seed=int(wildcards.w),
        sweep=spec.get("sweep"),
        level=spec.get("level"),
        spec=spec,
        knowledge_rule=rule,
    )
    log(f"{stats}")
    write_parquet(sets, snakemake.output.recipe, stats)
