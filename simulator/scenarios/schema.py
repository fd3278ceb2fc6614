"""The JSON Schema of scenarios.yaml, built from the loader's own key lists so the two cannot drift.

`python -m simulator.scenarios.schema > scenarios.schema.json` regenerates the published file;
a test fails when it is out of date. Editors (VS Code's YAML extension and others) can use it
with `# yaml-language-server: $schema=./scenarios.schema.json`.
"""

from __future__ import annotations

import json
from typing import Any

from simulator.core.flows import Flows, api_errors_of, channels_of, faces_of
from simulator.scenarios import loader

SCHEMA_ID = "https://github.com/postman-sim/postman-sim/scenarios.schema.json"
DURATION_PATTERN = r"^\+?\s*\d+(\.\d+)?\s*(ms|s|m|h)?$"


def _object(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    schema.update(extra)
    return schema


def _one_of_keys(keys: list[str]) -> dict[str, Any]:
    return {"oneOf": [{"required": [k]} for k in keys]}


def build_schema(flows: Flows) -> dict[str, Any]:
    """The schema for these flows (every registered face's: `faces.flows()`)."""
    statuses = sorted({s for flow in flows.values() for s in flow.statuses})
    face_ids, channels = sorted(faces_of(flows)), sorted(channels_of(flows))
    documented = sorted({code for face in face_ids for code in api_errors_of(flows, face)})
    duration = {"oneOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": DURATION_PATTERN}],
                "description": "seconds: a number, or a string like \"500ms\", \"30s\", \"5m\", \"1h\""}
    moment = {"anyOf": [{"$ref": "#/$defs/duration"}, {"type": "string", "format": "date-time"}],
              "description": "an offset from the scenario start (+0s, +10m) or an ISO 8601 time"}
    recipient = {"type": "string", "description": "quote phone numbers: YAML reads +6591234567 as an integer"}
    outcome_refs = {"timeline": {"type": "string"}, "steps": {"$ref": "#/$defs/steps"}}
    weighted = {"type": "array", "minItems": 1, "items": _object(
        {"weight": {"type": "number", "exclusiveMinimum": 0}, "name": {"type": "string"}, **outcome_refs},
        ["weight"], **_one_of_keys(["timeline", "steps"]))}
    sequence = {"type": "array", "minItems": 1, "items": _object(
        {"repeat": {"type": "integer", "minimum": 1}, "name": {"type": "string"}, **outcome_refs,
         "outcomes": {"$ref": "#/$defs/weighted"}},
        None, **_one_of_keys(["timeline", "steps", "outcomes"]))}
    outcome_props = {**outcome_refs, "outcomes": {"$ref": "#/$defs/weighted"},
                     "sequence": {"$ref": "#/$defs/sequence"}}
    defs: dict[str, Any] = {
        "duration": duration,
        "moment": moment,
        "window": _object({"from": {"$ref": "#/$defs/moment"}, "until": {"$ref": "#/$defs/moment"},
                           "hours": {"type": "string", "pattern": r"^\s*\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}\s*$",
                                     "description": "daily, Singapore time, e.g. \"08:00-10:00\""}}),
        "error": _object({k: {"type": "string"} for k in sorted(loader.ERROR_KEYS)}, ["code"]),
        "step": _object({"after": {"$ref": "#/$defs/duration"}, "jitter": {"$ref": "#/$defs/duration"},
                         "status": {"enum": statuses}, "error": {"$ref": "#/$defs/error"}}, ["status"]),
        "steps": {"type": "array", "items": {"$ref": "#/$defs/step"}},
        "weighted": weighted,
        "sequence": sequence,
        "match": _object({
            "face": {"enum": face_ids}, "channel": {"enum": channels}, "tenant": {"type": "string"},
            "recipient": {"oneOf": [recipient, {"type": "array", "items": recipient}]},
            "recipient_prefix": recipient, "recipient_glob": recipient, "recipient_regex": {"type": "string"},
            "content": {"type": "string"}, "content_regex": {"type": "string"},
        }),
        "rule": _object({"name": {"type": "string"}, "description": {"type": "string"},
                         "match": {"$ref": "#/$defs/match"}, "active": {"$ref": "#/$defs/window"},
                         **outcome_props}, ["match"], **_one_of_keys(["timeline", "steps", "outcomes", "sequence"]))
        | {"additionalProperties": True},  # faces may extend rules; the loader flags misspelt keys only
        "default": {"oneOf": [{"type": "string"}, _object(
            outcome_props, None, **_one_of_keys(["timeline", "steps", "outcomes", "sequence"]))]},
        "latency": {"oneOf": [
            {"$ref": "#/$defs/duration"},
            _object({"uniform": {"type": "array", "minItems": 2, "maxItems": 2,
                                 "items": {"$ref": "#/$defs/duration"}}}, ["uniform"]),
            _object({"normal": _object({"mean": {"$ref": "#/$defs/duration"},
                                        "stddev": {"$ref": "#/$defs/duration"}}, ["mean"])}, ["normal"]),
            _object({"exponential": _object({"mean": {"$ref": "#/$defs/duration"}}, ["mean"])}, ["exponential"]),
        ]},
        "fault": _object({
            "name": {"type": "string"}, "description": {"type": "string"},
            "match": _object({"face": {"enum": face_ids},
                              "method": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
                              "path": {"type": "string"}, "tenant": {"type": "string"}}),
            "error": {"oneOf": [
                {"enum": list(loader.FAULT_STATUSES)},
                _object({"code": {"enum": documented, "description": "a documented error of the fault's face "
                                  "(match.face): the face gives its status and message"}}, ["code"])]},
            "respond": _object({"status": {"type": "integer", "minimum": 200, "maximum": 599},
                                "body": {"type": ["object", "array", "string"]},
                                "headers": {"type": "object", "additionalProperties": {"type": ["string", "number"]}}},
                               ["status"], description="an answer exactly as written, in no face's shape"),
            "latency": {"$ref": "#/$defs/latency"},
            "drop": {"type": "boolean"}, "timeout": {"$ref": "#/$defs/duration"},
            "probability": {"type": "number", "minimum": 0, "maximum": 1},
            "nth": {"oneOf": [{"type": "integer", "minimum": 1},
                              {"type": "array", "items": {"type": "integer", "minimum": 1}}]},
            "first": {"type": "integer", "minimum": 1}, "every": {"type": "integer", "minimum": 1},
            "burst": {"type": "integer", "minimum": 1}, "processed": {"type": "boolean"},
            "retry_after": {"type": "integer", "minimum": 1}, "active": {"$ref": "#/$defs/window"},
        }, None, anyOf=[{"required": [k]} for k in ("error", "respond", "latency", "drop", "timeout")]),
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "postman-sim scenarios file",
        "description": "What the simulator does to each message, and API-level faults. Keys not listed here "
                       "are face sections (v2, v1, qlara, webhooks, ...), read by each face.",
        "type": "object",
        "properties": {
            "version": {"enum": list(loader.SUPPORTED_VERSIONS)},
            "mode": {"enum": ["open", "strict"]},
            "extends": {"type": "string", "description": "layer this file over `default` (the bundled scenarios) "
                        "or another scenarios file: its rules first, its timelines/defaults/settings win"},
            "timelines": {"type": "object", "additionalProperties": {"$ref": "#/$defs/steps"}},
            "rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}},
            "defaults": {"type": "object", "propertyNames": {"enum": sorted(flows)},
                         "additionalProperties": {"$ref": "#/$defs/default"}},
            "faults": {"type": "array", "items": {"$ref": "#/$defs/fault"}},
        },
        "$defs": defs,
    }


def schema_text(flows: Flows) -> str:
    return json.dumps(build_schema(flows), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    from simulator import faces

    print(schema_text(faces.flows()), end="")
