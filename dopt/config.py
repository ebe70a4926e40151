"""Project configuration: ``[tool.dopt]`` in pyproject.toml, or ``.dopt.toml``.

The file is searched from the Dockerfile's folder upward, stopping at the repository root (the
first folder holding ``.git``) or the file system root; the nearest ``.dopt.toml`` or
``pyproject.toml`` with a ``[tool.dopt]`` table wins (``.dopt.toml`` first in one folder).
Environment variables override the file and command-line flags override both:

============================  ============================  ==========================
file key                      environment                   flag
============================  ============================  ==========================
``failure-threshold``         ``DOPT_FAILURE_THRESHOLD``    ``--failure-threshold``
``ignore`` (list, added up)   ``DOPT_IGNORE`` (a,b)         ``--ignore`` (repeatable)
``pipeline``                  ``DOPT_PIPELINE``             ``--passes`` / ``-O``
``severity`` (table)          --                            --
``base-images`` (table)       --                            --
``cost`` (table)              --                            ``--pulls-per-month`` ...
============================  ============================  ==========================

``ignore`` lists from every level are combined (ignoring a rule in CI should not un-ignore the
project's); single values (threshold, pipeline) come from the highest level that sets them.

Example ``.dopt.toml``::

    failure-threshold = "error"
    ignore = ["DO208", "DL3059"]         # dopt IDs, or hadolint codes of mapped rules
    pipeline = "fuse,cleanup"
    [severity]
    DO310 = "style"
    [base-images]
    "registry.acme.io/python:3.11" = { to = "registry.acme.io/python:3.11-slim", savings-mb = 300 }
    [cost]
    pulls-per-month = 5000
    regions = 5

    >>> cfg = load_config(env={"DOPT_FAILURE_THRESHOLD": "error"}, start=None)
    >>> cfg.failure_threshold, cfg.threshold_source
    ('error', 'environment DOPT_FAILURE_THRESHOLD')
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Mapping

from attrs import field, frozen

from dopt.errors import UsageError

DEFAULT_THRESHOLD = "warning"
_LEVELS = ("error", "warning", "info", "style", "none")
_SEVERITIES = ("error", "warning", "info", "style")
_KEYS = ("failure-threshold", "ignore", "pipeline", "severity", "base-images", "cost")
_COST_KEYS = ("pulls-per-month", "regions", "storage-price", "transfer-price")
_RULE_ID = re.compile(r"^(DO\d{3}|DL\d{4})$")


class ConfigError(UsageError):
    """An invalid configuration file or variable: the message names the file (or variable) and key."""


@frozen
class Config:
    """The merged configuration (see the module docstring for the precedence)."""

    ignore: frozenset[str] = frozenset()
    severity: dict = field(factory=dict)
    pipeline: str | None = None
    failure_threshold: str = DEFAULT_THRESHOLD
    threshold_source: str = "default"
    base_images: dict = field(factory=dict)
    cost: dict = field(factory=dict)
    path: str | None = None


def find_config(start: str | os.PathLike | None) -> Path | None:
    """The nearest configuration file at or above ``start`` (a folder or a file in it).

    >>> find_config("/") is None or find_config("/").name in (".dopt.toml", "pyproject.toml")
    True
    """
    if start is None:
        return None
    here = Path(start).resolve()
    if not here.is_dir():
        here = here.parent
    for folder in (here, *here.parents):
        candidate = folder / ".dopt.toml"
        if candidate.is_file():
            return candidate
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and _has_tool_dopt(candidate):
            return candidate
        if (folder / ".git").exists():
            return None
    return None


def _has_tool_dopt(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return False
    return re.search(r"^\s*\[\s*tool\s*\.\s*dopt\s*[\].]", text, re.M) is not None


def _read_file(path: Path) -> dict:
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}") from None
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("dopt", {})
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: [tool.dopt] must be a table")
    return data


def _bad(where: str, key: str, message: str) -> ConfigError:
    return ConfigError(f"{where}: {key}: {message}")


def _threshold(value, where: str, key: str) -> str:
    if not isinstance(value, str) or value.lower() not in _LEVELS:
        raise _bad(where, key, f"expected one of {', '.join(_LEVELS)}, got {value!r}")
    return value.lower()


def _rule_ids(values, where: str, key: str) -> set[str]:
    from dopt.analysis.findings import RULES

    if isinstance(values, str):
        values = [v for v in re.split(r"[,\s]+", values) if v]
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        raise _bad(where, key, f"expected a list of rule IDs, got {values!r}")
    return {_rule_id(v, where, key, RULES) for v in values}


def _rule_id(value: str, where: str, key: str, rules) -> str:
    from dopt.analysis.findings import rules_for_hadolint

    name = value.strip().upper()
    if not _RULE_ID.match(name):
        raise _bad(where, key, f"{value!r} is not a rule ID (DO101 ... or a hadolint code DL3008 ...)")
    if name.startswith("DO") and name not in rules:
        hint = difflib.get_close_matches(name, list(rules), n=1)
        raise _bad(where, key, f"unknown rule {name}" + (f"; did you mean {hint[0]}?" if hint else ""))
    if name.startswith("DL") and not rules_for_hadolint(name):
        raise _bad(where, key, f"hadolint code {name} has no dopt equivalent")
    return name


def _expand_ids(ids: set[str]) -> frozenset[str]:
    from dopt.analysis.findings import rules_for_hadolint

    out: set[str] = set()
    for name in ids:
        out.update(rules_for_hadolint(name) if name.startswith("DL") else [name])
    return frozenset(out)


def _validate_file(data: dict, where: str) -> dict:
    from dopt.analysis.findings import RULES

    out: dict = {}
    for key, value in data.items():
        norm = key.replace("_", "-")
        if norm not in _KEYS:
            hint = difflib.get_close_matches(norm, _KEYS, n=1)
            raise _bad(where, key, "unknown key" + (f"; did you mean {hint[0]!r}?" if hint else "")
                       + f" (known: {', '.join(_KEYS)})")
        if norm == "failure-threshold":
            out[norm] = _threshold(value, where, key)
        elif norm == "ignore":
            out[norm] = _rule_ids(value, where, key)
        elif norm == "pipeline":
            if not isinstance(value, str) or not value.strip():
                raise _bad(where, key, f"expected pipeline text such as 'fuse,cleanup', got {value!r}")
            out[norm] = value.strip()
        elif norm == "severity":
            if not isinstance(value, dict):
                raise _bad(where, key, "expected a table of RULE = \"severity\"")
            table = {}
            for rule, level in value.items():
                rid = _rule_id(rule, where, f"{key}.{rule}", RULES)
                if not isinstance(level, str) or level.lower() not in _SEVERITIES:
                    raise _bad(where, f"{key}.{rule}", f"expected one of {', '.join(_SEVERITIES)}, got {level!r}")
                for expanded in _expand_ids({rid}):
                    table[expanded] = level.lower()
            out[norm] = table
        elif norm == "base-images":
            if not isinstance(value, dict):
                raise _bad(where, key, "expected a table of \"image\" = { to = \"smaller image\", savings-mb = N }")
            table = {}
            for image, entry in value.items():
                if isinstance(entry, str):
                    entry = {"to": entry}
                if not isinstance(entry, dict) or not isinstance(entry.get("to"), str):
                    raise _bad(where, f"{key}.{image}", "expected { to = \"smaller image\", savings-mb = N }")
                extra = set(entry) - {"to", "savings-mb", "savings_mb"}
                if extra:
                    raise _bad(where, f"{key}.{image}.{sorted(extra)[0]}", "unknown key (known: to, savings-mb)")
                saved = entry.get("savings-mb", entry.get("savings_mb"))
                if saved is not None and (not isinstance(saved, (int, float)) or isinstance(saved, bool) or saved < 0):
                    raise _bad(where, f"{key}.{image}.savings-mb", f"expected a number of MB, got {saved!r}")
                table[image] = {"to": entry["to"], "savings_mb": float(saved) if saved is not None else None}
            out[norm] = table
        elif norm == "cost":
            if not isinstance(value, dict):
                raise _bad(where, key, "expected a table")
            table = {}
            for k, v in value.items():
                nk = k.replace("_", "-")
                if nk not in _COST_KEYS:
                    raise _bad(where, f"{key}.{k}", f"unknown key (known: {', '.join(_COST_KEYS)})")
                if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
                    raise _bad(where, f"{key}.{k}", f"expected a non-negative number, got {v!r}")
                table[nk.replace("-", "_")] = v
            out[norm] = table
    return out


def load_config(start: str | os.PathLike | None = None, *, env: Mapping[str, str] | None = None,
                cli_threshold: str | None = None, cli_ignore: list[str] | None = None,
                cli_pipeline: str | None = None, path: str | os.PathLike | None = None) -> Config:
    """Read the file found from ``start`` (or ``path`` exactly), apply the environment, then the flags.

    >>> load_config(env={"DOPT_IGNORE": "DO208,DL3059"}, start=None).ignore == {"DO208", "DO310"}
    True
    """
    env = os.environ if env is None else env
    file_path = Path(path) if path is not None else find_config(start)
    data: dict = {}
    if file_path is not None:
        data = _validate_file(_read_file(file_path), str(file_path))
    threshold, source = DEFAULT_THRESHOLD, "default"
    if "failure-threshold" in data:
        threshold, source = data["failure-threshold"], f"{file_path}"
    pipeline = data.get("pipeline")
    ignore = set(data.get("ignore", ()))
    if env.get("DOPT_FAILURE_THRESHOLD"):
        threshold = _threshold(env["DOPT_FAILURE_THRESHOLD"], "environment", "DOPT_FAILURE_THRESHOLD")
        source = "environment DOPT_FAILURE_THRESHOLD"
    if env.get("DOPT_IGNORE"):
        ignore |= _rule_ids(env["DOPT_IGNORE"], "environment", "DOPT_IGNORE")
    if env.get("DOPT_PIPELINE"):
        pipeline = env["DOPT_PIPELINE"].strip()
    if cli_threshold:
        threshold, source = _threshold(cli_threshold, "command line", "--failure-threshold"), "command line"
    if cli_ignore:
        for item in cli_ignore:
            ignore |= _rule_ids(item, "command line", "--ignore")
    if cli_pipeline:
        pipeline = cli_pipeline
    return Config(ignore=_expand_ids(ignore), severity=data.get("severity", {}), pipeline=pipeline,
                  failure_threshold=threshold, threshold_source=source,
                  base_images=data.get("base-images", {}), cost=data.get("cost", {}),
                  path=str(file_path) if file_path else None)
