"""The OpenAPI 3.1 description, built from the route table and the models,
and the docs page that renders it (Swagger UI, bundled locally: no CDN)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from core.errors import InvalidPayload, LoginRequired, PayloadTooLarge, RequestTimeout

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


def build_spec(operations: tuple[Operation, ...], server_url: str = "/api") -> dict[str, Any]:
    """The OpenAPI description of ``operations``: one walk over the route table, the models'
    schemas shared under ``components``."""
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [(s.ErrorBody, "serialization")]
    for op in operations:
        if op.body is not None:
            models.append((op.body, "validation"))
        if op.response is not None:
            models.append((op.response, "serialization"))
    refs, definitions = models_json_schema(
        list(dict.fromkeys(models)), by_alias=True, ref_template="#/components/schemas/{model}"
    )
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, refs)
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


#: What models_json_schema answers: a reference to the schema of each (model, mode).
_Refs = Mapping[Any, dict[str, Any]]


def _operation(op: Operation, refs: _Refs) -> dict[str, Any]:
    """The entry of ``op`` under its path and method."""
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
    item["responses"] = _responses(op, refs)
    if op.auth == "login":
        item["security"] = [{"bearer": []}, {"cookie": []}]
    elif op.auth == "feed":
        item["security"] = [{}, {"bearer": []}, {"cookie": []}]
    else:
        item["security"] = []
    return item


def _responses(op: Operation, refs: _Refs) -> dict[str, Any]:
    """The success response of ``op``, then its errors by status, then ``500``."""
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
    error_ref = refs[(s.ErrorBody, "serialization")]
    errors = _error_codes(op)
    for status in sorted(errors):
        responses[str(status)] = {
            "description": "error: " + ", ".join(errors[status]),
            "content": {"application/json": {"schema": error_ref}},
        }
    responses["500"] = {"description": "error: internal_error",
                        "content": {"application/json": {"schema": error_ref}}}
    return responses


def _error_codes(op: Operation) -> dict[int, list[str]]:
    """The error codes ``op`` may answer, by HTTP status: those it declares, and those of the
    framework (a payload that does not validate, a body read too slowly, a login required)."""
    declared = list(op.errors)
    if op.body is not None or op.query is not None or op.path_model is not None:
        declared.append(InvalidPayload)
    if op.body is not None or PayloadTooLarge in op.errors:  # a body is read with a deadline
        declared.append(RequestTimeout)
    if op.auth == "login":
        declared.append(LoginRequired)
    errors: dict[int, list[str]] = {}
    for error in declared:
        codes = errors.setdefault(error.status, [])
        if error.code not in codes:
            codes.append(error.code)
    return errors


#: Swagger UI's page, built by Vite from ``web/api-docs.html`` and ``web/src/apidocs/``.
DOCS_PAGE = Path(__file__).resolve().parent.parent / "web" / "dist" / "api-docs.html"


async def docs_handler(call: Call) -> web.StreamResponse:
    """The API for people: Swagger UI (npm ``swagger-ui-dist``, bundled into ``web/dist``) reading
    ``openapi.json``, under the hub's usual Content-Security-Policy (``hub/security.py``)."""
    if not DOCS_PAGE.exists():
        return web.Response(status=503, text="The web assets are not built: run `make setup` (npm run build in web/).")
    return web.FileResponse(DOCS_PAGE, headers={"Cache-Control": "no-cache"})

