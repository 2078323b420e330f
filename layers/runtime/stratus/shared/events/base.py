"""The event base class, the error for malformed event JSON, and the field readers."""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from stratus.shared.exceptions import StratusError

JsonDict = dict[str, Any]

# One encoder for compact JSON: `json.dumps` with options builds a new one per call.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def compact_json(value: Any) -> str:
    """JSON text without spaces, UTF-8 kept as is: events as stored and as sent to an
    action server."""
    return _COMPACT.encode(value)


class InvalidEventError(StratusError):
    """Event JSON that is not a valid Rasa event; names the event type and the field."""

    def __init__(
        self,
        reason: str,
        *,
        event: str | None = None,
        field: str | None = None,
        index: int | None = None,
    ) -> None:
        self.reason = reason
        self.event = event
        self.field = field
        self.index = index
        where = "event" if index is None else f"events[{index}]"
        if event:
            where += f" '{event}'"
        if field:
            where += f": field '{field}'"
        super().__init__(f"{where}: {reason}")

    def at_index(self, index: int) -> InvalidEventError:
        """The same error, located at position `index` of a list of events."""
        return type(self)(self.reason, event=self.event, field=self.field, index=index)


@dataclass(frozen=True, eq=False, kw_only=True)
class Event:
    """Something that happened in a conversation; immutable.

    Equality compares the type and every field, `timestamp` and `metadata` included
    (Rasa's own `__eq__` ignores timestamps and, for some types, most fields). The
    hash is taken over the JSON form, so events holding dicts stay hashable.
    Containers inside an event (dicts, lists) are shared with `as_dict()`'s output:
    treat both as read-only.
    """

    type_name: ClassVar[str] = ""

    timestamp: float = field(default_factory=time.time)
    metadata: JsonDict = field(default_factory=dict)

    def as_dict(self) -> JsonDict:
        """The event as Rasa 3.6 serializes it (`metadata` only when non-empty)."""
        data: JsonDict = {"event": self.type_name, "timestamp": self.timestamp}
        if self.metadata:
            data["metadata"] = self.metadata
        data.update(self._payload())
        return data

    def as_json(self) -> str:
        """`as_dict()` as compact JSON text, made once per event: an action request
        carries every event of the conversation, so each turn would otherwise serialize
        the whole history again."""
        text: str | None = self.__dict__.get("_json")
        if text is None:
            text = compact_json(self.as_dict())
            object.__setattr__(self, "_json", text)
        return text

    def _payload(self) -> JsonDict:
        """The type's own JSON fields, after `event`, `timestamp` and `metadata`."""
        return {}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Parses the JSON of this event type (the `event` key is not checked here)."""
        reader = FieldReader(cls.type_name, data)
        return cls(
            **cls._read_payload(reader), timestamp=reader.timestamp(), metadata=reader.metadata()
        )

    @classmethod
    def _read_payload(cls, reader: FieldReader) -> JsonDict:
        """Constructor arguments read from the type's own JSON fields."""
        return {}

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Event)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(json.dumps(self.as_dict(), sort_keys=True, default=str))


class FieldReader:
    """Reads and type-checks the fields of one event's JSON, naming the bad field."""

    def __init__(self, event_name: str, data: Mapping[str, Any]) -> None:
        self.event_name = event_name
        self.data = data

    def fail(self, key: str, reason: str) -> InvalidEventError:
        """The error to raise for field `key`."""
        return InvalidEventError(reason, event=self.event_name, field=key)

    def timestamp(self) -> float:
        """Unix seconds; a missing or null timestamp means now (as in Rasa)."""
        value = self.data.get("timestamp")
        if value is None:
            return time.time()
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise self.fail("timestamp", f"must be a number of unix seconds, got {value!r}")
        return float(value)

    def metadata(self) -> JsonDict:
        """The event's metadata; {} when missing or null."""
        value = self.data.get("metadata")
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail("metadata", f"must be an object, got {type(value).__name__}")
        return dict(value)

    def any(self, key: str) -> Any:
        return self.data.get(key)

    def optional_str(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is not None and not isinstance(value, str):
            raise self.fail(key, f"must be a string or null, got {type(value).__name__}")
        return value

    def required_str(self, key: str) -> str:
        value = self.optional_str(key)
        if value is None:
            raise self.fail(key, "is required (a string)")
        return value

    def optional_float(self, key: str) -> float | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"must be a number or null, got {value!r}")
        return float(value)

    def bool_(self, key: str, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, got {value!r}")
        return value

    def required_bool(self, key: str) -> bool:
        if self.data.get(key) is None:
            raise self.fail(key, "is required (true or false)")
        return self.bool_(key, False)

    def optional_object(self, key: str) -> JsonDict | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise self.fail(key, f"must be an object or null, got {type(value).__name__}")
        return dict(value)

    def optional_entities(self, key: str) -> list[JsonDict] | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(e, Mapping) for e in value):
            raise self.fail(key, "must be a list of entity objects")
        return [dict(e) for e in value]

    def required_entities(self, key: str) -> list[JsonDict]:
        value = self.optional_entities(key)
        if value is None:
            raise self.fail(key, "is required (a list of entity objects)")
        return value
