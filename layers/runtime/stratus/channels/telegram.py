"""The Telegram channel (Rasa's TelegramInput): Bot API webhook updates.

`POST /webhooks/telegram/webhook` takes an Update. Telegram sends the webhook's
`secret_token` in `X-Telegram-Bot-Api-Secret-Token`; credentials.yml's
`secret_token` (Stratus' addition to Rasa's `access_token`, `verify`,
`webhook_url`) must match it, so nobody else can speak for the bot's users. An
update is acknowledged at once and its turn runs through the dispatcher: Telegram
redelivers updates whose webhook is slow or fails, and a redelivery (same
`update_id`) is dropped. Text messages and inline-keyboard clicks (`callback_query`,
whose data is the button's payload) are understood; other updates are acknowledged
and ignored. `register_webhook` calls `setWebhook` with the URL and secret; the
deployment calls it (Rasa does at start-up, which a Lambda cold start should not).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from stratus.channels.base import (
    Channel,
    ChannelServices,
    InboundMessage,
    JsonDict,
    parse_json,
    required_setting,
    unauthorized,
    validate_body,
)
from stratus.channels.client import ChannelDeliveryError
from stratus.channels.formatting import telegram_requests

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class TelegramUser(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int


class TelegramChat(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int


class TelegramMessage(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    message_id: int
    chat: TelegramChat
    sender: TelegramUser | None = Field(None, alias="from")
    text: str | None = None


class TelegramCallbackQuery(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id: str
    sender: TelegramUser = Field(alias="from")
    message: TelegramMessage | None = None
    data: str | None = None


class TelegramUpdate(BaseModel):
    model_config = ConfigDict(extra="allow")

    update_id: int
    message: TelegramMessage | None = None
    callback_query: TelegramCallbackQuery | None = None


class TelegramChannel(Channel):
    """Telegram over the Bot API, configured by credentials.yml's `telegram`."""

    name: ClassVar[str] = "telegram"

    def __init__(
        self,
        services: ChannelServices,
        settings: Mapping[str, Any],
        *,
        api_url: str = DEFAULT_API_URL,
    ) -> None:
        super().__init__(services)
        self.access_token = required_setting(settings, self.name, "access_token")
        self.verify = required_setting(settings, self.name, "verify")
        self.webhook_url = required_setting(settings, self.name, "webhook_url")
        self.secret_token = required_setting(settings, self.name, "secret_token")
        self.api_url = api_url.rstrip("/")

    # -- inbound ---------------------------------------------------------------------

    def router(self) -> APIRouter:
        router = APIRouter(prefix="/webhooks/telegram", tags=["Telegram channel"])

        @router.get("/", summary="Health check of the channel")
        def health() -> dict[str, str]:
            return {"status": "ok"}

        @router.post("/webhook", summary="Telegram Bot API updates")
        async def webhook(request: Request) -> dict[str, Any]:
            raw = await request.body()
            self.verify_secret(request.headers)
            update = validate_body(TelegramUpdate, parse_json(raw))
            message = self.parse_update(update)
            if message is not None:
                await run_in_threadpool(self.accept, [message], str(update.update_id))
            return {"ok": True}

        return router

    def verify_secret(self, headers: Mapping[str, str]) -> None:
        """The webhook's secret token, compared in constant time."""
        given = headers.get(SECRET_HEADER.lower(), "")
        if not hmac.compare_digest(given.encode(), self.secret_token.encode()):
            raise unauthorized(f"{SECRET_HEADER} is missing or wrong.")

    def parse_update(self, update: TelegramUpdate) -> InboundMessage | None:
        """The user message of an update (text or button click), or None."""
        callback = update.callback_query
        if callback is not None:
            if callback.data is None:
                return None
            chat_id = callback.message.chat.id if callback.message else callback.sender.id
            return InboundMessage(
                sender_id=str(chat_id),
                text=callback.data,
                reply_to={"chat_id": chat_id, "callback_query_id": callback.id},
                metadata={"update_id": update.update_id, "user_id": callback.sender.id},
            )
        message = update.message
        if message is None or not message.text:
            logger.debug("telegram: update %s has no text; ignored.", update.update_id)
            return None
        text = message.text
        # In groups commands are addressed as /command@botname.
        text = text.replace(f"@{self.verify}", "") if text.startswith("/") else text
        metadata: JsonDict = {"update_id": update.update_id, "message_id": message.message_id}
        if message.sender is not None:
            metadata["user_id"] = message.sender.id
        return InboundMessage(
            sender_id=str(message.chat.id),
            text=text,
            reply_to={"chat_id": message.chat.id},
            metadata=metadata,
        )

    # -- outbound --------------------------------------------------------------------

    def acknowledged(self, message: InboundMessage) -> None:
        """Stop the clicked button's spinner (answerCallbackQuery)."""
        callback_id = message.reply_to.get("callback_query_id")
        if callback_id:
            self.call("answerCallbackQuery", {"callback_query_id": callback_id})

    def deliver(self, message: InboundMessage, replies: list[JsonDict]) -> None:
        for method, body in telegram_requests(message.reply_to["chat_id"], replies):
            self.call(method, body)

    def call(self, method: str, body: JsonDict) -> JsonDict:
        """One Bot API call; Telegram answers `{"ok": false, "description"}` on errors."""
        response = self.services.client.post_json(
            f"{self.api_url}/bot{self.access_token}/{method}", body
        )
        if not response.ok or response.body.get("ok") is not True:
            raise ChannelDeliveryError(
                f"telegram {method} failed: status {response.status}, "
                f"{response.body.get('description', 'no description')!r}"
            )
        return response.body

    def register_webhook(self) -> JsonDict:
        """Point the bot at `webhook_url` with the secret token (setWebhook)."""
        return self.call("setWebhook", {"url": self.webhook_url, "secret_token": self.secret_token})
