"""The DCI social registry schemas (src/ansinh/interop/spec/dci_social_v1.0.0.json, converted
from spdci/standards release/yaml/social_api_v1.0.0.yaml) as jsonschema validators of the
/registry/sync/search request and its answer, with the spec's defects corrected here, each named
(docs/decisions/0030 lists them)."""
from __future__ import annotations

import copy
import json
from pathlib import Path

from jsonschema import Draft202012Validator

RAW = json.loads((Path(__file__).resolve().parents[2] / "src/ansinh/interop/spec/dci_social_v1.0.0.json")
                 .read_text())
SYNC = "#/paths/~1registry~1sync~1search/post"


BROKEN = "#/paths/~1registry~1search/post/requestBody/content/application~1json/schema/properties/message/oneOf/0/"


def _refs(node, fix) -> int:
    n = 0
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str) and node["$ref"].startswith(BROKEN):
            node["$ref"] = fix(node["$ref"])
            n += 1
        for v in node.values():
            n += _refs(v, fix)
    elif isinstance(node, list):
        for v in node:
            n += _refs(v, fix)
    return n


def corrected() -> dict:
    doc = copy.deepcopy(RAW)
    # 1. The predicate query's attribute_value and expression2 refer into the inline schema of
    #    /registry/search's message (".../message/oneOf/0/properties/search_request/..."), but that
    #    oneOf/0 is itself a $ref to SearchRequest: the pointer leads nowhere. Pointed at SearchRequest.
    fixed = _refs(doc, lambda r: "#/components/schemas/SearchRequest/" + r[len(BROKEN):])
    assert fixed >= 2, fixed
    # 2. An identifier's / attribute's value is oneOf string | integer | number | boolean | object:
    #    an integer (a birth year 1950) is also a number, so oneOf refuses every integer: read as anyOf.
    q = doc["components"]["schemas"]["SearchRequest"]["properties"]["search_request"]["items"]["properties"][
        "search_criteria"]["properties"]["query"]
    value = q["oneOf"][1]["properties"]["value"]["allOf"][1]
    value["anyOf"] = value.pop("oneOf")
    return doc


DOC = corrected()


def _validator(ref: str) -> Draft202012Validator:
    root = {k: v for k, v in DOC.items() if k in ("paths", "components")}
    return Draft202012Validator({"$ref": ref, **root}, format_checker=Draft202012Validator.FORMAT_CHECKER)


REQUEST = _validator(SYNC + "/requestBody/content/application~1json/schema")
ANSWER = _validator(SYNC + "/responses/default/content/application~1json/schema")
HTTP_ERROR = _validator("#/components/responses/HttpErrorResponse/content/application~1json/schema")


def _errors(v, body) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in v.iter_errors(body)]


def request_errors(body: dict) -> list[str]:
    return _errors(REQUEST, body)


def answer_errors(body: dict) -> list[str]:
    return _errors(ANSWER, body)


def http_error_errors(body: dict) -> list[str]:
    return _errors(HTTP_ERROR, body)
