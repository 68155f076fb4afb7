"""Re-grade a finished run's label files with this checkout's grading code and report whether
every label is unchanged (e.g. after an edit to mismatch/answers/grading.py).

Usage: python tools/regrade_labels.py RESULTS_DIR     (exit status 1 if any label file differs)
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mismatch.answers.answering import graders_of  # noqa: E402
from mismatch.answers.prompting import PromptFormat  # noqa: E402
from mismatch.io import read_metadata, read_parquet  # noqa: E402
from mismatch.questions.fact_sets import fact_vocabulary  # noqa: E402
from mismatch.training.labels import LABEL_COLUMNS, label_answers, truly_known  # noqa: E402


def regrade(results: Path) -> tuple[int, int, list[str]]:
    """(label files, answers, paths whose labels differ) for every world's label files."""
    files = sorted(results.glob("w*/labels/*/*/ft*.parquet"))
    answers, differ = 0, []
    for path in files:
        world = path.relative_to(results).parts[0]
        student = path.relative_to(results).parts[2]
        stored = read_parquet(path)
        questions = read_parquet(results / world / "questions" / "test.parquet")
        aliases = questions.set_index("question_id")["answers"]
        base = read_parquet(results / world / "answers" / student / "test.parquet")
        table = stored[["question_id", "prediction", "stopped", "answer"]].assign(
            answers=[list(aliases.loc[q]) for q in stored["question_id"]]
        )
        metadata = read_metadata(path)
        rule = metadata["settings"]["grading"]
        base_path = results / world / "answers" / student / "test.parquet"
        prompt = PromptFormat.from_config(read_metadata(base_path)["prompt"])  # plain or chat
        truth = results / world / "world" / "truth" / f"{student}.parquet"
        basis = metadata.get("knowledge_basis", "measured")
        knows = truly_known(read_parquet(truth)) if basis == "truth" else None
        vocabulary = fact_vocabulary(metadata["settings"].get("vocabulary"))  # a fact study
        asked = questions.set_index("question_id").loc[stored["question_id"]].reset_index()
        graders = graders_of(asked, vocabulary)
        new = label_answers(table, base, prompt, grading_rule=rule, knows=knows, graders=graders)
        if not new.equals(stored[list(LABEL_COLUMNS)]):
            differ.append(str(path))
        answers += len(stored)
    return len(files), answers, differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", type=Path, help="a study's folder (results/<study>)")
    n_files, n_answers, differ = regrade(parser.parse_args().study)
    print(f"{n_files} label files, {n_answers} answers re-graded; {len(differ)} files differ")
    for path in differ:
        print(f"  differs: {path}")
    sys.exit(1 if differ or not n_files else 0)


if __name__ == "__main__":
    main()
