"""Check once per world and student that every level of every sweep can be filled."""

from mismatch.io import read_parquet, write_json
from mismatch.joblog import job_log
from mismatch.knowing.knows import with_knows
from mismatch.questions.user_sets import persons_of
from mismatch.recipes.sets import check_sweep_fill, set_seed

with job_log(snakemake.log[0]) as log:
    wildcards, inputs, params = snakemake.wildcards, snakemake.input, snakemake.params
    files = dict(inputs.items())
    questions = files.pop("questions")
    knows = {
        name.removesuffix("_knows"): files.pop(name)
        for name in list(files)
        if name.endswith("_knows")
    }
    pools = {
        name: with_knows(read_parquet(path), read_parquet(knows[name]), knows[name])
        for name, path in files.items()
    }
    persons = persons_of(read_parquet(questions), params.cluster, questions)
    for ft_seed in params.seeds:  # each seed run draws its own sets
        checked = check_sweep_fill(
            params.sweeps,
            pools=pools,
            student=wildcards.student,
            size=params.size,
            seed=set_seed(int(wildcards.w), ft_seed),
            persons=persons,
            where=f" (world {wildcards.w}, seed run {ft_seed}, student {wildcards.student})",
        )
    log(f"every level can be filled with {params.size} examples: {checked}")
    write_json({"size": params.size, "levels": checked}, snakemake.output.check)
