"""Reports of ``dopt analyze``: the dopt.analyze/1 JSON document, SARIF 2.1.0 (checked against the
schema's required fields, written out here: no network), Markdown, terminal text, the cost
calculator, the optimize HTML report, and secrets masked in every one of them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dopt.analysis.findings import RULES, analyze_file
from dopt.report.cost import monthly_savings
from dopt.report.html import render_analyze_html, render_optimize_html
from dopt.report.json_report import SCHEMA, analyze_document, exit_code_for
from dopt.report.markdown import render_markdown
from dopt.report.sarif import relative_uri, to_sarif
from dopt.report.tty import render_text

SECRET = "s3cr3t-Value-42"
DOCKERFILE = f"""FROM python:3.11
ARG API_TOKEN={SECRET}
ENV DB_PASSWORD="{SECRET}"
LABEL evil="<script>alert(1)</script>" attr="\\"><img src=x onerror=alert(2)>"
RUN apt-get update \\
 && apt-get install -y gcc \\
 && pip install -r requirements.txt
CMD python app.py
"""


@pytest.fixture
def results(tmp_path):
    good = tmp_path / "svc" / "Dockerfile"
    good.parent.mkdir()
    good.write_text(DOCKERFILE)
    bad = tmp_path / "broken.Dockerfile"
    bad.write_text(f"ENV API_KEY={SECRET}\nFROM a b c\n")
    return [analyze_file(str(good)), analyze_file(str(bad))], tmp_path


@pytest.fixture
def doc(results):
    return analyze_document(results[0], cost={"pulls_per_month": 2000, "regions": 3})


# -- JSON --------------------------------------------------------------------------------------

def test_json_document_shape(doc, results):
    assert doc["schema"] == SCHEMA == "dopt.analyze/1"
    assert [f["path"] for f in doc["files"]] == [r.path for r in results[0]]
    good, bad = doc["files"]
    assert good["error"] is None and bad["error"]["rule"] == "DO400" and bad["error"]["line"] == 2
    keys = {"rule", "severity", "message", "line", "column", "end_line", "end_column", "fixed_by", "savings_mb",
            "savings_basis", "rebuild_seconds", "rebuild_note", "hadolint", "buildkit", "snippet"}
    for f in good["findings"]:
        assert set(f) == keys
        assert f["rule"] in doc["rules"]
    summary = doc["summary"]
    assert summary["findings"] == sum(len(f["findings"]) for f in doc["files"])
    assert summary["exit_code"] == 2 == exit_code_for(results[0])
    assert summary["estimated_savings_mb"] == pytest.approx(
        sum(f["savings_mb"] or 0 for f in good["findings"]), abs=0.2)
    assert doc["cost"]["pulls_per_month"] == 2000 and doc["cost"]["prices_as_of"] == "2024-06"
    json.dumps(doc)  # serialisable as is


def test_reports_doc_lists_every_json_key():
    text = (Path(__file__).parent.parent / "docs" / "REPORTS.md").read_text()
    for key in ("dopt.analyze/1", "dopt.optimize/1", "dopt.inspect/1", "estimated_savings_mb", "savings_basis",
                "rebuild_seconds", "end_column", "exit_code", "failure_threshold"):
        assert key in text


# -- SARIF -------------------------------------------------------------------------------------

LEVELS = {"none", "note", "warning", "error"}


def _require(obj: dict, where: str, *keys: str) -> None:
    assert isinstance(obj, dict), f"{where} must be an object"
    for k in keys:
        assert k in obj, f"{where} lacks required property {k!r}"


def validate_sarif_required(log: dict) -> None:
    """The required properties and constraints of the SARIF 2.1.0 schema that dopt's output uses."""
    _require(log, "sarifLog", "version", "runs")
    assert log["version"] == "2.1.0"
    assert isinstance(log["runs"], list) and log["runs"]
    for run in log["runs"]:
        _require(run, "run", "tool")
        _require(run["tool"], "tool", "driver")
        driver = run["tool"]["driver"]
        _require(driver, "toolComponent", "name")
        ids = []
        for rule in driver.get("rules", []):
            _require(rule, "reportingDescriptor", "id")
            ids.append(rule["id"])
            for key in ("shortDescription", "fullDescription", "help"):
                if key in rule:
                    _require(rule[key], f"reportingDescriptor.{key}", "text")
            if "defaultConfiguration" in rule:
                assert rule["defaultConfiguration"].get("level", "warning") in LEVELS
        assert len(ids) == len(set(ids)), "rule ids must be unique"
        for result in run.get("results", []):
            _require(result, "result", "message")
            assert "text" in result["message"] or "id" in result["message"]
            assert result.get("level", "warning") in LEVELS
            if "ruleIndex" in result:
                assert isinstance(result["ruleIndex"], int) and result["ruleIndex"] >= -1
                assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
            for loc in result.get("locations", []):
                phys = loc["physicalLocation"]
                assert "artifactLocation" in phys or "address" in phys
                uri = phys["artifactLocation"]["uri"]
                assert " " not in uri and not re.match(r"^[A-Za-z]:\\", uri)
                region = phys.get("region", {})
                for k in ("startLine", "startColumn", "endLine", "endColumn"):
                    if k in region:
                        assert isinstance(region[k], int) and region[k] >= 1, (k, region)
                if "endLine" in region:
                    assert region["endLine"] >= region["startLine"]


