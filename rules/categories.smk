# SliCK knowledge categories of a model's pool or test questions (knowledge_categories section);
# with knowledge_categories.enabled, the student's test categories are carried in its labels.


rule knowledge_categories:
    input:
        model=model_dir,
        questions="results/w{w}/questions/{split}.parquet",
        exemplars="results/w{w}/questions/format.parquet",
    output:
        categories="results/w{w}/categories/{model}/{split}.parquet",
    log:
        "logs/w{w}/knowledge_categories/{model}/{split}.log",
    benchmark:
        "benchmarks/w{w}/knowledge_categories/{model}/{split}.tsv"
    wildcard_constraints:
        split="pool|test",
    conda:
        "../envs/mismatch.yaml"
    threads: config["threads"]
    resources:
        **model_resources("categories"),
    params:
        code=code("knowledge_categories"),
        slick=config["knowledge_categories"],
        prompt=config["prompt"],
        settings=lambda wildcards: cfg.answering_settings(config, wildcards.model),
    script:
        "../scripts/knowledge_categories.py"
