"""Actions and loops: `action`, `action_execution_rejected`, `followup`, `active_loop`,
`loop_interrupted`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from stratus.shared.events.base import Event, FieldReader, InvalidEventError, JsonDict

ACTION_LISTEN_NAME = "action_listen"
ACTION_SESSION_START_NAME = "action_session_start"


@dataclass(frozen=True, eq=False)
class ActionExecuted(Event):
    """An action ran (`action`). End-to-end bot turns carry `action_text` instead of a name."""

    type_name: ClassVar[str] = "action"

    action_name: str | None = None
    policy: str | None = None
    confidence: float | None = None
    action_text: str | None = None
    hide_rule_turn: bool = False

    def __post_init__(self) -> None:
        if self.action_name is None and self.action_text is None:
            raise InvalidEventError(
                "is required (or 'action_text' for an end-to-end bot turn)",
                event=self.type_name,
                field="name",
            )

    def as_sub_state(self) -> dict[str, str]:
        """`{"action_name": ...}`, or `{"action_text": ...}` for an end-to-end action."""
        if self.action_name:
            return {"action_name": self.action_name}
        return {"action_text": self.action_text or ""}

    def _payload(self) -> JsonDict:
        return {
            "name": self.action_name,
            "policy": self.policy,
            "confidence": self.confidence,
            "action_text": self.action_text,
            "hide_rule_turn": self.hide_rule_turn,
        }

    @classmethod
    def _read_payload(cls, reader: FieldReader) -> JsonDict:
        return {
            "action_name": reader.optional_str("name"),
            "policy": reader.optional_str("policy"),
            "confidence": reader.optional_float("confidence"),
            "action_text": reader.optional_str("action_text"),
            "hide_rule_turn": reader.bool_("hide_rule_turn", False),
        }


@dataclass(frozen=True, eq=False)
class ActionExecutionRejected(Event):
    """An action refused to run (a form that could not fill its requested slot)."""

    type_name: ClassVar[str] = "action_execution_rejected"

    action_name: str
    policy: str | None = None
    confidence: float | None = None

    def _payload(self) -> JsonDict:
        return {"name": self.action_name, "policy": self.policy, "confidence": self.confidence}

    @classmethod
    def _read_payload(cls, reader: FieldReader) -> JsonDict:
        return {
            "action_name": reader.required_str("name"),
            "policy": reader.optional_str("policy"),
            "confidence": reader.optional_float("confidence"),
        }


@dataclass(frozen=True, eq=False)
class FollowupAction(Event):
    """Forces the next action (`followup`)."""

    type_name: ClassVar[str] = "followup"

    action_name: str

    def _payload(self) -> JsonDict:
        return {"name": self.action_name}

    @classmethod
    def _read_payload(cls, reader: FieldReader) -> JsonDict:
        return {"action_name": reader.required_str("name")}


@dataclass(frozen=True, eq=False)
class ActiveLoop(Event):
    """Activates the loop (form) `name`, or deactivates the active one when `name` is None."""

    type_name: ClassVar[str] = "active_loop"

    name: str | None = None

    def _payload(self) -> JsonDict:
        return {"name": self.name}

    @classmethod
    def _read_payload(cls, reader: FieldReader) -> JsonDict:
        return {"name": reader.optional_str("name")}


@dataclass(frozen=True, eq=False)
class LoopInterrupted(Event):
    """The active loop was interrupted (unhappy path) or not."""

    type_name: ClassVar[str] = "loop_interrupted"

    is_interrupted: bool = False

    def _payload(self) -> JsonDict:
        return {"is_interrupted": self.is_interrupted}

    @classmethod
    def _read_payload(cls, reader: FieldReader) -> JsonDict:
        return {"is_interrupted": reader.bool_("is_interrupted", False)}
