"""Request bodies: outside data comes in through pydantic, strictly typed, so a wrong
field is a 400 that names it rather than a surprise deeper in."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictFloat, StrictStr

from stratus.core.processor import DEFAULT_SENDER_ID

MAX_CONVERSATION_ID_BYTES = 1024  # DynamoDB's key limit; SQLite follows the same contract


def conversation_id_fits(value: str) -> str:
    """Conversation ids become store keys: non-empty and at most 1 KB of UTF-8."""
    if not value:
        raise ValueError("a conversation id is a non-empty string")
    if len(value.encode("utf-8")) > MAX_CONVERSATION_ID_BYTES:
        raise ValueError(f"a conversation id is at most {MAX_CONVERSATION_ID_BYTES} bytes")
    return value


ConversationId = Annotated[StrictStr, AfterValidator(conversation_id_fits)]


class _Body(BaseModel):
    # Clients send extra keys (Rasa ignores them); types, though, are checked strictly.
    model_config = ConfigDict(extra="ignore", strict=True)


class RestWebhookBody(_Body):
    """`POST /webhooks/rest/webhook`."""

    sender: ConversationId = Field(DEFAULT_SENDER_ID, description="conversation id")
    message: StrictStr = Field(description="the user's text (stripped)")
    input_channel: StrictStr | None = Field(None, description="defaults to 'rest'")
    metadata: dict[str, Any] | None = None


class MessageBody(_Body):
    """`POST /conversations/{id}/messages`."""

    text: StrictStr
    sender: StrictStr = "user"
    parse_data: dict[str, Any] | None = None


class ExecuteBody(_Body):
    """`POST /conversations/{id}/execute`."""

    name: StrictStr
    policy: StrictStr | None = None
    confidence: StrictFloat | int | None = None


class TriggerIntentBody(_Body):
    """`POST /conversations/{id}/trigger_intent`."""

    name: StrictStr
    entities: dict[str, Any] | list[dict[str, Any]] | None = None


class ParseBody(_Body):
    """`POST /model/parse`."""

    text: StrictStr
    message_id: StrictStr | None = None
