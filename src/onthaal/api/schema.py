"""What every operation of the API can answer besides its success, written into the schema
once, here, instead of on each view (a drf-spectacular post-processing hook).

Every operation takes input (a parameter, a body or an id in its path), so every one can say
400 with the error shape; an operation that needs a signed-in caller says 401 and 403; one
with an id in its path says 404. The views still document what is their own (409, 413, 429).
"""

from __future__ import annotations

from typing import Any

ERROR = {"$ref": "#/components/schemas/Error"}
DESCRIPTIONS = {
    "400": "Bad input: `fields` names each field that cannot be read and why.",
    "401": "No credentials, or a token that is unknown or revoked.",
    "403": "The caller's roles do not allow this.",
    "404": "Nothing with this id that the caller may see.",
}


def document_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = ["400"]
            if {} not in operation.get("security", [{}]):
                codes += ["401", "403"]
            if "{" in path:
                codes.append("404")
            responses = operation["responses"]
            for code in codes:
                if code not in responses:
                    responses[code] = {
                        "content": {"application/json": {"schema": ERROR}},
                        "description": DESCRIPTIONS[code],
                    }
            operation["responses"] = dict(sorted(responses.items()))
    return result
