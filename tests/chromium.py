"""Debian's Chromium for the browser tests, driven by Playwright; nothing is downloaded.

``make test`` installs the ``chromium`` package when it runs as root with apt-get. Without
it a browser test module is skipped, except under CI, where it fails.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def skip_module_without_chromium() -> None:
    """Skip the calling test module when Chromium is missing (not under CI: there it must be installed)."""
    if not CHROMIUM.exists() and not os.environ.get("CI"):
        pytest.skip(
            f"{CHROMIUM} is missing (Debian's chromium package; `make test` installs it as root)",
            allow_module_level=True,
        )


@contextlib.contextmanager
def chromium_browser() -> Iterator[Any]:
    """One headless Chromium; a test failure under CI when it is not installed."""
    if not CHROMIUM.exists():  # only under CI: elsewhere the module was skipped
        pytest.fail(
            f"{CHROMIUM} is missing under CI: the browser tests cannot run. `make test` installs Debian's chromium "
            "package when it runs as root with apt-get; install it (apt-get install chromium) on this machine.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
