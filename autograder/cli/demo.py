"""`autograder demo`: the main job on the bundled examples, end to end."""

from __future__ import annotations

from pathlib import Path

import click

from autograder.cli.course import bundled_course_or_fail
from autograder.cli.output import results_table


NEXT_STEPS = """
next, a course of your own (README.md, "Your own course"):
  mkdir my-course && cd my-course
  autograder new-exercise my_first_exercise    # course.yaml, a master notebook, checks, solution, test
  (edit exercises/my_first_exercise/my_first_exercise.ipynb, its checks.py and solutions/my_first_exercise.py)
  autograder verify                            # solutions full marks, blanks zero; uses ./course.yaml
  autograder build                             # dist/<id>/student/ is what students get
  autograder grade SUBMISSIONS... && autograder report"""


@click.command()
@click.option("--out", type=click.Path(), default="demo-output", show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option("--only", multiple=True, help="only these exercise ids (default: the whole course)")
def demo(out, workers, only):
    """Build the course and grade the bundled example submissions: the main job, end to end."""
    from autograder.demo import run_demo

    course = bundled_course_or_fail()
    unknown = set(only) - set(course.ids)
    if unknown:
        raise click.ClickException(f"unknown exercise(s) {sorted(unknown)}; the course has {course.ids}")
    out = Path(out)
    click.echo(f"building {len(only or course.exercises)} exercises into {out / 'dist'} and grading the examples ...")
    run = run_demo(course, out, workers, list(only) or None)
    for b in run.built:
        click.echo(f"  {b.exercise:24s} {b.student.parent.parent}/{{student,solution,autograder}}")
    click.echo(f"graded the example submissions in {run.submissions}:")
    click.echo(results_table(run.results))
    for r in run.results:
        if r.student == "mistaken":
            for c in r.checks:
                if c.hint:
                    click.echo(f"  hint for {r.exercise}/{c.name}: {c.hint}")
    click.echo(f"grades: {run.results_dir / 'grades.csv'}; one JSON per submission in {run.results_dir / 'results'}")
    click.echo(f"feedback per submission: {run.results_dir / 'feedback'}")
    click.echo(f"report for teachers (open in a browser): {run.report}")
    click.echo(NEXT_STEPS)
