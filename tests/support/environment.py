"""What a test needs from this machine (bubblewrap, chromium, root, ...): the test is skipped where
it is missing, and FAILED in CI (CI=true), so that a green CI means the test ran (.ci/run installs
what the tests need)."""

from __future__ import annotations

import pytest

from autograder.settings import settings


def bubblewrap_works() -> bool:
    from autograder.run import isolation

    return isolation.bwrap_variant() is not None


def missing_here(message: str, fix: str) -> None:
    """Skip a test whose prerequisite this machine lacks; in CI (CI=true) fail it instead, so that
    a green CI means the test ran, not that it was skipped (.ci/run installs what it needs)."""
    if settings().ci:
        pytest.fail(f"CI=true: this test cannot be skipped, but {message}; {fix}")
    pytest.skip(message)


def require_bubblewrap() -> None:
    """A test that needs the bubblewrap sandbox: skipped where it cannot start, failed in CI."""
    if not bubblewrap_works():
        missing_here("bubblewrap cannot start a sandbox on this machine", "install bubblewrap (.ci/run does)")
