# The summary stage computes every number of the study as tables under results/summary/;
# the figures and the markdown report only render those tables.


localrules:
    summarize,
    plot_figures,


SUMMARY = out("summary")


rule summarize:
    input:
        labels=all_labels(),
        recipes=all_sets(),
        knowledge=all_knowledge(),
        checks=all_checks(),
        sweep_checks=all_sweep_checks(),
        base=base_test_answers(),
        truth=student_truths(),
        questions=all_test_questions(),
        losses=all_losses(),
        probes=all_probes(),
    output:
        **(
            {
                "probe_auroc": report(
                    f"{SUMMARY}/probe_auroc.csv",
                    caption="../report/probe_auroc.rst",
                    category="5. Knowledge probes",
                ),
                "recall_by_exposure": f"{SUMMARY}/recall_by_exposure.csv",
                "gap_points": report(
                    f"{SUMMARY}/gap_points.csv",
                    caption="../report/gap.rst",
                    category="6. Knowledge gap and fits",
                ),
                "gap_fit": report(
                    f"{SUMMARY}/gap_fit.csv",
                    caption="../report/gap.rst",
                    category="6. Knowledge gap and fits",
                ),
            }
            if EXPOSURE
            else {}
        ),
        **(
            {
                "training_length": report(
                    f"{SUMMARY}/training_length.csv",
                    caption="../report/training_length.rst",
                    category="6. Knowledge gap and fits",
                )
            }
            if EARLY
            else {}
        ),
        **(
            {
                "gekhman_points": f"{SUMMARY}/gekhman_points.csv",
                "gekhman_fit": report(
                    f"{SUMMARY}/gekhman_fit.csv",
                    caption="../report/gekhman_fit.rst",
                    category="6. Knowledge gap and fits",
                ),
            }
            if CATEGORY_SETS
            else {}
        ),
        table=report(
            f"{SUMMARY}/summary.csv",
            caption="../report/summary.rst",
            category="4. Summary table",
        ),
        contrasts=report(
            f"{SUMMARY}/contrasts.csv",
            caption="../report/contrasts.rst",
            category="4. Summary table",
        ),
        robustness=report(
            f"{SUMMARY}/robustness.csv",
            caption="../report/robustness.rst",
            category="4. Summary table",
        ),
        per_world=f"{SUMMARY}/per_world.csv",
        mcnemar=f"{SUMMARY}/mcnemar.csv",
        dose_response=f"{SUMMARY}/dose_response.csv",
        sweep_levels=f"{SUMMARY}/sweep_levels.csv",
        environment=f"{SUMMARY}/environment.json",
        by_knowledge=f"{SUMMARY}/wrong_by_knowledge.csv",
        losses=f"{SUMMARY}/losses.csv",
        knowledge=f"{SUMMARY}/knowledge.csv",
        preconditions=f"{SUMMARY}/preconditions.json",
        headline=f"{SUMMARY}/headline.json",
        headline_rst=f"{SUMMARY}/headline.rst",
        markdown=f"{SUMMARY}/summary.md",
        labels=f"{SUMMARY}/labels.parquet",
        recipes=f"{SUMMARY}/recipes.csv",
    log:
        out("logs/summarize.log"),
    benchmark:
        out("benchmarks/summarize.tsv")
    conda:
        "../envs/mismatch.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=code("summarize"),
        patterns=PATTERNS,
        recipes=config["recipes"],
        grading=config["answering"]["grading"],
        prompt=config["prompt"],
        analysis=config["analysis"],
        n_boot=config["summary"]["n_boot"],
        title=config["summary"]["title"],
        threads=config["threads"],
    script:
        "../scripts/summarize.py"


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
