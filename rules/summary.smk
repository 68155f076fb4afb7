# The summary stage, in three kinds of rules: gather_labels collects every labelled answer and what
# the analysis reads beside it (results/<study>/summary/inputs/); analyse computes every number as
# tables (results/<study>/summary/*.csv); render_summary and plot_figures only render those tables
# (editing prose reruns only them).


localrules:
    gather_labels,
    analyse,
    render_summary,
    plot_figures,


rule gather_labels:
    input:
        **GATHERED,
    output:
        **({"probes": f"{INPUTS_DIR}/probes.parquet"} if EXPOSURE else {}),
        answers=f"{INPUTS_DIR}/answers.parquet",
        labels=f"{INPUTS_DIR}/labels.parquet",
        questions=f"{INPUTS_DIR}/questions.parquet",
        recipes=f"{INPUTS_DIR}/recipes.parquet",
        losses=f"{INPUTS_DIR}/losses.parquet",
        knowledge=f"{SUMMARY}/knowledge.csv",
        preconditions=f"{SUMMARY}/preconditions.json",
    log:
        out("logs/gather_labels.log"),
    benchmark:
        out("benchmarks/gather_labels.tsv")
    conda:
        "../envs/mismatch.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        **cfg.vocabulary_setting(config),
        code=code("gather_labels"),
        patterns=PATTERNS,
        grading=config["answering"]["grading"],
        prompt=config["prompt"],
        cluster=config["analysis"]["cluster"],
        question_sets=PATHS.question_sets(WORLD_SEEDS),
    script:
        "../scripts/gather_labels.py"


rule analyse:
    input:
        **({"probes": f"{INPUTS_DIR}/probes.parquet"} if EXPOSURE else {}),
        answers=f"{INPUTS_DIR}/answers.parquet",
        labels=f"{INPUTS_DIR}/labels.parquet",
        questions=f"{INPUTS_DIR}/questions.parquet",
        recipes=f"{INPUTS_DIR}/recipes.parquet",
        losses=f"{INPUTS_DIR}/losses.parquet",
        knowledge=f"{SUMMARY}/knowledge.csv",
    output:
        **reported(analysis_table_files()),
        labels=f"{SUMMARY}/labels.parquet",
        headline=f"{SUMMARY}/headline.json",
        environment=f"{SUMMARY}/environment.json",
    log:
        out("logs/analyse.log"),
    benchmark:
        out("benchmarks/analyse.tsv")
    conda:
        "../envs/mismatch.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=code("analyse"),
        recipes=config["recipes"],
        grading=config["answering"]["grading"],
        analysis=config["analysis"],
        n_boot=config["summary"]["n_boot"],
        threads=config["threads"],
    script:
        "../scripts/analyse.py"


rule render_summary:
    input:
        **analysis_table_files(),
        headline=f"{SUMMARY}/headline.json",
        knowledge=f"{SUMMARY}/knowledge.csv",
        preconditions=f"{SUMMARY}/preconditions.json",
    output:
        markdown=f"{SUMMARY}/summary.md",
        headline_rst=f"{SUMMARY}/headline.rst",
    log:
        out("logs/render_summary.log"),
    benchmark:
        out("benchmarks/render_summary.tsv")
    conda:
        "../envs/mismatch.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("render_summary"),
        title=config["summary"]["title"],
        cluster_unit=question_sources.cluster_unit(config),
    script:
        "../scripts/render_summary.py"


rule plot_figures:
    input:
        **analysis_outputs.figure_table_files(SUMMARY, DESIGN),
    output:
        **reported(figure_files()),
    log:
        out("logs/plot_figures.log"),
    benchmark:
        out("benchmarks/plot_figures.tsv")
    conda:
        "../envs/mismatch.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=code("plot_figures"),
    script:
        "../scripts/plot_figures.py"
