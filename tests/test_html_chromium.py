"""The HTML reports in a real browser: headless Chromium loads them without console errors, no
injected markup becomes an element, no injected code runs, and a screenshot renders.

The hostile Dockerfile puts a script in a LABEL and an attribute-breaking ``"><img onerror=...>``
in another; both would change the DOM if they ran. Skipped with a reason when Chromium is not
installed, except under CI=true, where it fails (``.ci/run`` installs Debian's ``chromium``).
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from dopt.analysis.findings import analyze_file
from dopt.report.html import render_analyze_html, render_optimize_html
from dopt.report.json_report import analyze_document

HOSTILE = """FROM python:3.11
LABEL evil="<script>document.title='PWNED';document.body.setAttribute('data-pwned','1')</script>"
LABEL attr="\\"><img src=x onerror=\\"document.body.setAttribute('data-pwned','2')\\">"
ENV API_TOKEN=hunter2hunter2
RUN apt-get update && apt-get install -y gcc # <b onmouseover=alert(3)>x</b>
CMD python app.py '<svg onload=alert(4)>'
"""


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    reason = "chromium is not installed (apt-get install -y chromium)"
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


def _run(browser: str, tmp: Path, page: Path, *mode: str) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{mode[0].strip('-').split('=')[0]}"
    return subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
         "--enable-logging=stderr", "--v=0", "--window-size=1200,1600", *mode, page.as_uri()],
        capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)


def _console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines()
            if re.search(r"Uncaught|:CONSOLE\(|console\.(error|log)|Refused to", line)]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _check_page(browser: str, tmp: Path, page: Path, must_show: list[str]) -> None:
    dom = _run(browser, tmp, page, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert "<body" in html
    assert "PWNED" not in re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "data-pwned" not in re.search(r"<body[^>]*>", html).group(0), "injected code ran"
    assert not re.search(r"<script\b", html, re.I), "a script element exists"
    assert not re.search(r"<img\b", html, re.I), "injected <img> became an element"
    assert not re.search(r"<b onmouseover", html, re.I) and not re.search(r"<svg onload", html, re.I)
    assert "hunter2hunter2" not in html
    for text in must_show:
        assert text in html, text
    assert not _console_errors(dom.stderr), _console_errors(dom.stderr)

    shot = tmp / f"{page.stem}.png"
    run = _run(browser, tmp, page, f"--screenshot={shot}")
    assert run.returncode == 0, run.stderr[-2000:]
    data = shot.read_bytes()
    assert _png_size(data) == (1200, 1600)
    assert len(data) > 20_000, "the screenshot is (nearly) blank"
    assert not _console_errors(run.stderr), _console_errors(run.stderr)


def test_analyze_report_renders_inert(tmp_path):
    browser = _chromium()
    src = tmp_path / "Dockerfile"
    src.write_text(HOSTILE)
    result = analyze_file(str(src))
    page = tmp_path / "analyze.html"
    page.write_text(render_analyze_html(analyze_document([result]), sources={result.path: result.masked_text}))
    _check_page(browser, tmp_path, page, [
        "Dockerfile analysis", "DO105", "DO303",
        "&lt;script&gt;document.title='PWNED'", "API_TOKEN=****"])


def test_optimize_report_renders_inert(tmp_path):
    from dopt.optimize import ImageFacts, OptimizeOutcome

    browser = _chromium()
    optimized = HOSTILE.replace("FROM python:3.11", "FROM python:3.11-slim")
    outcome = OptimizeOutcome(
        dockerfile="<b>Dockerfile</b>", original_text=HOSTILE, optimized_text=optimized, pipeline="lower",
        original=ImageFacts("o", "sha256:o", 900 << 20, 10, 50.0),
        optimized=ImageFacts("n", "sha256:n", 300 << 20, 8, 40.0),
        applied=["[lower] base python:3.11 -> python:3.11-slim <img src=x onerror=alert(5)>"], verified=True)
    layers = [("original", [{"instruction": "RUN <script>x</script>", "bytes": 200 << 20}]),
              ("optimized", [{"instruction": "RUN apt-get install", "bytes": 50 << 20}])]
    page = tmp_path / "optimize.html"
    page.write_text(render_optimize_html(outcome, layers=layers))
    _check_page(browser, tmp_path, page, ["Optimization report", "Size comparison", "Layer breakdown",
                                          "Dockerfile diff", "python:3.11-slim"])
