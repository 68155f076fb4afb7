"""Sample the pool, test and format question sets of one seed from TriviaQA."""

from mismatch.io import write_parquet
from mismatch.joblog import job_log
from mismatch.questions.triviaqa import dataset_source, load_triviaqa, sample_question_sets

with job_log(snakemake.log[0]) as log:
    settings = snakemake.params.triviaqa
    seed = int(snakemake.wildcards.w)
    source = dataset_source(snakemake.input.dataset)
    splits = load_triviaqa(source["path"], settings["name"])
    sets, counts = sample_question_sets(
        splits["train"],
        splits["validation"],
        pool_size=settings["pool_size"],
        test_size=settings["test_size"],
        format_size=settings["format_size"],
        seed=seed,
    )
    log(f"{counts}")
    provenance = {"source": source, "seed": seed, "settings": settings, "counts": counts}
    for split, questions in sets.items():
        write_parquet(questions, snakemake.output[split], {**provenance, "split": split})
        log(f"{split}: {len(questions)} questions")
