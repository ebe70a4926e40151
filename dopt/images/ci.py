"""CI thresholds with dive's rule names, and its ``.dive-ci`` file (a small YAML subset).

Rules (dive's keys; a value of ``disabled`` skips a rule):

``lowestEfficiency`` (default 0.9)
    fails when the efficiency score is below it (dive's score, same definition).
``highestWastedBytes`` (default 20MB)
    fails when wasted bytes exceed it. dopt counts *reclaimable* bytes here, where dive counts
    every copy of a duplicated path (shared case B71); dive 0.13's own default is ``disabled``.
``highestUserWastedPercent`` (default 0.1)
    fails when wasted bytes over the bytes above the base (a ratio, despite the name) exceed it.

Byte sizes read like dive's (go-humanize): ``20MB`` is 20,000,000, ``20MiB`` is 20,971,520.

Example::

    >>> parse_ci_config("rules:\\n  lowestEfficiency: 0.95  # strict\\n  highestWastedBytes: disabled\\n")
    {'lowestEfficiency': '0.95', 'highestWastedBytes': 'disabled'}
    >>> parse_bytes("20MB"), parse_bytes("1.5 KiB"), parse_bytes("512")
    (20000000, 1536, 512)
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from dopt.errors import UsageError

RULES = ("lowestEfficiency", "highestWastedBytes", "highestUserWastedPercent")
DEFAULTS = {"lowestEfficiency": "0.9", "highestWastedBytes": "20MB", "highestUserWastedPercent": "0.1"}

_UNITS = {
    "": 1, "b": 1,
    "k": 1000, "kb": 1000, "ki": 1024, "kib": 1024,
    "m": 1000**2, "mb": 1000**2, "mi": 1024**2, "mib": 1024**2,
    "g": 1000**3, "gb": 1000**3, "gi": 1024**3, "gib": 1024**3,
    "t": 1000**4, "tb": 1000**4, "ti": 1024**4, "tib": 1024**4,
}
_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([a-zA-Z]*)\s*$")


def parse_bytes(text: str) -> int:
    """A byte size as go-humanize reads it (SI for ``MB``, binary for ``MiB``).

    >>> parse_bytes("2 gb")
    2000000000
    >>> parse_bytes("lots")
    Traceback (most recent call last):
    ...
    dopt.errors.UsageError: not a byte size: 'lots' (use e.g. 20MB or 20MiB)
    """
    m = _SIZE.match(str(text))
    unit = m.group(2).lower() if m else None
    if not m or unit not in _UNITS:
        raise UsageError(f"not a byte size: {text!r} (use e.g. 20MB or 20MiB)")
    return int(float(m.group(1)) * _UNITS[unit])


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    # an unquoted YAML scalar ends at " #"
    return re.split(r"\s+#", value, maxsplit=1)[0].strip()


def parse_ci_config(text: str, path: str = ".dive-ci") -> dict[str, str]:
    """The rule values of a ``.dive-ci`` file: ``rules:`` then indented ``key: value`` lines.

    Top-level rule keys (without ``rules:``) are accepted too; other sections are ignored.
    """
    rules: dict[str, str] = {}
    section = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped == "---":
            continue
        indented = line[:1] in (" ", "\t")
        key, sep, value = stripped.partition(":")
        if not sep:
            raise UsageError(f"{path}:{number}: expected 'key: value', got {stripped!r}")
        key = key.strip().strip("'\"")
        value = _unquote(value)
        if not indented:
            section = key
            if value and key in RULES:
                rules[key] = value
            continue
        if section == "rules":
            if key not in RULES:
                raise UsageError(f"{path}:{number}: unknown rule {key!r} (known: {', '.join(RULES)})")
            if not value:
                raise UsageError(f"{path}:{number}: rule {key!r} has no value")
            rules[key] = value
    return rules


@dataclass
class RuleResult:
    name: str
    threshold: str
    value: float
    status: str  # pass | fail | skip
    message: str

    def to_dict(self) -> dict:
        return asdict(self)


def _ratio(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{name}: not a ratio: {text!r} (use a number between 0 and 1)") from None
    if not 0 <= value <= 1:
        raise UsageError(f"{name}: {text} is outside 0..1")
    return value


def check_rules(rules: dict[str, str]) -> None:
    """Reject bad threshold values up front (before a long analysis)."""
    for name, text in rules.items():
        if text.lower() == "disabled":
            continue
        if name == "highestWastedBytes":
            parse_bytes(text)
        else:
            _ratio(name, text)


def evaluate(report, rules: dict[str, str]) -> list[RuleResult]:
    """Each rule's verdict on ``report`` (an :class:`~dopt.images.report.ImageReport`).

    ``rules`` holds only the rules to apply: :data:`DEFAULTS` merged with a file and flags.
    """
    results = []
    for name in RULES:
        text = rules.get(name, DEFAULTS[name])
        if name == "lowestEfficiency":
            value = report.efficiency
        elif name == "highestWastedBytes":
            value = report.wasted_bytes
        else:
            value = report.user_wasted_percent
        if str(text).lower() == "disabled":
            results.append(RuleResult(name, "disabled", value, "skip", "rule disabled"))
            continue
        if name == "lowestEfficiency":
            limit = _ratio(name, text)
            ok = value >= limit
            msg = f"efficiency {value:.4f} {'>=' if ok else '<'} {limit}"
        elif name == "highestWastedBytes":
            limit = parse_bytes(text)
            ok = value <= limit
            msg = f"wasted {value:,} bytes {'<=' if ok else '>'} {limit:,}"
        else:
            limit = _ratio(name, text)
            ok = value <= limit
            msg = f"user wasted ratio {value:.4f} {'<=' if ok else '>'} {limit}"
        results.append(RuleResult(name, str(text), value, "pass" if ok else "fail", msg))
    return results
