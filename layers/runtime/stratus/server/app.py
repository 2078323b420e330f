"""The app factory: one FastAPI app serves the channels and, with `enable_api`, the
HTTP API. `stratus run` serves it with uvicorn; a Lambda door wraps it in Mangum."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse

from stratus import RASA_COMPATIBLE_VERSION, __version__
from stratus.agent import Agent
from stratus.channels import AsyncDispatcher, ChannelOptions, include_channels
from stratus.core.actions.client import ActionClient
from stratus.core.processor import MessageProcessor
from stratus.server.api import api_router
from stratus.server.auth import Authenticator
from stratus.server.errors import ApiError, api_error_for, error_body
from stratus.server.limits import BodySizeLimit
from stratus.server.openapi import install_openapi
from stratus.shared.endpoints import AvailableEndpoints
from stratus.shared.exceptions import StratusError
from stratus.stores.base import TrackerStore

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
# Rasa 3.6's MINIMUM_COMPATIBLE_VERSION, which clients such as Rasa X compare against.
MINIMUM_COMPATIBLE_VERSION = "3.5.0"


def create_app(
    agent: Agent,
    store: TrackerStore,
    *,
    endpoints: AvailableEndpoints | None = None,
    credentials: Mapping[str, Any] | None = None,
    enable_api: bool = False,
    auth_token: str | None = None,
    jwt_secret: str | None = None,
    cors: Sequence[str] = (),
    action_client: ActionClient | None = None,
    dispatcher: AsyncDispatcher | None = None,
    channel_options: ChannelOptions | None = None,
    processor_options: Mapping[str, Any] | None = None,
    processor: MessageProcessor | None = None,
) -> FastAPI:
    """The server for one loaded model. Without credentials the REST channel is on (as
    in Rasa); with them, the channels they name. Auth applies to the HTTP API and is on
    when a token or JWT secret is given. Platform channels (Slack, Telegram, Messenger)
    run their turns through `dispatcher` (default: a ThreadDispatcher in this process)
    and reach the platforms as `channel_options` says (see stratus.channels);
    `processor_options` go to the MessageProcessor (event broker, model id, hooks);
    a door may pass its own `processor` instead (an A/B split over two models)."""
    if processor is None:
        processor = agent.processor(
            store, endpoints, action_client=action_client, **dict(processor_options or {})
        )
    app = FastAPI(
        title="Stratus",
        version=__version__,
        description=f"Rasa {RASA_COMPATIBLE_VERSION} compatible channels and HTTP API.",
    )
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)
    if cors:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors),
            allow_methods=["*"],
            allow_headers=["*"],
            allow_credentials="*" not in cors,
        )
    _add_error_handlers(app)

    @app.get("/", response_class=PlainTextResponse, summary="Greeting with the version")
    def hello() -> str:
        return f"Hello from Rasa: {RASA_COMPATIBLE_VERSION}"

    @app.get("/version", summary="Versions")
    def version() -> dict[str, str]:
        return {
            "version": RASA_COMPATIBLE_VERSION,
            "minimum_compatible_version": MINIMUM_COMPATIBLE_VERSION,
            "stratus_version": __version__,
        }

    include_channels(app, processor, credentials, dispatcher=dispatcher, options=channel_options)
    if enable_api:
        app.include_router(
            api_router(agent, processor, store, Authenticator(auth_token, jwt_secret))
        )
    install_openapi(app)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    def api_error(_: Request, error: ApiError) -> JSONResponse:
        return JSONResponse(error.body(), status_code=error.status)

    @app.exception_handler(StratusError)
    def stratus_error(_: Request, error: StratusError) -> JSONResponse:
        answer = api_error_for(error)
        if answer.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            logger.error("%s: %s", type(error).__name__, error)
        return JSONResponse(answer.body(), status_code=answer.status)

    @app.exception_handler(RequestValidationError)
    def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = [_problem(e) for e in error.errors()]
        message = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        body = error_body(
            HTTPStatus.BAD_REQUEST,
            "BadRequest",
            f"Invalid request: {message}",
            {"errors": problems},
        )
        return JSONResponse(body, status_code=HTTPStatus.BAD_REQUEST)

    @app.exception_handler(Exception)
    def unexpected(_: Request, error: Exception) -> JSONResponse:
        # Starlette re-raises the error after this answer, so the server logs it once.
        answer = api_error_for(error)
        return JSONResponse(answer.body(), status_code=answer.status)


def _problem(error: Mapping[str, Any]) -> dict[str, str]:
    """One validation error as `{"field", "message", "type"}`; `field` is dotted
    (`metadata.user`), or `body` when the body as a whole is wrong (bad JSON)."""
    loc = [str(part) for part in error.get("loc", ())]
    if loc and loc[0] in ("body", "query", "path", "header"):
        where, loc = loc[0], loc[1:]
    else:
        where = "body"
    kind = str(error.get("type", ""))
    if kind == "json_invalid" or not loc:
        field = where
    else:
        field = ".".join(loc)
    return {"field": field, "message": str(error.get("msg", "")), "type": kind}
