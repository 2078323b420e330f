"""The REST channel (Rasa's `RestInput`): `POST /webhooks/rest/webhook` answers with the
bot's messages; `?stream=true` sends them as a `text/event-stream`, one JSON per line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError

from stratus.core.processor import MessageProcessor, UserMessage
from stratus.server.schemas import RestWebhookBody

CHANNEL_NAME = "rest"
# Rasa's REST channel collects replies in a CollectingOutputChannel named "collector";
# channel-specific responses (`channel: collector`) are chosen by that name.
OUTPUT_CHANNEL_NAME = "collector"


async def webhook_body(request: Request) -> RestWebhookBody:
    """The body as JSON whatever its Content-Type: Rasa reads it so, and `curl -d`
    sends form-encoded by default."""
    try:
        data = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        error = {"type": "json_invalid", "loc": ("body",), "msg": "JSON decode error"}
        raise RequestValidationError([error]) from None
    try:
        return RestWebhookBody.model_validate(data)
    except ValidationError as e:
        errors = [{**error, "loc": ("body", *error["loc"])} for error in e.errors()]
        raise RequestValidationError(errors) from None


_BODY_SCHEMA = {
    "required": True,
    "content": {"application/json": {"schema": RestWebhookBody.model_json_schema()}},
}


def rest_router(processor: MessageProcessor) -> APIRouter:
    """Routes of the REST channel over one processor."""
    router = APIRouter(prefix="/webhooks/rest", tags=["REST channel"])

    @router.get("/", summary="Health check of the channel")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.post(
        "/webhook",
        summary="Send a user message, receive the bot's messages",
        response_model=None,
        responses={200: {"content": {"text/event-stream": {}}}},
        openapi_extra={"requestBody": _BODY_SCHEMA},
    )
    async def webhook(
        body: Annotated[RestWebhookBody, Depends(webhook_body)],
        stream: bool = Query(False, description="answer as text/event-stream"),
    ) -> JSONResponse | StreamingResponse:
        message = UserMessage(
            body.message.strip(),
            sender_id=body.sender,
            input_channel=body.input_channel or CHANNEL_NAME,
            output_channel=OUTPUT_CHANNEL_NAME,
            metadata=body.metadata,
        )
        # The turn waits for the conversation's lock and the store, so it runs in the
        # thread pool; one hop, where a sync endpoint and its serialisation take two.
        result = await run_in_threadpool(processor.handle_message, message)
        messages = result.messages
        if not stream:
            return JSONResponse(messages)
        # The turn runs to its end before anything is sent: its events are committed
        # first, so a client that drops the stream loses no event.
        return StreamingResponse(_lines(messages), media_type="text/event-stream")

    return router


def _lines(messages: list[dict[str, Any]]) -> Iterator[str]:
    for message in messages:
        yield json.dumps(message) + "\n"
