"""The Facebook Messenger channel (Rasa's FacebookInput): page webhooks and the Send API.

`GET /webhooks/facebook/webhook` answers Meta's subscription check
(`hub.mode=subscribe`, `hub.verify_token` = credentials' `verify`) with
`hub.challenge`. `POST` takes page events signed with the app `secret` in
`X-Hub-Signature-256`; Stratus refuses a bad signature with 401 (Rasa checks the
older SHA-1 header and answers 200). Each message is acknowledged at once and its
turn runs through the dispatcher, because Meta retries slow webhooks; a redelivered
message (same `mid`) is dropped. Text, quick-reply clicks, postbacks (their
payload) and attachments (their URL) are understood; echoes, deliveries and reads
are ignored. Replies go to the Send API (`/me/messages`), buttons as quick replies.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict

from stratus.channels.base import (
    Channel,
    ChannelServices,
    InboundMessage,
    JsonDict,
    missing_field,
    parse_json,
    required_setting,
    unauthorized,
    validate_body,
)
from stratus.channels.client import ChannelDeliveryError
from stratus.channels.formatting import messenger_messages
from stratus.server.errors import ApiError

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://graph.facebook.com/v18.0"
SIGNATURE_HEADER = "X-Hub-Signature-256"


class FacebookParty(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str


class FacebookQuickReply(BaseModel):
    model_config = ConfigDict(extra="allow")

    payload: str


class FacebookMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    mid: str | None = None
    text: str | None = None
    is_echo: bool = False
    quick_reply: FacebookQuickReply | None = None
    attachments: list[dict[str, Any]] = []


class FacebookPostback(BaseModel):
    model_config = ConfigDict(extra="allow")

    payload: str | None = None
    title: str | None = None
    mid: str | None = None


class FacebookMessaging(BaseModel):
    model_config = ConfigDict(extra="allow")

    sender: FacebookParty
    recipient: FacebookParty
    timestamp: int | None = None
    message: FacebookMessage | None = None
    postback: FacebookPostback | None = None


class FacebookEntry(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str | None = None
    messaging: list[FacebookMessaging] = []


class FacebookBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    object: str
    entry: list[FacebookEntry]


class FacebookChannel(Channel):
    """Messenger over a page webhook, configured by credentials.yml's `facebook`."""

    name: ClassVar[str] = "facebook"

    def __init__(
        self,
        services: ChannelServices,
        settings: Mapping[str, Any],
        *,
        api_url: str = DEFAULT_API_URL,
    ) -> None:
        super().__init__(services)
        self.verify = required_setting(settings, self.name, "verify")
        self.secret = required_setting(settings, self.name, "secret")
        self.page_access_token = required_setting(settings, self.name, "page-access-token")
        self.api_url = api_url.rstrip("/")

    # -- inbound ---------------------------------------------------------------------

    def router(self) -> APIRouter:
        router = APIRouter(prefix="/webhooks/facebook", tags=["Facebook Messenger channel"])

        @router.get("/", summary="Health check of the channel")
        def health() -> dict[str, str]:
            return {"status": "ok"}

        @router.get(
            "/webhook", summary="Meta's subscription check", response_class=PlainTextResponse
        )
        def subscribe(request: Request) -> str:
            return self.challenge(request.query_params)

        @router.post("/webhook", summary="Messenger page events")
        async def webhook(request: Request) -> dict[str, Any]:
            raw = await request.body()
            self.verify_signature(raw, request.headers)
            body = validate_body(FacebookBody, parse_json(raw))
            if body.object != "page":
                logger.debug("facebook: object '%s' ignored.", body.object)
                return {"ok": True}
            for message, delivery in self.parse_body(body):
                await run_in_threadpool(self.accept, [message], delivery)
            return {"ok": True}

        return router

    def challenge(self, query: Mapping[str, str]) -> str:
        """`hub.challenge` when the subscription request carries the verify token."""
        for key in ("hub.mode", "hub.verify_token", "hub.challenge"):
            if not query.get(key):
                raise missing_field(("query", key))
        if query["hub.mode"] != "subscribe" or not hmac.compare_digest(
            query["hub.verify_token"].encode(), self.verify.encode()
        ):
            raise ApiError(
                HTTPStatus.FORBIDDEN, "NotAuthorized", "hub.verify_token does not match."
            )
        return query["hub.challenge"]

    def verify_signature(self, raw: bytes, headers: Mapping[str, str]) -> None:
        """`sha256=<hex HMAC of the body with the app secret>`."""
        given = headers.get(SIGNATURE_HEADER.lower(), "")
        if not hmac.compare_digest(given.encode(), sign(self.secret, raw).encode()):
            raise unauthorized(f"{SIGNATURE_HEADER} is missing or does not match the body.")

    def parse_body(self, body: FacebookBody) -> list[tuple[InboundMessage, str | None]]:
        """The user messages of a page event, each with its id for deduplication."""
        out: list[tuple[InboundMessage, str | None]] = []
        for entry in body.entry:
            for event in entry.messaging:
                text, mid = self._text(event)
                if not text:
                    continue
                delivery = mid or (
                    f"{event.sender.id}:{event.timestamp}" if event.timestamp else None
                )
                message = InboundMessage(
                    sender_id=event.sender.id,
                    text=text,
                    reply_to={"recipient_id": event.sender.id},
                    metadata={"page_id": event.recipient.id, "mid": mid},
                )
                out.append((message, delivery))
        return out

    @staticmethod
    def _text(event: FacebookMessaging) -> tuple[str | None, str | None]:
        """(text, mid) of a user's message or postback; no text for other events and
        for messages with nothing Stratus can read (acknowledged, so Meta does not retry)."""
        if event.postback is not None:
            return event.postback.payload or event.postback.title, event.postback.mid
        message = event.message
        if message is None or message.is_echo:
            return None, None
        if message.quick_reply is not None:
            return message.quick_reply.payload, message.mid
        if message.text:
            return message.text, message.mid
        for attachment in message.attachments:
            url = (attachment.get("payload") or {}).get("url")
            if url:
                return str(url), message.mid
        return "", message.mid

    # -- outbound --------------------------------------------------------------------

    def deliver(self, message: InboundMessage, replies: list[JsonDict]) -> None:
        for body in messenger_messages(str(message.reply_to["recipient_id"]), replies):
            self.send(body)

    def send(self, body: JsonDict) -> JsonDict:
        """One Send API call."""
        response = self.services.client.post_json(
            f"{self.api_url}/me/messages?access_token={self.page_access_token}", body
        )
        if not response.ok:
            error = response.body.get("error") or {}
            raise ChannelDeliveryError(
                f"facebook Send API failed: status {response.status}, "
                f"{error.get('message', 'no message')!r}"
            )
        return response.body


def sign(secret: str, raw: bytes) -> str:
    """The `X-Hub-Signature-256` value of a body."""
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
