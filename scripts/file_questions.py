"""Check the user's pool, test and format question files and copy them into the study."""

from mismatch.io import write_parquet
from mismatch.joblog import job_log
from mismatch.questions.user_sets import check_disjoint, load_question_file

with job_log(snakemake.log[0]) as log:
    files = snakemake.params.files
    sets = {split: load_question_file(files[split]) for split in ("pool", "test", "format")}
    check_disjoint({files[split]: questions for split, questions in sets.items()})
    for split, questions in sets.items():
        write_parquet(questions, snakemake.output[split], {"source": files[split], "split": split})
        log(f"{split}: {len(questions)} questions from {files[split]}")
