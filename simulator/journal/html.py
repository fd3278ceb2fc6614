"""/_sim/report.html: the report's findings as one self-contained page (no scripts, everything escaped)."""

from __future__ import annotations

from html import escape
from typing import Any

_STYLE = ("body{font:14px system-ui,sans-serif;margin:2rem;max-width:70rem}table{border-collapse:collapse;width:100%}"
          "td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}"
          ".error{color:#b00020}.warning{color:#a05a00}.info{color:#0b5394}code{font-size:12px}")


def render_report(report: dict[str, Any]) -> str:
    findings = report["findings"]
    rows = "".join(
        f"<tr><td class=\"{escape(f['severity'])}\">{escape(f['severity'])}</td><td><code>{escape(f['rule'])}</code>"
        f"</td><td>{escape(f['summary'])}<br><small>{escape(f['reference'])}</small></td>"
        f"<td>{f['evidence']['count']}</td><td><code>"
        f"{escape(' '.join(f['evidence']['requests'] + f['evidence']['messages']))}</code></td></tr>"
        for f in findings)
    scope = f"tenant {escape(report['tenant'])}" if report["tenant"] else "every tenant"
    journal = report["journal"]
    body = (f"<table><tr><th>Severity</th><th>Rule</th><th>Finding</th><th>Count</th><th>Evidence</th></tr>{rows}"
            "</table>" if findings else "<p>No findings: the client follows every rule checked.</p>")
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>postman-sim integration report"
            f"</title><style>{_STYLE}</style></head><body><h1>Integration report</h1>"
            f"<p>For {scope} at {escape(report['generated_at'])}: {journal['entries']} journaled request(s), "
            f"{journal['dropped']} dropped. Evidence ids open at /_sim/requests/{{id}} and /_sim/messages/{{id}}.</p>"
            f"{body}</body></html>")
