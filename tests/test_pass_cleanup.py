"""cleanup: before/after tables (after == before means must not change) and shared cases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dopt import parse_text
from dopt.pipeline import run_pipeline

CASES = Path(__file__).parent / "cases"


def flat(text: str) -> str:
    """The printer breaks long RUNs after '&&'; compare the joined logical lines."""
    return re.sub(r"[ \t]*\\\n[ \t]*", " ", text)

APT_TAIL = " && apt-get clean && rm -rf /var/lib/apt/lists/*"


def cleanup(text: str, pipeline: str = "cleanup"):
    return run_pipeline(parse_text(text), pipeline, verify_each=True)


TABLE = [
    ("FROM d\nRUN apt-get update && apt-get install -y curl\n",
     "FROM d\nRUN apt-get update && apt-get install -y curl" + APT_TAIL + "\n"),
    # a lone update is joined to the install after it
    ("FROM d\nRUN apt-get update\nRUN apt-get install -y curl\n",
     "FROM d\nRUN apt-get update && apt-get install -y curl" + APT_TAIL + "\n"),
    # already clean: unchanged
    ("FROM d\nRUN apt-get update && apt-get install -y curl && apt-get clean && rm -rf /var/lib/apt/lists/*\n", None),
    # lists removed but the package cache kept: apt-get clean is added
    ("FROM d\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
     "FROM d\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/* && apt-get clean\n"),
    # a later RUN installs without updating: lists must stay (decline)
    ("FROM d\nRUN apt-get update && apt-get install -y a\nRUN apt-get install -y b\n",
     "FROM d\nRUN apt-get update && apt-get install -y a\nRUN apt-get install -y b" + APT_TAIL + "\n"),
    # cache mounts: nothing deleted (B58)
    ("FROM d\nRUN --mount=type=cache,target=/var/lib/apt/lists --mount=type=cache,target=/var/cache/apt "
     "apt-get update && apt-get install -y curl\n", None),
    ("FROM d\nRUN pip install flask\n", "FROM d\nRUN pip install --no-cache-dir flask\n"),
    ("FROM d\nRUN pip install --no-cache-dir flask\n", None),
    ("FROM d\nRUN python -m pip install -r requirements.txt\n",
     "FROM d\nRUN python -m pip install --no-cache-dir -r requirements.txt\n"),
    ("FROM d\nRUN --mount=type=cache,target=/root/.cache/pip pip install flask\n", None),
    ("FROM d\nRUN apk add curl\n", "FROM d\nRUN apk add --no-cache curl\n"),
    ("FROM d\nRUN apk add --no-cache curl\n", None),
    ("FROM d\nRUN dnf install -y git\n", "FROM d\nRUN dnf install -y git && dnf clean all\n"),
    ("FROM d\nRUN npm ci\n", "FROM d\nRUN npm ci && npm cache clean --force\n"),
    ("FROM d\nRUN gem install rails\n", "FROM d\nRUN gem install --no-document rails\n"),
    # scripts with || are grouped before the cleanup is appended
    ("FROM d\nRUN apt-get update && apt-get install -y x || true\n",
     "FROM d\nRUN { apt-get update && apt-get install -y x || true; }" + APT_TAIL + "\n"),
    # later rm moved into the creating RUN
    ("FROM d\nRUN curl -o /tmp/big.tgz http://x && tar -C /opt -xzf /tmp/big.tgz\nENV A=1\nRUN rm -rf /tmp/big.tgz\n",
     "FROM d\nRUN curl -o /tmp/big.tgz http://x && tar -C /opt -xzf /tmp/big.tgz && rm -rf /tmp/big.tgz\nENV A=1\n"),
    # ...but not across a RUN that might use it
    ("FROM d\nRUN curl -o /tmp/big.tgz http://x\nRUN ./install.sh\nRUN rm -rf /tmp/big.tgz\n", None),
    # non-POSIX shell: untouched
    ('FROM d\nSHELL ["pwsh", "-Command"]\nRUN pip install flask\n', None),
    ("FROM d\n# dopt: skip=cleanup\nRUN pip install flask\n", None),
]


@pytest.mark.parametrize("before, after", TABLE)
def test_cleanup_table(before, after):
    assert flat(cleanup(before).text) == (before if after is None else after)


def test_no_recommends_is_an_option():
    out = cleanup("FROM d\nRUN apt-get install -y curl\n", "cleanup<no-recommends>").text
    assert "apt-get install --no-install-recommends -y curl" in out


def test_mounts_option_uses_cache_mounts_instead_of_deleting():
    out = cleanup("FROM d\nRUN apt-get update && apt-get install -y curl && pip install x\n", "cleanup<mounts>").text
    assert "--mount=type=cache,target=/var/cache/apt,sharing=locked" in out
    assert "--mount=type=cache,target=/root/.cache/pip" in out
    assert "rm -rf /var/lib/apt/lists" not in out and "--no-cache-dir" not in out


def test_b58_cache_mounts_get_no_deletion():
    text = (CASES / "B58.Dockerfile").read_text()
    out = cleanup(text).text
    assert "rm -rf /var/lib/apt/lists" not in out.replace(text, "") or out == text
    assert out.count("apt-get clean") == text.count("apt-get clean")


def test_declines_explain_the_blocking_instruction():
    result = cleanup("FROM d\nRUN apt-get update && apt-get install -y a\nRUN apt-get install -y b\n")
    assert any("installs with apt-get without its own apt-get update" in d.message for d in result.declined)


def test_cleanup_is_idempotent():
    for before, _ in TABLE:
        once = cleanup(before).text
        assert cleanup(once).text == once
