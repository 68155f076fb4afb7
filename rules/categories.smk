# SliCK knowledge categories of a model's pool or test questions (knowledge_categories section);
# with knowledge_categories.enabled, the student's test categories are carried in its labels.


rule knowledge_categories:
    input:
        model=model_dir,
        questions="results/w{w}/questions/{split}.parquet",
        exemplars="results/w{w}/questions/format.parquet",
    output:
        categories="results/w{w}/categories/{model}/{split}.parquet",
    params:
        code=code("knowledge_categories"),
        slick=config["knowledge_categories"],
        prompt=config["prompt"],
        settings=lambda wildcards: cfg.answering_settings(config, wildcards.model),
    wildcard_constraints:
        split="pool|test",
    threads: config["threads"]
    log:
        "logs/w{w}/knowledge_categories/{model}/{split}.log",
    benchmark:
        "benchmarks/w{w}/knowledge_categories/{model}/{split}.tsv"
    resources:
        **model_resources("categories"),
    conda:
        "../envs/mismatch.yaml"
    script:
        "../scripts/knowledge_categories.py"
