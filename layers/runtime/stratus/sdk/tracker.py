"""A light, read-only view of the tracker JSON an action receives."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

JsonDict = dict[str, Any]


class Tracker:
    """The conversation as the action server request carries it.

    Named as rasa_sdk's `Tracker` reads (`get_slot`, `latest_message`,
    `get_latest_entity_values`, `active_loop`), so code moves between the two easily;
    `domain` is the request's domain, or None when the assistant left it out.
    """

    def __init__(self, state: Mapping[str, Any], domain: Mapping[str, Any] | None = None) -> None:
        self._state = dict(state)
        self.domain: JsonDict | None = dict(domain) if domain is not None else None

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> Tracker:
        state = request.get("tracker")
        if not isinstance(state, Mapping):
            raise ValueError("the action request has no `tracker` object")
        domain = request.get("domain")
        return cls(state, domain if isinstance(domain, Mapping) else None)

    @property
    def sender_id(self) -> str:
        return str(self._state.get("sender_id") or "")

    @property
    def slots(self) -> JsonDict:
        return dict(self._state.get("slots") or {})

    @property
    def events(self) -> list[JsonDict]:
        return list(self._state.get("events") or [])

    @property
    def latest_message(self) -> JsonDict:
        """The parse data of the latest user message (`intent`, `entities`, `text`)."""
        return dict(self._state.get("latest_message") or {})

    @property
    def latest_intent(self) -> str | None:
        intent = self.latest_message.get("intent") or {}
        name = intent.get("name") if isinstance(intent, Mapping) else None
        return str(name) if name is not None else None

    @property
    def latest_text(self) -> str | None:
        text = self.latest_message.get("text")
        return str(text) if text is not None else None

    @property
    def latest_action_name(self) -> str | None:
        name = self._state.get("latest_action_name")
        return str(name) if name is not None else None

    @property
    def active_loop(self) -> str | None:
        loop = self._state.get("active_loop") or {}
        name = loop.get("name") if isinstance(loop, Mapping) else None
        return str(name) if name else None

    @property
    def requested_slot(self) -> str | None:
        value = self.get_slot("requested_slot")
        return str(value) if value is not None else None

    def get_slot(self, name: str) -> Any:
        """The slot's value, or None when it is unset or unknown."""
        return self.slots.get(name)

    def get_latest_entity_values(
        self, entity_type: str, entity_role: str | None = None, entity_group: str | None = None
    ) -> Iterator[Any]:
        """Values of the latest message's entities of this type (and role, group)."""
        for entity in self.latest_message.get("entities") or []:
            if not isinstance(entity, Mapping) or entity.get("entity") != entity_type:
                continue
            if entity_role is not None and entity.get("role") != entity_role:
                continue
            if entity_group is not None and entity.get("group") != entity_group:
                continue
            yield entity.get("value")

    def as_dict(self) -> JsonDict:
        """The tracker JSON as received."""
        return dict(self._state)
