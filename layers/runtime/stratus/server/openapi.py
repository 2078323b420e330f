"""The OpenAPI document as FastAPI generates it, corrected to what the server answers:
bad input is a 400 with Rasa's error body (not FastAPI's 422), and every other error
has that body too."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
ERROR_RESPONSE = {
    "description": "Rasa's error body",
    "content": {"application/json": {"schema": ERROR_REF}},
}


class ErrorBody(BaseModel):
    """Rasa's error body."""

    version: str
    status: str = "failure"
    message: str
    reason: str
    details: Any = None
    help: str | None = None
    code: int


def install_openapi(app: FastAPI) -> None:
    """Replace `app.openapi` with the corrected, cached document."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            for operations in doc.get("paths", {}).values():
                for operation in operations.values():
                    responses = operation.setdefault("responses", {})
                    if responses.pop("422", None) is not None:
                        responses["400"] = {**ERROR_RESPONSE, "description": "Bad request"}
                    responses.setdefault("default", ERROR_RESPONSE)
            schemas = doc.setdefault("components", {}).setdefault("schemas", {})
            for unused in ("HTTPValidationError", "ValidationError"):
                schemas.pop(unused, None)
            schemas["ErrorBody"] = ErrorBody.model_json_schema()
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
