"""`autograder similarity`: who copied from whom, for the teacher only (never graded again)."""

from __future__ import annotations

from pathlib import Path

import click

from autograder.cli.output import COURSE_HELP, course_or_fail, results_or_fail, table


@click.command("similarity")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--results", "results_path", type=click.Path(), default=None,
              help="a `grade` output folder or its gradebook.sqlite (default: ./results when there is one); "
                   "without PATHs its rows name the submissions compared")
@click.option("--course", "course_path", type=click.Path(), default=None, help=COURSE_HELP)
@click.option("--out", type=click.Path(), default=None,
              help="where similarity.csv, similarity.html and similarity.json go (default: the results folder, "
                   "else ./similarity)")
@click.option("--top", type=click.IntRange(1, 1000), default=None, help="pairs listed per exercise below the threshold")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=None, help="score from which a pair is flagged")
def similarity(paths, results_path, course_path, out, top, threshold):
    """Per exercise, the pairs of submissions whose own code (and course signals) are most alike,
    with the matching passages side by side: evidence to look at, not a verdict."""
    from autograder.export.report import write_similarity_page
    from autograder.export.similarity import JSON_NAME, plain, write_csv, write_json
    from autograder.similarity import THRESHOLD, TOP, compare_class
    from autograder.similarity.sources import from_paths, from_results

    course = course_or_fail(course_path)
    if results_path is None and Path("results").exists():
        results_path = "results"
    if results_path is None and not paths:
        raise click.UsageError("give submission PATHs or --results (a `grade` output folder)")
    results, base = results_or_fail(results_path) if results_path else ([], None)
    subs = from_paths(list(paths), course, results) if paths else from_results(results, course)
    threshold = THRESHOLD if threshold is None else threshold
    reports = compare_class(subs, course, TOP if top is None else top, threshold)
    data = plain(reports, threshold)
    folder = Path(out) if out else (base if base is not None else Path("similarity"))
    write_csv(data, folder / "similarity.csv")
    write_json(data, folder / JSON_NAME)
    page = write_similarity_page(data, folder / "similarity.html", course)
    rows = [[r.exercise, str(r.submissions), str(r.flagged), f"{r.pairs[0].score:.3f}" if r.pairs else "",
             f"{r.pairs[0].a.student} / {r.pairs[0].b.student}" if r.pairs else ""] for r in reports]
    click.echo(table(rows, ["exercise", "submissions", f"pairs >= {threshold:g}", "top score", "top pair"]))
    click.echo(f"{len(subs)} submission(s) compared; evidence to look at, not a verdict. Pairs: {page}, "
               f"{folder / 'similarity.csv'}")
