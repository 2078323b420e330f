"""What the user and the bot said: `user`, `bot`, `agent`, `user_featurization`, `entities`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from stratus.shared.events.base import Event, FieldReader, JsonDict

EXTERNAL_MESSAGE_PREFIX = "EXTERNAL: "
IS_EXTERNAL = "is_external"
# Joins an entity type with its role or group in featurized states (Rasa's `#`).
ENTITY_LABEL_SEPARATOR = "#"


@dataclass(frozen=True, eq=False)
class UserUttered(Event):
    """The user said something (`user`).

    `parse_data` is completed as Rasa completes it: `intent` ({}), `entities` ([]),
    `text`, `message_id` and `metadata` default to the event's own values, and whatever
    the given parse data holds wins. `entities` is the message's entity list: parse
    data's unless given (given entities also fill parse data's when it has none); on a
    tracker's `latest_message` it also holds entities added by `entities` events. Only
    `parse_data` is serialized, as in Rasa. `use_text_for_featurization`, when not
    given, defaults as Rasa's does (text without intent: True; intent without text:
    False); the tracker sets it from `user_featurization` events.
    """

    type_name: ClassVar[str] = "user"

    text: str | None = None
    parse_data: JsonDict = field(default_factory=dict)
    input_channel: str | None = None
    message_id: str | None = None
    entities: list[JsonDict] | None = None
    use_text_for_featurization: bool | None = None

    def __post_init__(self) -> None:
        parse_data: JsonDict = {
            "intent": {},
            "entities": list(self.entities or []),
            "text": self.text,
            "message_id": self.message_id,
            "metadata": self.metadata,
        }
        parse_data.update(self.parse_data)
        object.__setattr__(self, "parse_data", parse_data)
        if self.entities is None:
            object.__setattr__(self, "entities", list(parse_data.get("entities") or []))
        if self.use_text_for_featurization is None:
            if self.text and not self.intent_name:
                object.__setattr__(self, "use_text_for_featurization", True)
            elif self.intent_name and not self.text:
                object.__setattr__(self, "use_text_for_featurization", False)

    @property
    def intent(self) -> JsonDict:
        """The predicted intent (`{"name", "confidence", ...}`), or {}."""
        intent = self.parse_data.get("intent")
        return intent if isinstance(intent, dict) else {}

    @property
    def intent_name(self) -> str | None:
        return self.intent.get("name")

    @property
    def full_retrieval_intent_name(self) -> str | None:
        return self.intent.get("full_retrieval_intent_name")

    def is_empty(self) -> bool:
        return not self.text and not self.intent_name and not self.entities

    def as_sub_state(self) -> dict[str, Any]:
        """The message as a dialogue-state part (Rasa's `UserUttered.as_sub_state`)."""
        entities = self.entities or []
        labels: list[Any] = [e.get("entity") for e in entities]
        labels += [
            f"{e.get('entity')}{ENTITY_LABEL_SEPARATOR}{e.get('role')}"
            for e in entities
            if "role" in e
        ]
        labels += [
            f"{e.get('entity')}{ENTITY_LABEL_SEPARATOR}{e.get('group')}"
            for e in entities
            if "group" in e
        ]
        state: dict[str, Any] = {}
        if self.text and self.use_text_for_featurization in (True, None):
            state["text"] = self.text
        if self.intent_name and not self.use_text_for_featurization:
            state["intent"] = self.intent_name
        if labels and not self.use_text_for_featurization:
            state["entities"] = labels
        return state

    @classmethod
    def create_external(
        cls,
        intent_name: str,
        entities: list[JsonDict] | None = None,
        input_channel: str | None = None,
    ) -> UserUttered:
        """The message Rasa injects for a fired reminder or an external trigger."""
        return cls(
            text=f"{EXTERNAL_MESSAGE_PREFIX}{intent_name}",
            parse_data={"intent": {"name": intent_name}},
            entities=list(entities or []),
            input_channel=input_channel,
            metadata={IS_EXTERNAL: True},
        )

    def _payload(self) -> JsonDict:
        return {
            "text": self.text,
            "parse_data": self.parse_data,
            "input_channel": self.input_channel,
            "message_id": self.message_id,
            "metadata": self.metadata,
        }

    @classmethod
    def _read_payload(cls, reader: FieldReader) -> JsonDict:
        # Rasa 3.6 crashes on a `user` event without `parse_data`; it is optional here.
        parse_data = reader.optional_object("parse_data") or {}
        intent = parse_data.get("intent")
        if intent is not None and not isinstance(intent, dict):
            raise reader.fail("parse_data.intent", "must be an object or null")
        if parse_data.get("entities") is not None:
            FieldReader(reader.event_name, parse_data).required_entities("entities")
        return {
            "text": reader.optional_str("text"),
            "parse_data": parse_data,
            "input_channel": reader.optional_str("input_channel"),
            "message_id": reader.optional_str("message_id"),
        }


@dataclass(frozen=True, eq=False)
class BotUttered(Event):
    """The bot said something (`bot`); `data` holds buttons, image, custom, ..."""

    type_name: ClassVar[str] = "bot"

    text: str | None = None
    data: JsonDict = field(default_factory=dict)

    def message(self) -> JsonDict:
        """The outgoing message: data, text, timestamp and metadata in one dict."""
        message: JsonDict = {**self.data, "text": self.text, "timestamp": self.timestamp}
        message.update(self.metadata)
        if message.get("image") == message.get("attachment"):
            # Rasa once copied `image` into `attachment`; send the image only once.
            message["attachment"] = None
        return message

    def _payload(self) -> JsonDict:
        return {"text": self.text, "data": self.data, "metadata": self.metadata}

    @classmethod
    def _read_payload(cls, reader: FieldReader) -> JsonDict:
        return {"text": reader.optional_str("text"), "data": reader.optional_object("data") or {}}


@dataclass(frozen=True, eq=False)
class AgentUttered(Event):
    """A legacy `agent` utterance; recorded, with no effect on the tracker."""

    type_name: ClassVar[str] = "agent"

    text: str | None = None
    data: Any = None

    def _payload(self) -> JsonDict:
        return {"text": self.text, "data": self.data}

    @classmethod
    def _read_payload(cls, reader: FieldReader) -> JsonDict:
        return {"text": reader.optional_str("text"), "data": reader.any("data")}


@dataclass(frozen=True, eq=False)
class DefinePrevUserUtteredFeaturization(Event):
    """Whether the last user message was featurized by text or by intent."""

    type_name: ClassVar[str] = "user_featurization"

    use_text_for_featurization: bool

    def _payload(self) -> JsonDict:
        return {"use_text_for_featurization": self.use_text_for_featurization}

    @classmethod
    def _read_payload(cls, reader: FieldReader) -> JsonDict:
        return {"use_text_for_featurization": reader.required_bool("use_text_for_featurization")}


@dataclass(frozen=True, eq=False)
class EntitiesAdded(Event):
    """Entities predicted for the last user message after NLU (`entities`)."""

    type_name: ClassVar[str] = "entities"

    entities: list[JsonDict]

    def _payload(self) -> JsonDict:
        return {"entities": self.entities}

    @classmethod
    def _read_payload(cls, reader: FieldReader) -> JsonDict:
        return {"entities": reader.required_entities("entities")}
