"""Fixtures shared by every part's tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """Where the real (uncommitted) data lives: $MOVIEMOTION_SHARED_DATA or ../shared/data."""
    env = os.environ.get("MOVIEMOTION_SHARED_DATA")
    return Path(env) if env else (REPO.parent / "shared" / "data")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared data folder, or skip the test when it is absent."""
    d = shared_data_dir()
    if not d.is_dir():
        pytest.skip(f"shared data not found at {d}")
    return d


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a headless-capable Chromium, or skip."""
    p = find_chromium()
    if p is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return p


class Browser:
    """Headless Chromium for tests: ``dom, errors = browser.load(path)``."""

    def __init__(self, binary: str, workdir: Path):
        self.binary = binary
        self.workdir = workdir

    def load(self, html: Path, wait_ms: int = 4000) -> tuple[str, list[str]]:
        """Rendered DOM and the console errors / uncaught exceptions of the page."""
        dom, log = chromium_load(self.binary, html, self.workdir, wait_ms)
        return dom, console_errors(log)


@pytest.fixture
def browser(chromium: str, tmp_path: Path) -> Browser:
    return Browser(chromium, tmp_path)


def chromium_load(chromium: str, html: Path, tmp_path: Path, wait_ms: int = 4000) -> tuple[str, str]:
    """Load ``html`` in headless Chromium; return (rendered DOM, browser log).

    The log carries the page's console messages (``CONSOLE`` lines) and uncaught errors.
    """
    profile = tmp_path / "chromium-profile"
    cmd = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--enable-logging=stderr", "--v=0", f"--user-data-dir={profile}",
        f"--virtual-time-budget={wait_ms}", "--dump-dom", html.resolve().as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return proc.stdout, proc.stderr


def console_errors(log: str) -> list[str]:
    """Console errors and uncaught exceptions in a Chromium log."""
    bad = []
    for line in log.splitlines():
        if "CONSOLE" in line and ("Uncaught" in line or "Error" in line or ":ERROR:" in line):
            bad.append(line)
        elif "Uncaught" in line:
            bad.append(line)
    return bad
