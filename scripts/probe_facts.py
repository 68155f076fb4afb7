"""Every knowledge probe of one exposure-world model on each pool and test fact, beside the
held-out-paraphrase reference and the fact's exposure count."""

import pandas as pd

from mismatch.answers.answering import choose_exemplars
from mismatch.answers.prompting import PromptFormat, k_shot_prompts
from mismatch.io import read_parquet, write_parquet
from mismatch.joblog import job_log
from mismatch.knowing.candidates import gold_probability
from mismatch.knowing.probes import fact_probes
from mismatch.models.loading import load_model
from mismatch.world.fictional import ATTRIBUTES

with job_log(snakemake.log[0], snakemake.threads) as log:
    inputs, params = snakemake.input, snakemake.params
    questions = pd.concat([read_parquet(inputs.pool), read_parquet(inputs.test)], ignore_index=True)
    answers = pd.concat(
        [read_parquet(inputs.pool_answers), read_parquet(inputs.test_answers)], ignore_index=True
    )
    prompt = PromptFormat.from_config(params.prompt)
    exemplars = choose_exemplars(
        read_parquet(inputs.exemplars), params.prompt["n_exemplars"], params.prompt["exemplar_seed"]
    )
    model, tokenizer = load_model(inputs.model, device="cpu")
    shares = gold_probability(
        model,
        tokenizer,
        prompt,
        k_shot_prompts(prompt, questions["question"], exemplars),
        [ATTRIBUTES[a].values for a in questions["attribute"]],
        [list(a)[0] for a in questions["answers"]],
        batch_size=params.batch_size,
    )
    probes = fact_probes(
        read_parquet(inputs.exposure),
        answers,
        read_parquet(inputs.truth),
        pd.Series(shares, index=questions["question_id"]),
        read_parquet(inputs.categories) if inputs.categories else None,
    )
    write_parquet(probes, snakemake.output.probes, {"model": snakemake.wildcards.model})
    log(f"{len(probes)} facts probed; mean gold-value probability {shares.mean():.3f}")
