"""Self-contained HTML reports (no CDN, no scripts; jinja2 autoescaping keeps Dockerfile text inert)."""

from __future__ import annotations

import difflib

_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>dopt optimization report: {{ o.dockerfile }}</title>
<style>
body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",sans-serif;margin:2rem;color:#222}
.metric{display:inline-block;margin:0 1rem 1rem 0;padding:1rem 1.4rem;background:#f3f4f6;border-radius:8px}
.metric h3{margin:0;color:#666;font-size:.8rem;text-transform:uppercase}.metric .v{font-size:1.8rem;font-weight:700}
.ok{color:#15803d}.bad{color:#b91c1c}pre{background:#f8f8f8;padding:1rem;overflow:auto;font-size:.85rem}
.add{background:#dcfce7}.del{background:#fee2e2}table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}
</style></head><body>
<h1>Optimization report</h1>
<p>{{ o.dockerfile }} &mdash; pipeline <code>{{ o.pipeline }}</code></p>
<div>
<div class="metric"><h3>Size reduction</h3><div class="v {{ 'ok' if o.size_reduction_percent >= 50 else '' }}">{{ '%.1f' % o.size_reduction_percent }}%</div></div>
<div class="metric"><h3>Original</h3><div class="v">{{ '%.1f' % o.original.size_mb }} MB</div></div>
<div class="metric"><h3>Optimized</h3><div class="v">{{ '%.1f' % o.optimized.size_mb if o.optimized else '-' }} MB</div></div>
<div class="metric"><h3>Layers</h3><div class="v">{{ o.original.layers }} &rarr; {{ o.optimized.layers if o.optimized else '-' }}</div></div>
<div class="metric"><h3>Verification</h3><div class="v {{ 'ok' if o.verified else 'bad' }}">{{ 'verified' if o.verified and o.verification else ('UNVERIFIED' if not o.verified else 'no change') }}</div></div>
</div>
<h2>Size comparison</h2>
<svg width="640" height="90" role="img" aria-label="size comparison">
<rect x="110" y="10" width="{{ bar_a }}" height="28" fill="#94a3b8"></rect><text x="0" y="30">original</text>
<text x="{{ 115 + bar_a }}" y="30">{{ '%.0f' % o.original.size_mb }} MB</text>
<rect x="110" y="50" width="{{ bar_b }}" height="28" fill="#22c55e"></rect><text x="0" y="70">optimized</text>
<text x="{{ 115 + bar_b }}" y="70">{{ '%.0f' % (o.optimized.size_mb if o.optimized else 0) }} MB</text>
</svg>
{% if o.verification %}<h2>Verification</h2><table><tr><th>check</th><th>name</th><th>result</th><th>detail</th></tr>
{% for c in o.verification.checks %}<tr><td>{{ c.kind }}</td><td>{{ c.name }}</td><td class="{{ 'ok' if c.ok else 'bad' }}">{{ 'ok' if c.ok else 'FAILED' }}</td><td>{{ c.detail }}</td></tr>{% endfor %}</table>{% endif %}
<h2>Optimizations applied</h2><ul>{% for a in o.applied %}<li>{{ a }}</li>{% else %}<li>none</li>{% endfor %}</ul>
{% if o.culprits %}<h2>Passes dropped</h2><ul>{% for p, why in o.culprits %}<li><b>{{ p }}</b>: {{ why }}</li>{% endfor %}</ul>{% endif %}
{% if o.warnings %}<h2>Warnings</h2><ul>{% for w in o.warnings %}<li>{{ w }}</li>{% endfor %}</ul>{% endif %}
<h2>Dockerfile diff</h2><pre>{% for kind, line in diff %}<span class="{{ kind }}">{{ line }}</span>
{% endfor %}</pre>
</body></html>
"""


def render_optimize_html(outcome) -> str:
    """Render an :class:`dopt.optimize.OptimizeOutcome` as one HTML page."""
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    biggest = max(outcome.original.size_mb, outcome.optimized.size_mb if outcome.optimized else 0, 1)
    diff = []
    for line in difflib.unified_diff(outcome.original_text.splitlines(), outcome.optimized_text.splitlines(),
                                     "original", "optimized", lineterm=""):
        kind = "add" if line.startswith("+") else "del" if line.startswith("-") else ""
        diff.append((kind, line))
    return env.from_string(_TEMPLATE).render(
        o=outcome, diff=diff,
        bar_a=int(420 * outcome.original.size_mb / biggest),
        bar_b=int(420 * (outcome.optimized.size_mb if outcome.optimized else 0) / biggest),
    )