def test_sarif_structure(doc, results):
    _, tmp = results
    log = to_sarif(doc, base=tmp)
    validate_sarif_required(log)
    run = log["runs"][0]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == set(RULES)
    dl3009 = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "DO201")
    assert dl3009["defaultConfiguration"]["level"] == "warning" and "DL3009" in dl3009["properties"]["hadolint"]
    total = sum(len(f["findings"]) for f in doc["files"])
    assert len(run["results"]) == total
    for r in run["results"]:
        assert r["ruleId"] and r["locations"], "every result has a location"
        assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] in ("svc/Dockerfile",
                                                                                    "broken.Dockerfile")
    syntax = next(r for r in run["results"] if r["ruleId"] == "DO400")
    assert syntax["level"] == "error" and syntax["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    gcc = next(r for r in run["results"] if r["ruleId"] == "DO207")
    assert gcc["locations"][0]["physicalLocation"]["region"]["startLine"] == 6


def test_sarif_uri_is_relative_and_encoded(tmp_path):
    assert relative_uri(str(tmp_path / "my dir" / "Dockerfile"), tmp_path) == "my%20dir/Dockerfile"
    assert relative_uri("/elsewhere/Dockerfile", tmp_path).startswith("file:///elsewhere")


# -- Markdown / terminal -----------------------------------------------------------------------

def test_markdown_summary(doc):
    md = render_markdown(doc)
    assert md.startswith("<!-- dopt-analyze -->\n### dopt analyze:")
    assert "| Severity | Rule | Location | Finding | Fixed by | Est. savings |" in md
    assert "Estimated savings:" in md and "/month" in md
    rows = [l for l in md.splitlines() if l.startswith("| :")]
    assert len(rows) == doc["summary"]["findings"]
    assert rows[0].startswith("| :x: error")  # worst first
    assert "<script" not in md and "<img" not in md


def test_terminal_text(doc):
    quiet = render_text(doc, quiet=True).splitlines()
    assert len(quiet) == doc["summary"]["findings"]
    assert all(re.match(r"^\S+:\d+:\d+: (error|warning|info|style) DO\d{3} ", l) for l in quiet)
    verbose = render_text(doc, verbose=1)
    assert "savings: " in verbose and "^" in verbose
    assert "finding" in verbose.splitlines()[-2] or "finding" in verbose


# -- secrets masked everywhere -----------------------------------------------------------------

def test_secrets_masked_in_every_format(doc, results):
    res, tmp = results
    outputs = {
        "json": json.dumps(doc), "sarif": json.dumps(to_sarif(doc, base=tmp)), "markdown": render_markdown(doc),
        "tty": render_text(doc, verbose=2),
        "html": render_analyze_html(doc, sources={r.path: r.masked_text for r in res}),
    }
    for name, text in outputs.items():
        assert SECRET not in text, name
    assert "****" in outputs["html"] and "****" in outputs["json"]


# -- HTML (escaping without a browser; test_html_chromium.py renders it) ------------------------

def test_analyze_html_escapes_dockerfile_text(doc, results):
    res, _ = results
    page = render_analyze_html(doc, sources={r.path: r.masked_text for r in res})
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page.lower()
    assert not re.search(r"<img\b", page, re.I)
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", page, re.I), "no external URL"
    assert "<svg" in page


def _outcome(original: str, optimized: str, *, prediction=None):
    import attrs

    from dopt.optimize import ImageFacts, OptimizeOutcome

    @attrs.define
    class PredictedOutcome(OptimizeOutcome):
        """An outcome that carries a size prediction (the shape the report reads)."""

        prediction: object = None

    out = PredictedOutcome(
        dockerfile="Dockerfile", original_text=original, optimized_text=optimized, pipeline="fuse,cleanup",
        original=ImageFacts("dopt-none/original:x", "sha256:none-original", 600_000_000, 9, 40.0),
        optimized=ImageFacts("dopt-none/optimized:x", "sha256:none-optimized", 200_000_000, 5, 30.0),
        applied=["[fuse] lines 2-3: fused 2 RUNs <b>bold</b>"], verified=True, backend="buildx")
    if prediction is not None:
        out.prediction = prediction
    return out


def test_optimize_html_report_sections():
    original = f"FROM python:3.11\nENV API_TOKEN={SECRET}\nRUN apt-get update\nRUN apt-get install -y curl\n"
    optimized = (f"FROM python:3.11-slim\nENV API_TOKEN={SECRET}\nRUN apt-get update && apt-get install -y curl "
                 "&& rm -rf /var/lib/apt/lists/*\n")
    layers = [("original", [{"instruction": "RUN apt-get update", "bytes": 20 << 20}]),
              ("optimized", [{"instruction": "RUN apt-get update && ...", "bytes": 5 << 20}])]
    page = render_optimize_html(_outcome(original, optimized), layers=layers)
    for heading in ("Size comparison", "Layer breakdown", "Findings", "Optimizations applied", "Dockerfile diff"):
        assert f"<h2>{heading}</h2>" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page
    assert SECRET not in page
    assert "Predicted vs actual" not in page
    # findings before/after: the lone update (DO206) is gone after the rewrite
    row = re.search(r"<code>DO206</code></td><td>[^<]*</td><td class=\"num\">(\d+)</td><td class=\"num[^\"]*\">(\d+)",
                    page)
    assert row and (int(row.group(1)), int(row.group(2))) == (1, 0)
    # 400 MB saved at the default 1000 pulls/month: ~$35/month of transfer
    assert "$35." in page


def test_optimize_html_prediction_and_unavailable_layers():
    page = render_optimize_html(_outcome("FROM a:1\n", "FROM a:1\n", prediction={"size_mb": 220.0}), layers=[])
    assert "Predicted vs actual" in page and "+10.0%" in page
    assert "not available" in page


# -- cost --------------------------------------------------------------------------------------

def test_cost_calculator_scales_with_pulls_and_regions():
    one = monthly_savings(1024, pulls_per_month=1, regions=1)
    assert one.storage_usd == pytest.approx(0.10) and one.transfer_usd == pytest.approx(0.09)
    many = monthly_savings(1024, pulls_per_month=1000, regions=5, storage_price=0.2, transfer_price=0.0)
    assert many.storage_usd == pytest.approx(1.0) and many.transfer_usd == 0.0
    with pytest.raises(Exception, match="must not be negative"):
        monthly_savings(1, regions=-1)
