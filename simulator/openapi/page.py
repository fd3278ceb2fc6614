"""Render the OpenAPI document as one readable HTML page, with no script and nothing fetched."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from simulator.openapi.document import METHODS

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#f7f8fa}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{margin:0 0 4px} h2{margin-top:40px;border-bottom:2px solid #d5dae3;padding-bottom:4px}
nav{font-size:14px} nav div{display:inline-block;vertical-align:top;margin:0 28px 10px 0} nav a{display:block}
.op{background:#fff;border:1px solid #d5dae3;border-radius:6px;margin:14px 0;padding:10px 14px}
.op h3{margin:0;font-size:16px;font-family:ui-monospace,monospace}
.m{display:inline-block;min-width:58px;padding:1px 6px;margin-right:8px;border-radius:4px;color:#fff;
text-align:center;font-size:13px}
.get{background:#2f7d32}.post{background:#1f5fbf}.put,.patch{background:#b26a00}.delete{background:#b3261e}
table{border-collapse:collapse;font-size:14px;margin:6px 0} td,th{border:1px solid #e1e5ec;padding:3px 8px;
text-align:left;vertical-align:top}
pre{background:#f1f3f6;padding:8px;border-radius:4px;overflow:auto;font-size:13px;margin:6px 0}
code{font-family:ui-monospace,monospace} .muted{color:#5c6577}
"""


def _inline(text: str) -> str:
    """Escape, and turn `code` spans into <code>."""
    parts = escape(text.strip()).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _md(text: str | None) -> str:
    """Just enough Markdown for the descriptions: paragraphs and `code`."""
    if not text:
        return ""
    return "".join(f"<p>{p.strip()}</p>" for p in _inline(text).split("\n\n"))


def _resolve(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        section, name = node["$ref"].split("/")[-2:]
        node = document["components"][section][name]
    return node


def _schema(node: Any, depth: int = 0) -> str:
    """A compact, readable outline of a JSON schema (HTML): `{name*: string, ...}`, refs as links."""
    if not isinstance(node, dict):
        return escape(json.dumps(node, ensure_ascii=False))
    pad, inner = "  " * depth, "  " * (depth + 1)
    if "$ref" in node:
        name = escape(node["$ref"].rsplit("/", 1)[-1])
        return f'<a href="#schema-{name}">{name}</a>'
    if "const" in node:
        return escape(json.dumps(node["const"], ensure_ascii=False))
    if "enum" in node:
        return " | ".join(escape(json.dumps(v, ensure_ascii=False)) for v in node["enum"])
    for key, joiner in (("oneOf", " | "), ("anyOf", " | "), ("allOf", " &amp; ")):
        if key in node:
            return joiner.join(_schema(option, depth) for option in node[key])
    kinds = node.get("type", "any")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    shown = []
    for kind in kinds:
        if kind == "object" and "properties" in node:
            required = set(node.get("required", []))
            fields = [f"{inner}{escape(name)}{'*' if name in required else ''}: {_schema(value, depth + 1)}"
                      for name, value in node["properties"].items()]
            shown.append("{\n" + ",\n".join(fields) + f"\n{pad}}}")
        elif kind == "object" and isinstance(node.get("additionalProperties"), dict):
            shown.append(f"{{string: {_schema(node['additionalProperties'], depth + 1)}}}")
        elif kind == "array":
            shown.append(f"[{_schema(node.get('items', {}), depth)}]")
        else:
            shown.append(escape(str(kind)) + (f" ({escape(node['format'])})" if "format" in node else ""))
    return " | ".join(shown)


def _example(node: Any) -> str:
    return escape(json.dumps(node, indent=2, ensure_ascii=False))


def _anchor(method: str, path: str) -> str:
    return f"{method}-{path}".replace("/", "_").replace("{", "").replace("}", "")


def _operation(document: dict[str, Any], path: str, method: str, op: dict[str, Any], shared: list[Any]) -> str:
    out = [f'<div class="op" id="{_anchor(method, path)}"><h3><span class="m {method}">{method.upper()}</span>'
           f"{escape(path)}</h3><p><b>{_inline(op.get('summary', ''))}</b></p>{_md(op.get('description'))}"]
    params = [_resolve(document, p) for p in [*shared, *op.get("parameters", [])]]
    if params:
        out.append("<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th><th>about</th></tr>")
        out += [f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
                f"<td>{'yes' if p.get('required') else 'no'}</td><td><code>{_schema(p.get('schema', {}))}</code></td>"
                f"<td>{_md(p.get('description'))}</td></tr>" for p in params]
        out.append("</table>")
    body = _resolve(document, op.get("requestBody"))
    if body:
        for media, content in body.get("content", {}).items():
            shape = _schema(content.get("schema"))
            out.append(f"<p class='muted'>Request body ({escape(media)}):</p><pre>{shape}</pre>")
            if "example" in content:
                out.append(f"<p class='muted'>Example:</p><pre>{_example(content['example'])}</pre>")
    out.append("<table><tr><th>status</th><th>response</th></tr>")
    for code, response in op.get("responses", {}).items():
        ref = response.get("$ref", "").rsplit("/", 1)[-1]
        resolved = _resolve(document, response)
        schemas = [c.get("schema", {}) for c in resolved.get("content", {}).values()]
        shape = "".join(f"<pre>{_schema(s)}</pre>" for s in schemas if s and not ref)
        out.append(f"<tr><td>{escape(str(code))}</td><td>{_md(resolved.get('description'))}"
                   f"{f'<code>{escape(ref)}</code>' if ref else ''}{shape}</td></tr>")
    out.append("</table></div>")
    return "".join(out)


def render_page(document: dict[str, Any]) -> str:
    info = document.get("info", {})
    by_tag: dict[str, list[str]] = {t["name"]: [] for t in document.get("tags", [])}
    toc: dict[str, list[str]] = {name: [] for name in by_tag}
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            tag = (op.get("tags") or ["Other"])[0]
            by_tag.setdefault(tag, []).append(_operation(document, path, method, op, item.get("parameters", [])))
            toc.setdefault(tag, []).append(f'<a href="#{_anchor(method, path)}">{method.upper()} {escape(path)}</a>')
    descriptions = {t["name"]: t.get("description") for t in document.get("tags", [])}
    sections = [f'<h2 id="tag-{escape(tag)}">{escape(tag)}</h2>{_md(descriptions.get(tag))}{"".join(ops)}'
                for tag, ops in by_tag.items() if ops]
    schemas = document.get("components", {}).get("schemas", {})
    schema_html = "".join(f'<h3 id="schema-{escape(n)}"><code>{escape(n)}</code></h3><pre>{_schema(s)}</pre>'
                          for n, s in schemas.items())
    nav = "".join(f"<div><b>{escape(tag)}</b>{''.join(links)}</div>" for tag, links in toc.items() if links)
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(info.get('title', 'API'))}"
            f" API</title><meta name=viewport content='width=device-width,initial-scale=1'><style>{_STYLE}</style>"
            f"</head><body><main><h1>{escape(info.get('title', ''))} <small class=muted>"
            f"{escape(str(info.get('version', '')))}</small></h1>{_md(info.get('description'))}"
            f"<p class=muted>OpenAPI {escape(document.get('openapi', ''))}: "
            f"<a href='openapi.json'>openapi.json</a></p><nav>{nav}</nav>{''.join(sections)}"
            f"<h2>Schemas</h2>{schema_html}</main></body></html>")
