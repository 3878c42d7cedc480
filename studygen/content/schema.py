"""JSON Schemas of the content format, generated from the model, for editors that speak yaml-language-server."""

from __future__ import annotations

import json
from typing import Any

from studygen.content.model import Course, Topic

SCHEMA_KINDS = {"course": Course, "topic": Topic}


def json_schema(kind: str) -> dict[str, Any]:
    schema = SCHEMA_KINDS[kind].model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"{kind}.schema.json"
    return schema


def schema_files() -> dict[str, bytes]:
    """`course.schema.json` and `topic.schema.json`, as published with the site."""
    return {
        f"{kind}.schema.json": (json.dumps(json_schema(kind), indent=2, sort_keys=True) + "\n").encode("utf-8")
        for kind in sorted(SCHEMA_KINDS)
    }
