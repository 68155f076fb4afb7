# Question sets from TriviaQA (a fetched or local copy), the user's own files, or facts (packages or
# the user's fact table); the synthetic world's are written by rules/world.smk. Same outputs and
# schema either way. The study's question source (mismatch/questions/sources.py) names the rule.

if QUESTIONS.rule == "triviaqa_questions":

    localrules:
        triviaqa_questions,

    rule triviaqa_questions:
        input:
            dataset=config["questions"]["triviaqa"]["local_dir"] or out("datasets/trivia_qa.json"),
        output:
            pool=out("w{w}/questions/pool.parquet"),
            test=out("w{w}/questions/test.parquet"),
            format=out("w{w}/questions/format.parquet"),
        log:
            out("logs/w{w}/triviaqa_questions.log"),
        benchmark:
            out("benchmarks/w{w}/triviaqa_questions.tsv")
        conda:
            "../envs/mismatch.yaml"
        resources:
            mem_mb=8000,
            runtime=30,
        params:
            code=code("triviaqa_questions"),
            triviaqa=config["questions"]["triviaqa"],
        script:
            "../scripts/triviaqa_questions.py"


if QUESTIONS.rule == "file_questions":

    localrules:
        file_questions,

    rule file_questions:
        input:
            **{split: config["questions"]["files"][split] for split in SPLITS},
        output:
            pool=out("w{w}/questions/pool.parquet"),
            test=out("w{w}/questions/test.parquet"),
            format=out("w{w}/questions/format.parquet"),
        log:
            out("logs/w{w}/file_questions.log"),
        benchmark:
            out("benchmarks/w{w}/file_questions.tsv")
        conda:
            "../envs/mismatch.yaml"
        resources:
            mem_mb=4000,
            runtime=10,
        params:
            code=code("file_questions"),
            files=config["questions"]["files"],
        script:
            "../scripts/file_questions.py"


if QUESTIONS.rule == "fact_questions":

    localrules:
        fact_questions,

    rule fact_questions:
        input:
            **(
                {"table": config["questions"]["facts"]["table"]}
                if config["questions"]["facts"]["table"]
                else {}
            ),
        output:
            pool=out("w{w}/questions/pool.parquet"),
            test=out("w{w}/questions/test.parquet"),
            format=out("w{w}/questions/format.parquet"),
        log:
            out("logs/w{w}/fact_questions.log"),
        benchmark:
            out("benchmarks/w{w}/fact_questions.tsv")
        conda:
            "../envs/mismatch.yaml"
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            code=code("fact_questions"),
            facts=config["questions"]["facts"],
        script:
            "../scripts/fact_questions.py"
