"""`autograder grade`: submissions -> OUT/grades.csv, OUT/results/, the gradebook."""

from __future__ import annotations

from pathlib import Path

import click

from autograder.cli.output import COURSE_HELP, DEFAULT_WORKERS, course_or_fail, results_table
from autograder.export.safe_text import terminal_text
from autograder.record import Status


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--course", "course_path", type=click.Path(), default=None, help=COURSE_HELP)
@click.option("--out", type=click.Path(), default="results", show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=DEFAULT_WORKERS, show_default=True,
              help="submissions graded in parallel (a warm worker holds what its exercise imports: about 100 MiB "
                   "with numpy, 1 GiB with torch and Keras)")
@click.option("--roster", type=click.Path(exists=True), default=None, help="roster CSV mapping file names to students")
@click.option("--handed-in", "handed_in", type=click.Path(exists=True, dir_okay=False), default=None,
              help="CSV of hand-in times (a file column and a time column, ISO 8601), e.g. from the LMS: decides "
                   "which hand-in is the latest, over the times the files carry")
@click.option("--regrade", is_flag=True, help="grade again submissions the gradebook already has")
@click.option("--quiet", is_flag=True, help="no progress bar and no table")
@click.option("--cluster", default=None, metavar="ADDRESS",
              help="run the notebooks on Dask workers: tcp://HOST:8786 (a running scheduler), local:N "
                   "(N worker processes here) or slurm (course.yaml `cluster:`); --workers: submissions in flight")
def grade(paths, course_path, out, workers, roster, handed_in, regrade, quiet, cluster):
    """Grade notebooks, Otter export zips and folders of them into OUT/grades.csv and OUT/results/."""
    from autograder.build.variants import VariantError
    from autograder.export.derived import OutputError
    from autograder.handout import HandoutError
    from autograder.intake import Roster, RosterError
    from autograder.intake.files import MissingInput
    from autograder.intake.handed_in import HandInTimes, HandInTimesError
    from autograder.batch import grade_batch

    course = course_or_fail(course_path)
    try:
        roster_obj = Roster.load(roster) if roster else None
        times = HandInTimes.load(handed_in) if handed_in else None
        if cluster:  # Dask is imported only here: grading on this machine does not need it
            from autograder.cluster.address import ClusterError
            from autograder.cluster.batch import grade_on_cluster
            from autograder.pipeline import BatchStopped

            given = click.get_current_context().get_parameter_source("workers") != click.core.ParameterSource.DEFAULT
            try:
                results = grade_on_cluster(cluster, list(paths), course, Path(out), workers if given else None,
                                           roster=roster_obj, regrade=regrade, progress=not quiet, handed_in=times)
            except (ClusterError, BatchStopped) as exc:
                raise click.ClickException(str(exc)) from None
        else:
            results = grade_batch(list(paths), course, Path(out), workers=workers, roster=roster_obj,
                                  regrade=regrade, progress=not quiet, handed_in=times)
    except (RosterError, HandInTimesError, VariantError, HandoutError, MissingInput, OutputError) as exc:
        raise click.ClickException(terminal_text(exc)) from None
    if not quiet:
        click.echo(results_table(results))
    click.echo(terminal_text(f"{len(results)} submission(s) graded into {Path(out) / 'grades.csv'}"))
    strangers = sum(r.status == Status.UNKNOWN_EXERCISE for r in results)
    if strangers:  # the usual cause is the wrong course, not the students
        click.echo(f"{strangers} submission(s) are of no exercise of the course {course.name!r} ({course.path}); "
                   "if that is the wrong course, run from the course's folder or give --course", err=True)
