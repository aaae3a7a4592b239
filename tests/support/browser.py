"""Headless Chromium for the tests that open a page: the system's chromium (never `playwright
install`), started as HELPERS.md says, or the test skipped (failed in CI) where it is missing."""

from __future__ import annotations

import contextlib
import shutil

from support.environment import missing_here

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@contextlib.contextmanager
def headless_chromium():
    """A playwright Browser on the system's chromium, closed afterwards."""
    if CHROMIUM is None:
        missing_here("chromium is not installed", "apt-get install chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],  # playwright gives it a fresh profile
        )
        try:
            yield browser
        finally:
            browser.close()
