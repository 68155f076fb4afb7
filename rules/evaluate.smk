# Each fine-tuned student answers the unseen test questions; each answer is labelled.


# Unless finetune.job_per is seed, rule finetune_and_label (rules/finetune.smk) writes the labels.
if JOB_PER == "seed":

    rule label_student:
        input:
            adapter=out("w{w}/students/{student}/{recipe}/ft{seed}/adapter"),
            base=student_dir,
            questions=out("w{w}/questions/test.parquet"),
            base_answers=answers_file("{w}", "{student}", "test"),
            categories=(
                out("w{w}/categories/{student}/test.parquet")
                if config["knowledge_categories"]["enabled"]
                else []
            ),
            knows=knows_file("{w}", "{student}", "test"),
        output:
            labels=out("w{w}/labels/{student}/{recipe}/ft{seed}.parquet"),
        log:
            out("logs/w{w}/label_student/{student}/{recipe}/ft{seed}.log"),
        benchmark:
            out("benchmarks/w{w}/label_student/{student}/{recipe}/ft{seed}.tsv")
        conda:
            "../envs/mismatch.yaml"
        threads: config["threads"]
        resources:
            **model_resources("label", "student"),
        params:
            code=code("label_student"),
            prompt=lambda wildcards: cfg.model_prompt(config, wildcards.student),
            settings=lambda wildcards: cfg.answering_settings(config, wildcards.student),
        script:
            "../scripts/label_student.py"
