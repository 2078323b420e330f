"""The Slack channel (Rasa's SlackInput): Events API messages and Block Kit button clicks.

`POST /webhooks/slack/webhook` takes Events API callbacks (JSON) and interactive
`block_actions` payloads (form-encoded `payload=`). Every request must carry a valid
v0 signature made with `slack_signing_secret` within 5 minutes; `url_verification`
is answered with its challenge. A message is acknowledged at once and its turn runs
through the dispatcher; replies go out by `chat.postMessage`, buttons as an actions
block. Retries Slack sends because the first delivery timed out
(`errors_ignore_retry`, default `http_timeout`) are acknowledged and dropped, as are
repeats of a message already seen (same channel and `ts`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict

from stratus.channels.base import (
    Channel,
    ChannelServices,
    InboundMessage,
    JsonDict,
    missing_field,
    optional_setting,
    parse_json,
    required_setting,
    unauthorized,
    validate_body,
)
from stratus.channels.client import ChannelDeliveryError
from stratus.channels.formatting import slack_messages
from stratus.shared.exceptions import ConfigError
from stratus.shared.problems import Problem

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api"
SIGNATURE_WINDOW_SECONDS = 5 * 60
GRANULARITIES = ("sender", "channel", "thread")
# Subtypes that are still a person writing; the others are edits, joins, bots ...
_USER_SUBTYPES = {None, "file_share", "thread_broadcast"}
_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|[^>]*)?>")


class SlackEvent(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    user: str | None = None
    text: str | None = None
    channel: str | None = None
    ts: str | None = None
    thread_ts: str | None = None
    bot_id: str | None = None
    subtype: str | None = None
    channel_type: str | None = None


class SlackAuthorization(BaseModel):
    model_config = ConfigDict(extra="allow")

    user_id: str | None = None
    is_bot: bool = False


class SlackEnvelope(BaseModel):
    """An Events API request (`url_verification` or `event_callback`)."""

    model_config = ConfigDict(extra="allow")

    type: str
    challenge: str | None = None
    event_id: str | None = None
    event: SlackEvent | None = None
    authorizations: list[SlackAuthorization] = []


class SlackId(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str


class SlackAction(BaseModel):
    model_config = ConfigDict(extra="allow")

    action_id: str | None = None
    value: str | None = None
    action_ts: str | None = None
    selected_option: dict[str, Any] | None = None


class SlackInteraction(BaseModel):
    """An interactive payload; Stratus answers `block_actions` (button clicks)."""

    model_config = ConfigDict(extra="allow")

    type: str
    user: SlackId
    channel: SlackId | None = None
    actions: list[SlackAction] = []
    message: dict[str, Any] | None = None
    container: dict[str, Any] | None = None


class SlackChannel(Channel):
    """Slack over the Events API and Web API, configured by credentials.yml's `slack`."""

    name: ClassVar[str] = "slack"

    def __init__(
        self,
        services: ChannelServices,
        settings: Mapping[str, Any],
        *,
        api_url: str = DEFAULT_API_URL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(services)
        self.token = required_setting(settings, self.name, "slack_token")
        self.signing_secret = required_setting(settings, self.name, "slack_signing_secret")
        self.slack_channel = optional_setting(settings, "slack_channel")
        self.use_threads = bool(settings.get("use_threads", False))
        self.granularity = str(settings.get("conversation_granularity") or "sender")
        if self.granularity not in GRANULARITIES:
            raise ConfigError(
                Problem(
                    f"conversation_granularity must be one of {', '.join(GRANULARITIES)}, "
                    f"not '{self.granularity}'",
                    "credentials.yml",
                    field="slack.conversation_granularity",
                )
            )
        self.retry_number_header = str(
            settings.get("slack_retry_number_header") or "X-Slack-Retry-Num"
        )
        self.retry_reason_header = str(
            settings.get("slack_retry_reason_header") or "X-Slack-Retry-Reason"
        )
        ignore = settings.get("errors_ignore_retry")
        self.errors_ignore_retry = (
            frozenset(str(e) for e in ignore) if ignore else frozenset({"http_timeout"})
        )
        self.api_url = api_url.rstrip("/")
        self.clock = clock

    # -- inbound ---------------------------------------------------------------------

    def router(self) -> APIRouter:
        router = APIRouter(prefix="/webhooks/slack", tags=["Slack channel"])

        @router.get("/", summary="Health check of the channel")
        def health() -> dict[str, str]:
            return {"status": "ok"}

        @router.post("/webhook", summary="Slack Events API and interactivity requests")
        async def webhook(request: Request) -> dict[str, Any]:
            raw = await request.body()
            self.verify_signature(raw, request.headers)
            if request.headers.get(self.retry_number_header) and (
                request.headers.get(self.retry_reason_header) in self.errors_ignore_retry
            ):
                logger.info(
                    "slack: retry %s (%s) ignored: the first delivery was acknowledged.",
                    request.headers.get(self.retry_number_header),
                    request.headers.get(self.retry_reason_header),
                )
                return {"ok": True}
            content_type = request.headers.get("content-type", "")
            if content_type.startswith("application/x-www-form-urlencoded"):
                message, delivery = self.parse_interaction(raw)
            else:
                envelope = validate_body(SlackEnvelope, parse_json(raw))
                if envelope.type == "url_verification":
                    if envelope.challenge is None:
                        raise missing_field(("body", "challenge"))
                    return {"challenge": envelope.challenge}
                message, delivery = self.parse_event(envelope)
            if message is not None:
                await run_in_threadpool(self.accept, [message], delivery)
            return {"ok": True}

        return router

    def verify_signature(self, raw: bytes, headers: Mapping[str, str]) -> None:
        """Slack's v0 signature over `v0:<timestamp>:<body>`, within 5 minutes of now."""
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not timestamp or not signature:
            raise unauthorized("The request has no Slack signature headers.")
        try:
            age = abs(self.clock() - int(timestamp))
        except ValueError:
            raise unauthorized("X-Slack-Request-Timestamp is not a number.") from None
        if age > SIGNATURE_WINDOW_SECONDS:
            raise unauthorized("X-Slack-Request-Timestamp is more than 5 minutes off.")
        if not hmac.compare_digest(sign(self.signing_secret, timestamp, raw), signature):
            raise unauthorized("X-Slack-Signature does not match the request.")

    def parse_event(self, envelope: SlackEnvelope) -> tuple[InboundMessage | None, str | None]:
        """The user message of an `event_callback`, or None for anything else."""
        if envelope.type != "event_callback":
            logger.debug("slack: request type '%s' ignored.", envelope.type)
            return None, None
        event = envelope.event
        if event is None:
            raise missing_field(("body", "event"))
        bots = {a.user_id for a in envelope.authorizations if a.is_bot and a.user_id}
        if (
            event.type not in ("message", "app_mention")
            or event.bot_id
            or event.subtype not in _USER_SUBTYPES
            or (event.user is not None and event.user in bots)
        ):
            return None, None
        user, channel, ts = event.user, event.channel, event.ts
        if user is None:
            raise missing_field(("body", "event", "user"))
        if channel is None:
            raise missing_field(("body", "event", "channel"))
        if ts is None:
            raise missing_field(("body", "event", "ts"))
        text = _sanitize(event.text or "", bots)
        if not text:
            return None, None
        thread_ts = event.thread_ts or ts
        message = InboundMessage(
            sender_id=self._sender_id(user, channel, thread_ts),
            text=text,
            reply_to=self._reply_to(channel, thread_ts if self.use_threads else None),
            metadata={
                "out_channel": channel,
                "thread_id": thread_ts,
                "ts": ts,
                "users": [user],
                "event_id": envelope.event_id,
            },
        )
        # A mention arrives as `message` and `app_mention` with different event ids.
        return message, f"{channel}:{ts}"

    def parse_interaction(self, raw: bytes) -> tuple[InboundMessage | None, str | None]:
        """A button click (`block_actions`) as the button's value sent by the user."""
        try:
            form = urllib.parse.parse_qs(raw.decode("utf-8"), strict_parsing=False)
        except UnicodeDecodeError:
            raise missing_field(("body",), "the form body is not UTF-8") from None
        if not form.get("payload"):
            raise missing_field(("body", "payload"))
        interaction = validate_body(
            SlackInteraction, parse_json(form["payload"][0].encode()), ("body", "payload")
        )
        if interaction.type != "block_actions":
            logger.debug("slack: interaction type '%s' ignored.", interaction.type)
            return None, None
        if not interaction.actions:
            raise missing_field(("body", "payload", "actions"))
        action = interaction.actions[0]
        value = action.value
        if value is None and action.selected_option:
            value = action.selected_option.get("value")
        if value is None:
            raise missing_field(("body", "payload", "actions", "0", "value"))
        channel = interaction.channel.id if interaction.channel else None
        if channel is None and interaction.container:
            channel = interaction.container.get("channel_id")
        if channel is None:
            raise missing_field(("body", "payload", "channel"))
        original = interaction.message or {}
        thread_ts = original.get("thread_ts") or original.get("ts")
        user = interaction.user.id
        message = InboundMessage(
            sender_id=self._sender_id(user, channel, thread_ts),
            text=value,
            reply_to=self._reply_to(channel, thread_ts if self.use_threads else None),
            metadata={"out_channel": channel, "thread_id": thread_ts, "users": [user]},
        )
        delivery = f"action:{user}:{action.action_ts}" if action.action_ts else None
        return message, delivery

    def _sender_id(self, user: str, channel: str, thread_ts: str | None) -> str:
        if self.granularity == "channel":
            return f"{user}_{channel}"
        if self.granularity == "thread":
            return f"{user}_{channel}_{thread_ts}"
        return user

    def _reply_to(self, channel: str, thread_ts: str | None) -> JsonDict:
        reply: JsonDict = {"channel": self.slack_channel or channel}
        if thread_ts:
            reply["thread_ts"] = thread_ts
        return reply

    # -- outbound --------------------------------------------------------------------

    def deliver(self, message: InboundMessage, replies: list[JsonDict]) -> None:
        for body in slack_messages(message.reply_to, replies):
            self.post_message(body)

    def post_message(self, body: JsonDict) -> None:
        """`chat.postMessage`; Slack answers errors with 200 and `ok: false`."""
        response = self.services.client.post_json(
            f"{self.api_url}/chat.postMessage",
            body,
            {"Authorization": f"Bearer {self.token}"},
        )
        if not response.ok or response.body.get("ok") is not True:
            raise ChannelDeliveryError(
                f"chat.postMessage failed: status {response.status}, "
                f"error {response.body.get('error', 'unknown')!r}"
            )


def sign(secret: str, timestamp: str, raw: bytes) -> str:
    """The `X-Slack-Signature` value for a body sent at `timestamp`."""
    base = b"v0:" + timestamp.encode() + b":" + raw
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def _sanitize(text: str, bots: set[str]) -> str:
    """Drop mentions of the bot and unwrap Slack's `<url|label>` links, as Rasa does."""
    text = _MENTION.sub(lambda m: "" if m.group(1) in bots else m.group(0), text)
    text = _LINK.sub(lambda m: m.group(1).removeprefix("mailto:"), text)
    return re.sub(r"\s+", " ", text).strip()
