"""Train the one subword tokenizer shared by every model of a world."""

from mismatch.answers.prompting import PromptFormat
from mismatch.io import read_parquet
from mismatch.joblog import job_log
from mismatch.world.corpus import world_text
from mismatch.world.fictional import World
from mismatch.world.tokenizer import save_tokenizer, train_tokenizer

with job_log(snakemake.log[0]) as log:
    corpus = snakemake.params.corpus
    world = World.from_facts(read_parquet(snakemake.input.facts))
    prompt = PromptFormat.from_config(snakemake.params.prompt)
    texts = world_text(world, prompt, n_abstention_lines=corpus["n_abstention_lines"])
    tokenizer = train_tokenizer(texts, corpus["vocab_size"])
    save_tokenizer(tokenizer, snakemake.output.tokenizer)
    log(f"vocabulary: {len(tokenizer)} tokens")
