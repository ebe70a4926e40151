"""Regressions found by walking through the README as a new user."""

import pytest

from dopt import parse_text
from dopt.pipeline import run_pipeline

NODE = "FROM node:20-bookworm\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\n"


@pytest.mark.parametrize("cmd", [
    'CMD ["tini", "--", "npm", "start"]',
    'CMD ["dumb-init", "npm", "start"]',
    'ENTRYPOINT ["/usr/bin/tini", "--"]\nCMD ["npm", "start"]',
    "CMD xvfb-run -a npm run dist",
])
def test_split_keeps_dev_dependencies_when_a_wrapper_runs_npm(cmd):
    result = run_pipeline(parse_text(NODE + cmd + "\n"), "split")
    assert "prune" not in result.text
    assert any("dev dependencies kept" in d.message for d in result.diagnostics)


def test_split_prunes_when_the_runtime_runs_only_node():
    result = run_pipeline(parse_text(NODE + 'CMD ["node", "dist/server.js"]\n'), "split")
    assert "npm prune --omit=dev" in result.text


def test_cleanup_messages_name_a_place_for_runs_a_pass_made():
    df = parse_text("FROM python:3.11\nRUN apt-get update && apt-get install -y gcc\nCOPY . /app\n"
                    "RUN pip install -r /app/requirements.txt\nCMD [\"python\", \"/app/main.py\"]\n")
    result = run_pipeline(df, "split,cleanup")
    assert not any("None" in d.message for d in result.diagnostics)
