# Fine-tuning sets from a source model's pool answers, and LoRA students trained on them.


localrules:
    finetuning_set,


rule finetuning_set:
    input:
        unpack(recipe_answers),
        check="results/w{w}/checks/{student}.json",
        code=code("recipes"),
    output:
        recipe="results/w{w}/sets/{student}/{recipe}.parquet",
    params:
        recipe=lambda wildcards: config["recipes"][wildcards.recipe],
        size=config["finetune_set_size"],
    log:
        "logs/w{w}/finetuning_set/{student}/{recipe}.log",
    benchmark:
        "benchmarks/w{w}/finetuning_set/{student}/{recipe}.tsv"
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/mismatch.yaml"
    script:
        "../scripts/finetuning_set.py"


# finetune.job_per: student (one job per world and student) or recipe (one per world, student
# and recipe) fine-tunes and labels all its (recipe, seed) units in one process; seed runs
# finetune_student here and label_student (rules/evaluate.smk) per seed.
if JOB_PER != "seed":
    GROUP = "{student}" if JOB_PER == "student" else "{student}/{recipe}"

    rule finetune_and_label:
        input:
            recipes=unit_recipes,
            base=student_dir,
            questions="results/w{w}/questions/test.parquet",
            base_answers="results/w{w}/answers/{student}/test.parquet",
            categories=(
                "results/w{w}/categories/{student}/test.parquet"
                if config["knowledge_categories"]["enabled"]
                else []
            ),
            code=code("student_jobs"),
        output:
            adapters=[
                directory(p)
                for p in unit_paths("students/{student}/{recipe}/ft{seed}/adapter")
            ],
            losses=unit_paths("students/{student}/{recipe}/ft{seed}/loss.tsv"),
            labels=unit_paths("labels/{student}/{recipe}/ft{seed}.parquet"),
        params:
            units=lambda wildcards: [
                (getattr(wildcards, "recipe", recipe), seed) for recipe, seed in job_units()
            ],
            settings=lambda wildcards: cfg.finetune_settings(config, wildcards.student),
            answering=lambda wildcards: cfg.answering_settings(config, wildcards.student),
            prompt=config["prompt"],
        threads: config["threads"]
        log:
            f"logs/w{{w}}/finetune_and_label/{GROUP}.log",
        benchmark:
            f"benchmarks/w{{w}}/finetune_and_label/{GROUP}.tsv"
        resources:
            **grouped_seed_resources(),
        conda:
            "../envs/mismatch.yaml"
        script:
            "../scripts/finetune_and_label.py"

else:

    rule finetune_student:
        input:
            recipe="results/w{w}/sets/{student}/{recipe}.parquet",
            base=student_dir,
            code=code("finetune"),
        output:
            adapter=directory("results/w{w}/students/{student}/{recipe}/ft{seed}/adapter"),
            loss="results/w{w}/students/{student}/{recipe}/ft{seed}/loss.tsv",
        params:
            settings=lambda wildcards: cfg.finetune_settings(config, wildcards.student),
            prompt=config["prompt"],
        threads: config["threads"]
        log:
            "logs/w{w}/finetune_student/{student}/{recipe}/ft{seed}.log",
        benchmark:
            "benchmarks/w{w}/finetune_student/{student}/{recipe}/ft{seed}.tsv"
        resources:
            **model_resources("finetune", "student"),
        conda:
            "../envs/mismatch.yaml"
        script:
            "../scripts/finetune_student.py"
