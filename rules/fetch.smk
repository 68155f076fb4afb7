# Hub models and the TriviaQA files, fetched once on the submit host (the only jobs that use the
# network) into the hf_home cache; each leaves a JSON pointer that the other jobs load from.
# The token is read at job time (HF_TOKEN or `hf auth login`), so public repositories need none.

HUB_MODELS = [name for name, spec in config["models"].items() if "hub" in spec]
TRIVIAQA = config["questions"]["triviaqa"]
FETCH_TRIVIAQA = config["questions"]["source"] == "triviaqa" and not TRIVIAQA["local_dir"]


if HUB_MODELS:

    localrules:
        fetch_model,

    rule fetch_model:
        input:
        output:
            pointer="results/models/{model}.json",
        params:
            code=code("fetch_model"),
            hub=lambda wildcards: config["models"][wildcards.model]["hub"],
            revision=lambda wildcards: config["models"][wildcards.model].get("revision"),
            hf_home=config["hf_home"],
        wildcard_constraints:
            model="|".join(HUB_MODELS),
        log:
            "logs/fetch_model/{model}.log",
        benchmark:
            "benchmarks/fetch_model/{model}.tsv"
        resources:
            mem_mb=2000,
            runtime=240,
        conda:
            "../envs/mismatch.yaml"
        script:
            "../scripts/fetch_model.py"


if FETCH_TRIVIAQA:

    localrules:
        fetch_dataset,

    rule fetch_dataset:
        input:
        output:
            pointer="results/datasets/trivia_qa.json",
        params:
            code=code("fetch_dataset"),
            dataset=TRIVIAQA["dataset"],
            name=TRIVIAQA["name"],
            revision=TRIVIAQA["revision"],
            hf_home=config["hf_home"],
        log:
            "logs/fetch_dataset.log",
        benchmark:
            "benchmarks/fetch_dataset.tsv"
        resources:
            mem_mb=2000,
            runtime=60,
        conda:
            "../envs/mismatch.yaml"
        script:
            "../scripts/fetch_dataset.py"
