"""The OpenAPI 3.1 description, built from the route table and the models,
and a self-contained docs page (no CDN, no external asset) that renders it."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from hub.errors import InvalidPayload, LoginRequired, PayloadTooLarge, RequestTimeout

from api import schemas as s
from api.framework import Call, Operation

TITLE = "liaison-hub REST API"
VERSION = "1.0.0"


def _parameters(model: type[BaseModel], where: str) -> list[dict[str, Any]]:
    schema = model.model_json_schema(by_alias=True)
    if "$defs" in schema:  # pragma: no cover - parameters are flat by design
        raise TypeError(f"{model.__name__}: parameters must not need $defs")
    required = set(schema.get("required", ()))
    out = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        branches = prop.get("anyOf")
        if branches and {"type": "null"} in branches and prop.get("default", 0) is None:
            # Optional parameters are simply left out; there is no "null" in a URL.
            rest = [b for b in branches if b != {"type": "null"}]
            del prop["anyOf"], prop["default"]
            prop.update(rest[0] if len(rest) == 1 else {"anyOf": rest})
        description = prop.pop("description", None)
        prop.pop("title", None)
        param: dict[str, Any] = {"name": name, "in": where, "required": where == "path" or name in required,
                                 "schema": prop}
        if description:
            param["description"] = description
        out.append(param)
    return out


def build_spec(operations: tuple[Operation, ...], server_url: str = "/api") -> dict[str, Any]:  # noqa: C901  (one walk over the route table)
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [(s.ErrorBody, "serialization")]
    for op in operations:
        if op.body is not None:
            models.append((op.body, "validation"))
        if op.response is not None:
            models.append((op.response, "serialization"))
    refs, definitions = models_json_schema(
        list(dict.fromkeys(models)), by_alias=True, ref_template="#/components/schemas/{model}"
    )
    error_ref = refs[(s.ErrorBody, "serialization")]
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        item: dict[str, Any] = {
            "operationId": op.operation_id,
            "summary": op.summary,
            "tags": [op.tag],
        }
        description = op.description
        if op.roles:
            description = (description + "\n\n" if description else "") + f"Who: {op.roles}."
        if description:
            item["description"] = description
        parameters = []
        if op.path_model is not None:
            parameters += _parameters(op.path_model, "path")
        if op.query is not None:
            parameters += _parameters(op.query, "query")
        if parameters:
            item["parameters"] = parameters
        if op.body is not None:
            item["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
            }
        responses: dict[str, Any] = {}
        if op.response is not None:
            responses[str(op.status)] = {
                "description": op.summary,
                "content": {"application/json": {"schema": refs[(op.response, "serialization")]}},
            }
        elif op.status == 204:
            responses["204"] = {"description": "done, no content"}
        else:
            schema: dict[str, Any] = {} if op.content == "application/json" else {"type": "string"}
            if op.content.startswith("image/png"):
                schema["contentMediaType"] = "image/png"
            responses[str(op.status)] = {"description": op.summary, "content": {op.content: {"schema": schema}}}
        errors: dict[int, list[str]] = {}
        declared = list(op.errors)
        if op.body is not None or op.query is not None or op.path_model is not None:
            declared.append(InvalidPayload)
        if op.body is not None or PayloadTooLarge in op.errors:  # a body is read with a deadline
            declared.append(RequestTimeout)
        if op.auth == "login":
            declared.append(LoginRequired)
        for error in declared:
            errors.setdefault(error.status, [])
            if error.code not in errors[error.status]:
                errors[error.status].append(error.code)
        for status in sorted(errors):
            responses[str(status)] = {
                "description": "error: " + ", ".join(errors[status]),
                "content": {"application/json": {"schema": error_ref}},
            }
        responses["500"] = {"description": "error: internal_error",
                            "content": {"application/json": {"schema": error_ref}}}
        item["responses"] = responses
        if op.auth == "login":
            item["security"] = [{"bearer": []}, {"cookie": []}]
        elif op.auth == "feed":
            item["security"] = [{}, {"bearer": []}, {"cookie": []}]
        else:
            item["security"] = []
        paths.setdefault(op.path, {})[op.method.lower()] = item
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": "Linked sessions of the 1+12+X deputy liaison matrix. Errors are "
            '{"error": {"code", "reason", "message"}} (reason when there is one); messages follow '
            "Accept-Language (zh-CN default, en), wholly in that language.",
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "token from POST /auth/login"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "hub_login"},
            },
        },
    }


@lru_cache(maxsize=4)
def _spec_text(server_url: str) -> str:
    from api.routes import OPERATIONS

    return json.dumps(build_spec(OPERATIONS, server_url), ensure_ascii=False, indent=1)


async def spec_handler(call: Call) -> web.Response:
    return web.Response(text=_spec_text(call.services.mount_path), content_type="application/json")


async def docs_handler(call: Call) -> web.Response:
    return web.Response(text=DOCS_PAGE, content_type="text/html", headers={"Content-Security-Policy": DOCS_CSP})


DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>liaison-hub REST API</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem 2rem;color:#1d2430}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccd}
details{border:1px solid #d8dce6;border-radius:6px;margin:.4rem 0;padding:.3rem .7rem}
summary{cursor:pointer}code,pre{font:13px ui-monospace,monospace}
.m{display:inline-block;min-width:4.2rem;font-weight:700}.GET{color:#1565c0}.POST{color:#2e7d32}
.PUT{color:#ef6c00}.DELETE{color:#c62828}table{border-collapse:collapse;margin:.3rem 0}
td,th{border:1px solid #d8dce6;padding:.15rem .5rem;text-align:left;vertical-align:top}
pre{background:#f5f6fa;padding:.5rem;overflow:auto;max-height:24rem}
</style></head><body>
<h1>liaison-hub REST API</h1>
<p>Machine-readable description: <a href="openapi.json">openapi.json</a> (OpenAPI 3.1).
Authenticate with <code>Authorization: Bearer &lt;token&gt;</code> from <code>POST /auth/login</code>
(or its HttpOnly cookie). Errors: <code>{"error": {"code", "message"}}</code>; messages follow
<code>Accept-Language</code> (zh-CN default, en).</p>
<div id="out">Loading…</div>
<script>
"use strict";
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}
let spec;
function resolve(schema, depth, seen) {
  if (!schema || depth > 6) return schema;
  if (schema.$ref) {
    const name = schema.$ref.split("/").pop();
    if (seen.has(name)) return {"$ref": name};
    return resolve(spec.components.schemas[name], depth + 1, new Set([...seen, name]));
  }
  const out = Array.isArray(schema) ? [] : {};
  for (const [k, v] of Object.entries(schema)) out[k] = typeof v === "object" && v !== null ? resolve(v, depth + 1, seen) : v;
  return out;
}
function show(schema) { return el("pre", {}, JSON.stringify(resolve(schema, 0, new Set()), null, 2)); }
fetch("openapi.json").then(r => r.json()).then(s => {
  spec = s;
  const out = document.getElementById("out"); out.textContent = "";
  const base = (s.servers && s.servers[0] && s.servers[0].url) || "";
  const byTag = {};
  for (const [path, item] of Object.entries(s.paths))
    for (const [method, op] of Object.entries(item)) (byTag[op.tags[0]] ||= []).push([method.toUpperCase(), path, op]);
  for (const [tag, ops] of Object.entries(byTag)) {
    out.append(el("h2", {}, tag));
    for (const [method, path, op] of ops) {
      const d = el("details", {}, el("summary", {}, el("span", {class: "m " + method}, method), " ",
        el("code", {}, base + path), " — ", op.summary));
      if (op.description) d.append(el("p", {}, op.description));
      d.append(el("p", {}, op.security && op.security.length ? "Auth: " +
        op.security.map(x => Object.keys(x)[0] || "key/none").join(" or ") : "Auth: none"));
      if (op.parameters) {
        const t = el("table", {}, el("tr", {}, el("th", {}, "parameter"), el("th", {}, "in"),
          el("th", {}, "required"), el("th", {}, "schema"), el("th", {}, "description")));
        for (const p of op.parameters) t.append(el("tr", {}, el("td", {}, el("code", {}, p.name)),
          el("td", {}, p.in), el("td", {}, p.required ? "yes" : ""), el("td", {}, el("code", {}, JSON.stringify(p.schema))),
          el("td", {}, p.description || "")));
        d.append(t);
      }
      if (op.requestBody) {
        d.append(el("h4", {}, "Request body"));
        d.append(show(op.requestBody.content["application/json"].schema));
      }
      d.append(el("h4", {}, "Responses"));
      for (const [status, r] of Object.entries(op.responses)) {
        d.append(el("p", {}, el("b", {}, status), " ", r.description));
        const c = r.content && Object.entries(r.content)[0];
        if (c && c[0] === "application/json" && status < 400) d.append(show(c[1].schema));
        else if (c && status < 400) d.append(el("p", {}, el("code", {}, c[0])));
      }
      out.append(d);
    }
  }
}).catch(e => { document.getElementById("out").textContent = "Could not load openapi.json: " + e; });
</script></body></html>
"""


def _inline_hash(page: str, tag: str) -> str:
    """The CSP source of the one inline ``<tag>`` of ``page``: its SHA-256,
    so that the page needs no ``'unsafe-inline'``."""
    import base64
    import hashlib

    body = page.split(f"<{tag}>", 1)[1].split(f"</{tag}>", 1)[0]
    return "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"


DOCS_CSP = (
    f"default-src 'none'; script-src {_inline_hash(DOCS_PAGE, 'script')}; "
    f"style-src {_inline_hash(DOCS_PAGE, 'style')}; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
