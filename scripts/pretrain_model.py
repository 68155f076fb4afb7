"""Pretrain one tiny world model from scratch on its slice of the synthetic world."""

from mismatch.answers.prompting import PromptFormat
from mismatch.io import read_parquet
from mismatch.joblog import job_log
from mismatch.world.corpus import pretraining_units
from mismatch.world.exposure import exposure_units
from mismatch.world.fictional import World
from mismatch.world.pretrain import (
    PretrainSettings,
    build_model,
    pretrain,
    save_model,
    write_loss_table,
)
from mismatch.world.tokenizer import load_tokenizer

with job_log(snakemake.log[0], snakemake.threads) as log:
    seed = int(snakemake.wildcards.w)
    corpus = snakemake.params.corpus
    world = World.from_facts(read_parquet(snakemake.input.facts))
    prompt = PromptFormat.from_config(snakemake.params.prompt)
    if "exposure" in snakemake.input.keys():  # the exposure world: one corpus for every model
        exposures = read_parquet(snakemake.input.exposure)
        units = exposure_units(
            world,
            exposures,
            exposures.drop_duplicates("entity").set_index("entity")["name_mentions"],
            prompt,
            qa_share=corpus["exposure"]["qa_share"],
            n_abstention_lines=corpus["n_abstention_lines"],
            seed=seed,
        )
        log(f"{len(units)} pretraining units (the world's one corpus)")
    else:
        truth = read_parquet(snakemake.input.truth)
        known = set(truth.loc[truth.truly_known, "question_id"])
        units = pretraining_units(
            world,
            known,
            prompt,
            n_paraphrases=corpus["n_paraphrases"],
            qa_lines_for_known_facts=corpus["qa_lines_for_known_facts"],
            n_abstention_lines=corpus["n_abstention_lines"],
            seed=seed,
        )
        log(f"{len(units)} pretraining units, {len(known)} known facts")
    settings = PretrainSettings.from_config(snakemake.params.pretrain)
    tokenizer = load_tokenizer(snakemake.input.tokenizer)
    model = build_model(settings, tokenizer, seed)
    losses = pretrain(model, tokenizer, units, settings, seed, log)
    save_model(model, tokenizer, snakemake.output.model)
    write_loss_table(losses, snakemake.output.loss)
