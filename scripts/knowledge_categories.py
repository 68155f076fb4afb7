"""SliCK knowledge categories of one shard of a model's questions (several exemplar sets, greedy
and samples); gather_categories joins the shards."""

from mismatch.answers.prompting import PromptFormat
from mismatch.answers.shards import shard_rows
from mismatch.io import read_parquet, write_parquet
from mismatch.joblog import job_log
from mismatch.knowing.slick import SlickSettings, categorize, measure_correctness
from mismatch.models.loading import load_model

with job_log(snakemake.log[0], snakemake.threads) as log:
    settings = snakemake.params.settings
    slick = SlickSettings.from_config(snakemake.params.slick)
    shard, n_shards = int(snakemake.wildcards.shard), snakemake.params.n_shards
    questions = shard_rows(read_parquet(snakemake.input.questions), shard, n_shards)
    model, tokenizer = load_model(
        snakemake.input.model,
        dtype=settings["dtype"],
        device_map=settings["device_map"],
        trust_remote_code=settings["trust_remote_code"],
    )
    log(
        f"{snakemake.wildcards.model}: {len(questions)} questions "
        f"(shard {shard + 1} of {n_shards}), {slick}"
    )
    greedy, sampled = measure_correctness(
        model,
        tokenizer,
        questions,
        read_parquet(snakemake.input.exemplars),
        PromptFormat.from_config(snakemake.params.prompt),
        slick,
        batch_size=settings["batch_size"],
        max_new_tokens=settings["max_new_tokens"],
        grading_rule=settings["grading"],
        prefix_cache=settings["prefix_cache"],
    )
    categories = categorize(questions["question_id"].to_list(), greedy, sampled)
    log(f"categories: {categories.category.value_counts().to_dict()}")
    metadata = {
        "model": snakemake.wildcards.model,
        "split": snakemake.wildcards.split,
        "settings": vars(slick),
        "grading": settings["grading"],
        "shard": {"index": shard, "of": n_shards},
    }
    write_parquet(categories, snakemake.output.categories, metadata)
