"""noop: the identity pass, the baseline every other pass is measured against.

Example::

    >>> from dopt import parse_text
    >>> df = parse_text("FROM alpine\\n")
    >>> run(df, None) is df
    True
"""

NAME = "noop"
DESCRIPTION = "do nothing (the identity baseline)"
PRESERVES = ("*",)


def run(df, ctx):
    return df
