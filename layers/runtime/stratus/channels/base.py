"""What every platform channel shares: the inbound message, the turn, request checks.

A channel's webhook verifies the request, turns the platform's body into
`InboundMessage`s, drops deliveries it saw before, and submits one job per message
to the dispatcher; the job runs the turn and sends the replies through the platform
API (`Channel.process`). The webhook thus answers within the platforms' deadlines
whatever the turn costs.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from stratus.channels.client import ChannelClient, ChannelDeliveryError
from stratus.channels.dedup import Deduplicator
from stratus.core.processor import MessageProcessor, TurnResult, UserMessage
from stratus.server.errors import ApiError
from stratus.shared.exceptions import ConfigError
from stratus.shared.problems import Problem

if TYPE_CHECKING:
    from stratus.channels.dispatch import AsyncDispatcher

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]
CREDENTIALS_FILE = "credentials.yml"
Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class InboundMessage:
    """A user's message as a job carries it: JSON-serialisable, platform-neutral, plus
    `reply_to`, the platform's routing for the answer (chat id, channel and thread)."""

    sender_id: str
    text: str
    reply_to: JsonDict
    metadata: JsonDict = field(default_factory=dict)

    def as_dict(self) -> JsonDict:
        return {
            "sender_id": self.sender_id,
            "text": self.text,
            "reply_to": dict(self.reply_to),
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InboundMessage:
        """The message of a job payload; a payload missing a field is a ValueError naming it."""
        for name, kind in (("sender_id", str), ("text", str), ("reply_to", dict)):
            if not isinstance(data.get(name), kind):
                raise ValueError(f"job payload field '{name}' must be a {kind.__name__}")
        metadata = data.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise ValueError("job payload field 'metadata' must be an object")
        return cls(data["sender_id"], data["text"], dict(data["reply_to"]), dict(metadata))


@dataclass
class ChannelServices:
    """What channels need besides their credentials: the turn, the outbound client,
    the deduplicator and the dispatcher (filled in once every channel exists)."""

    processor: MessageProcessor
    client: ChannelClient
    deduplicator: Deduplicator
    dispatcher: AsyncDispatcher | None = None


class Channel(ABC):
    """One messaging platform: its webhook routes and its way of sending replies."""

    name: ClassVar[str]

    def __init__(self, services: ChannelServices) -> None:
        self.services = services

    @abstractmethod
    def router(self) -> APIRouter:
        """The routes under `/webhooks/<name>`."""

    @abstractmethod
    def deliver(self, message: InboundMessage, replies: list[JsonDict]) -> None:
        """Send the bot's replies (REST-shaped items) to the platform."""

    def acknowledged(self, message: InboundMessage) -> None:
        """Called in the job before the turn (Telegram answers a button's callback)."""
        return None

    def process(self, payload: Mapping[str, Any]) -> TurnResult:
        """Run a job: the turn, then its replies. A platform that cannot be reached is
        logged; the turn's events are stored either way."""
        message = InboundMessage.from_dict(payload)
        try:
            self.acknowledged(message)
        except ChannelDeliveryError as e:
            logger.warning("%s: %s", self.name, e)
        result = self.services.processor.handle_message(
            UserMessage(
                message.text.strip(),
                sender_id=message.sender_id,
                input_channel=self.name,
                output_channel=self.name,
                metadata=message.metadata or None,
            )
        )
        try:
            self.deliver(message, result.messages)
        except ChannelDeliveryError as e:
            logger.error(
                "%s: the replies to conversation '%s' were not delivered: %s",
                self.name,
                message.sender_id,
                e,
            )
        return result

    def accept(self, messages: list[InboundMessage], delivery_id: str | None) -> bool:
        """Submit the messages of one delivery, unless it was seen before (False)."""
        if delivery_id is not None and not self.services.deduplicator.first_seen(
            self.name, delivery_id
        ):
            logger.info("%s: delivery %s was seen before; ignored.", self.name, delivery_id)
            return False
        dispatcher = self.services.dispatcher
        if dispatcher is None:
            raise RuntimeError("the channels have no dispatcher (include_channels sets it)")
        for message in messages:
            dispatcher.submit({"channel": self.name, "payload": message.as_dict()})
        return True


# -- request checks ---------------------------------------------------------------------


def parse_json(raw: bytes) -> Any:
    """The body as JSON, or the app's 400 naming `body`."""
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        error = {"type": "json_invalid", "loc": ("body",), "msg": "JSON decode error"}
        raise RequestValidationError([error]) from None


def validate_body(model: type[Model], data: Any, prefix: tuple[str, ...] = ("body",)) -> Model:
    """`data` as `model`, or the app's 400 naming each bad field (`body.event.channel`)."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        errors = [{**error, "loc": (*prefix, *error["loc"])} for error in e.errors()]
        raise RequestValidationError(errors) from None


def missing_field(loc: tuple[str, ...], message: str = "Field required") -> RequestValidationError:
    """The app's 400 for a field a model cannot express as required (one-of shapes)."""
    return RequestValidationError([{"type": "missing", "loc": loc, "msg": message}])


def unauthorized(message: str) -> ApiError:
    """401: the request is not from the platform; nothing was processed."""
    return ApiError(HTTPStatus.UNAUTHORIZED, "NotAuthenticated", message)


# -- credentials ------------------------------------------------------------------------


def required_setting(settings: Mapping[str, Any], channel: str, key: str) -> str:
    """A credentials.yml key the channel cannot run without, as a non-empty string."""
    value = settings.get(key)
    if value is None or str(value).strip() == "":
        raise ConfigError(
            Problem(
                f"the '{channel}' channel needs '{key}'",
                CREDENTIALS_FILE,
                field=f"{channel}.{key}",
            )
        )
    return str(value)


def optional_setting(settings: Mapping[str, Any], key: str) -> str | None:
    value = settings.get(key)
    return None if value is None or str(value).strip() == "" else str(value)
