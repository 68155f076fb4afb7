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
        labels=all_labels(),
        recipes=all_sets(),
        knowledge=all_knowledge(),
        checks=all_checks(),
        sweep_checks=all_sweep_checks(),
        base=base_test_answers(),
        knows=all_knows(),
        questions=all_test_questions(),
        losses=all_losses(),
        probes=all_probes(),
        answers=all_base_answers(),
        question_sets=list(all_question_sets().values()),
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
        question_sets=all_question_sets(),
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
        **(
            {
                "recall_by_exposure": f"{SUMMARY}/recall_by_exposure.csv",
                "gap_points": f"{SUMMARY}/gap_points.csv",
                "gap_fit": f"{SUMMARY}/gap_fit.csv",
            }
            if EXPOSURE
            else {}
        ),
        table=f"{SUMMARY}/summary.csv",
        by_knowledge=f"{SUMMARY}/wrong_by_knowledge.csv",
        per_world=f"{SUMMARY}/per_world.csv",
        dose_response=f"{SUMMARY}/dose_response.csv",
        sweep_levels=f"{SUMMARY}/sweep_levels.csv",
        recipes=f"{SUMMARY}/recipes.csv",
        losses=f"{SUMMARY}/losses.csv",
    output:
        **(
            {
                "recall_by_exposure": report(
                    f"{FIGURES}/recall_by_exposure.png",
                    caption="../report/recall_by_exposure.rst",
                    category="5. Knowledge probes",
                ),
                "effect_by_gap": report(
                    f"{FIGURES}/effect_by_gap.png",
                    caption="../report/effect_by_gap.rst",
                    category="6. Knowledge gap and fits",
                ),
            }
            if EXPOSURE
            else {}
        ),
        **{
            f"dose_{sweep}": report(
                f"{FIGURES}/dose_response_{sweep}.png",
                caption=f"../report/dose_response_{sweep}.rst",
                category="2. Dose-response",
            )
            for sweep in SWEEPS
        },
        outcomes=report(
            f"{FIGURES}/outcomes.png",
            caption="../report/outcomes.rst",
            category="1. Outcomes",
        ),
        by_knowledge=report(
            f"{FIGURES}/wrong_by_knowledge.png",
            caption="../report/wrong_by_knowledge.rst",
            category="1. Outcomes",
        ),
        forest=report(
            f"{FIGURES}/forest.png",
            caption="../report/forest.rst",
            category="1. Outcomes",
        ),
        losses=report(
            f"{FIGURES}/loss_curves.png",
            caption="../report/loss_curves.rst",
            category="3. Training",
        ),
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
