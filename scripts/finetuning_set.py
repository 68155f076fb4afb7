"""Build one fine-tuning set (recipe) from the source models' pool answers."""

from mismatch.io import read_parquet, write_parquet
from mismatch.joblog import job_log
from mismatch.knowing.knows import definition_of, with_knows
from mismatch.questions.user_sets import persons_of
from mismatch.recipes.kinds import build_seed_sets

with job_log(snakemake.log[0]) as log:
    spec = snakemake.params.recipe
    wildcards = snakemake.wildcards
    pools, definitions = {}, {}
    for role in ("teacher", "student"):  # the teacher by the recipe's definition, the student
        knows_path = snakemake.input[f"{role}_knows"]  # by the study's
        knows = read_parquet(knows_path)
        definitions[role] = definition_of(knows, knows_path)
        pools[role] = with_knows(read_parquet(snakemake.input[role]), knows, knows_path)
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
        knowledge_rule=definitions["teacher"],
        knowledge_basis=definitions["student"],
    )
    log(f"{stats}")
    write_parquet(sets, snakemake.output.recipe, stats)
