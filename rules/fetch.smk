# Hub models and the TriviaQA files, fetched once on the submit host (the only jobs that use the
# network) into the hf_home cache, and GGUF files converted once into the gguf_cache; each leaves
# a JSON pointer that the other jobs load from.
# The token is read at job time (HF_TOKEN or `hf auth login`), so public repositories need none.

HUB_MODELS = model_sources.models_with_pointer_rule(config["models"], "fetch_model")
GGUF_MODELS = model_sources.models_with_pointer_rule(config["models"], "convert_gguf")
TRIVIAQA = config["questions"]["triviaqa"]
FETCH_TRIVIAQA = cfg.fetch_rule(config) == "fetch_dataset"  # the question source's fetch hook


if HUB_MODELS:

    localrules:
        fetch_model,

    rule fetch_model:
        output:
            pointer=out("models/{model}.json"),
        log:
            out("logs/fetch_model/{model}.log"),
        benchmark:
            out("benchmarks/fetch_model/{model}.tsv")
        wildcard_constraints:
            model="|".join(HUB_MODELS),
        conda:
            "../envs/mismatch.yaml"
        resources:
            mem_mb=2000,
            runtime=240,
        params:
            code=code("fetch_model"),
            hub=lambda wildcards: config["models"][wildcards.model]["hub"],
            revision=lambda wildcards: config["models"][wildcards.model]["revision"],
            hf_home=config["hf_home"],
        script:
            "../scripts/fetch_model.py"


if FETCH_TRIVIAQA:

    localrules:
        fetch_dataset,

    rule fetch_dataset:
        output:
            pointer=out("datasets/trivia_qa.json"),
        log:
            out("logs/fetch_dataset.log"),
        benchmark:
            out("benchmarks/fetch_dataset.tsv")
        conda:
            "../envs/mismatch.yaml"
        resources:
            mem_mb=2000,
            runtime=60,
        params:
            code=code("fetch_dataset"),
            dataset=TRIVIAQA["dataset"],
            name=TRIVIAQA["name"],
            revision=TRIVIAQA["revision"],
            hf_home=config["hf_home"],
        script:
            "../scripts/fetch_dataset.py"


if GGUF_MODELS:

    localrules:
        convert_gguf,

    rule convert_gguf:
        output:
            pointer=out("models/{model}.json"),
        log:
            out("logs/convert_gguf/{model}.log"),
        benchmark:
            out("benchmarks/convert_gguf/{model}.tsv")
        wildcard_constraints:
            model="|".join(GGUF_MODELS),
        conda:
            "../envs/mismatch.yaml"
        resources:
            mem_mb=8000,
            runtime=30,
        params:
            code=code("convert_gguf"),
            gguf=lambda wildcards: config["models"][wildcards.model]["gguf"],
            dtype=lambda wildcards: config["models"][wildcards.model]["dtype"],
            cache=config["gguf_cache"],
        script:
            "../scripts/convert_gguf.py"
