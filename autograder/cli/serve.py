"""`autograder serve`: the LTI 1.3 tool and grading service (autograder/serve/)."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import click

from autograder.cli.output import COURSE_HELP, DEFAULT_WORKERS, course_or_fail


@click.command()
@click.option("--course", "course_path", type=click.Path(), default=None, help=COURSE_HELP)
@click.option("--data", type=click.Path(), default="serve-data", show_default=True,
              help="the service's folder: its gradebook, uploads, state and built notebooks")
@click.option("--host", default="127.0.0.1", show_default=True, help="listen here (behind your HTTPS reverse proxy)")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=DEFAULT_WORKERS, show_default=True,
              help="warm workers kept resident for pen-and-paper hand-ins")
@click.option("--proxy", is_flag=True, help="trust the reverse proxy's X-Forwarded-* headers")
@click.option("--cluster", default=None, metavar="ADDRESS",
              help="run the notebooks on Dask workers (tcp://HOST:8786, local:N or slurm, as `grade --cluster`)")
@click.option("--links", "links_roster", type=click.Path(exists=True), default=None,
              help="standalone (no LMS): write DATA/links.csv, a signed personal link per roster student")
@click.option("--new-key", type=click.Path(), default=None,
              help="write a new RSA private key for lms.lti.private_key_file to this file, then exit")
@click.option("--demo", is_flag=True, help="start the tool with a local stand-in LMS and print the URLs to open")
@click.option("--for-seconds", type=float, default=None, help="stop by itself after this many seconds")
def serve(course_path, data, host, port, workers, proxy, cluster, links_roster, new_key, demo, for_seconds):
    """Serve the course to an LMS (LTI 1.3) or standalone: hand-ins graded at once, scores passed back."""
    from autograder.serve.security import ToolKeyError, sign_link, write_new_private_key

    if new_key:
        try:
            path = write_new_private_key(new_key)
        except FileExistsError:
            raise click.ClickException(f"{new_key} exists already; a key is never overwritten") from None
        click.echo(f"wrote {path}: name it in course.yaml as lms.lti.private_key_file")
        return
    course = course_or_fail(course_path)
    data = Path(data)
    if demo:
        _demo(course, data, port, workers, for_seconds)
        return
    from autograder.serve.server import Server, Service

    with contextlib.ExitStack() as stack:
        runner = None
        if cluster:  # Dask is imported only here
            from autograder.cluster.address import ClusterError
            from autograder.cluster.batch import IN_FLIGHT, cluster_runner, device_class_for_batch

            try:
                runner, threads, gpu = stack.enter_context(cluster_runner(cluster, course))
            except ClusterError as exc:
                raise click.ClickException(str(exc)) from None
            stack.enter_context(device_class_for_batch("gpu" if gpu else "cpu"))
            workers = max(workers, IN_FLIGHT * threads)
        try:
            service = Service(course, data, workers, runner=runner)
        except ToolKeyError as exc:
            raise click.ClickException(str(exc)) from None
        server = Server(service, host=host, port=port, proxy=proxy)
        public = course.lms.lti.tool_url if course.lms.lti else server.url
        if links_roster:
            _write_links(links_roster, data, public, service.link_key, sign_link)
        if course.lms.lti is None:
            click.echo(f"teacher's link: {public}/s/{sign_link(service.link_key, 'instructor', 'teacher')}")
        click.echo(f"serving {course.name or 'the course'} on {server.url} (public address {public})")
        _run(server, for_seconds)


def _write_links(roster_path, data: Path, public: str, key: bytes, sign_link) -> None:
    import csv

    from autograder.intake import Roster, RosterError
    from autograder.serve.security import cell

    try:
        roster = Roster.load(roster_path)
    except RosterError as exc:
        raise click.ClickException(str(exc)) from None
    out = data / "links.csv"
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "link"])
        for student in roster.students:
            writer.writerow([cell(student), f"{public}/s/{sign_link(key, 'learner', student)}"])
    out.chmod(0o600)
    click.echo(f"wrote {out}: one personal link per student (keep it private: a link is a login)")


def _serve_until(stop, for_seconds) -> None:
    """Wait for Ctrl-C (or `for_seconds`, in tests and benchmarks), then call `stop`."""
    try:
        deadline = time.monotonic() + for_seconds if for_seconds else None
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        stop()


def _run(server, for_seconds) -> None:
    server.start()
    _serve_until(server.stop, for_seconds)


def _demo(course, data: Path, port: int, workers: int, for_seconds) -> None:
    from autograder.serve.demo import free_port, place_exercises, start_pair

    pair = start_pair(course, data, workers, tool_port=port or free_port())
    links = place_exercises(pair, course)
    first = next(iter(links))
    click.echo(f"stand-in LMS on {pair.lms.url}, the tool on {pair.tool.url} (data in {data})")
    click.echo(f"open this page:           {pair.lms.url}/  (every exercise, as a student or the teacher)")
    click.echo(f"a student opens {first}:  {pair.lms.start_url('alice', 'learner', links[first])}")
    click.echo(f"the teacher's page:       {pair.lms.start_url('teacher', 'instructor', links[first])}")
    click.echo(f"Deep Linking (teacher):   {pair.lms.start_url('teacher', 'instructor', 'deeplink')}")
    click.echo(f"the LMS's gradebook:      {pair.lms.url}/gradebook")
    _serve_until(pair.stop, for_seconds)
