"""A conversation exported as a YAML test story: the text Rasa 3.6 answers to
`GET /conversations/{id}/story` (`get_test_stories` in rasa/server.py), byte for byte.

What goes in, as Rasa does it:
- The latest conversation session or, with `all_sessions`, one story per session
  (named `<id>, story <i>` when there is more than one). Sessions are cut at each
  `action_session_start`, as Rasa's default (in-memory) tracker store cuts them; its SQL
  and Mongo stores cut at `session_started` instead. `until` keeps each session's events
  up to the first one later than it (`travel_back_in_time`); empty sessions are dropped.
- Every event of a session, reverted or not: `user` (the full retrieval intent when
  known; the text with the message's entities as inline markup), `action` (`bot:` for an
  end-to-end action), `slot_was_set` and `active_loop`. Left out: `action_listen`,
  `action_session_start`, `action_unlikely_intent`, the rule snippet `...` and all other
  event types.
- A user message that a `user_featurization` event marked as featurized by text loses
  its intent, and entities of `entities` events join its markup. Rasa does this by
  changing the loaded message objects in place during its tracker replays (loading,
  splitting into sessions, `until`); the replays are reproduced here.
- The text's own markup is removed before the entities (those with offsets) are
  annotated; a text starting with `/` is written as it is.

The YAML is what ruamel.yaml 0.17 writes with Rasa's settings: block style, 2-space
indents, indentless sequences under keys, YAML 1.2 quoting rules, user texts as
literal blocks, lines folded only past column 4096 (checked against Rasa on fuzzed
conversations as well as the golden cases).

Where Rasa fails with HTTP 500, `StoryExportError` names the event and field: an
annotation in a user text that is not valid entity JSON, entities sharing a start but
not an end, offsets that are not whole numbers, or an intent with two `/`. The one
deliberate difference: `all_sessions` for a conversation with no events (Rasa crashes)
gives a document without stories.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from stratus.shared.events import (
    ACTION_LISTEN_NAME,
    ACTION_SESSION_START_NAME,
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    DefinePrevUserUtteredFeaturization,
    EntitiesAdded,
    Event,
    JsonDict,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
    applied_events,
    split_sessions,
)
from stratus.shared.exceptions import StratusError
from stratus.shared.training_data.message import RESPONSE_KEY_SYMBOL

STORY_FORMAT_VERSION = "3.1"
ACTION_UNLIKELY_INTENT_NAME = "action_unlikely_intent"
RULE_SNIPPET_ACTION_NAME = "..."
_SKIPPED_ACTIONS = frozenset(
    {ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME, ACTION_UNLIKELY_INTENT_NAME}
)
# A message starting with this was sent as `/intent{"entity": ...}`: no markup is added.
INTENT_MESSAGE_PREFIX = "/"


class StoryExportError(StratusError):
    """A conversation that cannot be written as a story (Rasa fails on it as well)."""


def conversation_story_yaml(
    events: Sequence[Event],
    sender_id: str,
    *,
    all_sessions: bool = False,
    until: float | None = None,
) -> str:
    """The YAML test story of a conversation, as Rasa 3.6's `GET .../story` returns it.

    `events` is the conversation's whole stored history, oldest first.
    """
    said = {i: _Said.of(e) for i, e in enumerate(events) if isinstance(e, UserUttered)}
    numbered = list(enumerate(events))
    # Loading the tracker replays the events in effect over the whole history.
    _Replay(said).recreate(numbered)
    # Then it cuts (and replays) every session, even to keep only the latest.
    sessions = [_Replay.from_events(said, part) for part in _split(numbered)]
    if all_sessions:
        trackers = sessions
    else:
        trackers = [numbered] if len(sessions) <= 1 else sessions[-1:]
    if until is not None:
        trackers = [_Replay.from_events(said, _until(part, until)) for part in trackers]
        trackers = [part for part in trackers if part]

    stories: list[dict[str, Any]] = []
    for n, part in enumerate(trackers, 1):
        name = f"{sender_id}, story {n}" if len(trackers) > 1 else sender_id
        steps = [step for i, e in part if (step := _step(i, e, said)) is not None]
        stories.append({"story": name, "steps": steps})
    document: dict[str, Any] = {"version": _DoubleQuoted(STORY_FORMAT_VERSION)}
    if stories:
        document["stories"] = stories
    text = "".join(_block_mapping(document, 0))
    last = list(stories[-1]["steps"][-1].values())[-1] if stories and stories[-1]["steps"] else None
    if isinstance(last, _Literal) and _chomping(last) == "+":
        # ruamel closes a document whose last scalar keeps its final breaks with `...`.
        text += "...\n"
    return text


# --- Rasa's tracker replays, reduced to what they change on user messages -------------

Numbered = list[tuple[int, Event]]


@dataclass
class _Said:
    """What replays can change on one user message: its featurization and entities."""

    use_text: bool | None
    entities: list[JsonDict] = field(default_factory=list)

    @classmethod
    def of(cls, event: UserUttered) -> _Said:
        # As Rasa sets it when it reads the event back from the store.
        use_text = None
        if event.text and not event.intent_name:
            use_text = True
        elif event.intent_name and not event.text:
            use_text = False
        return cls(use_text, list(event.parse_data.get("entities") or []))


class _Replay:
    """Applies events the way Rasa's `DialogueStateTracker.update` does."""

    def __init__(self, said: dict[int, _Said]) -> None:
        self.said = said
        self.events: Numbered = []
        self.latest_message: int | None = None
        self.latest_action: str | None = None

    @classmethod
    def from_events(cls, said: dict[int, _Said], events: Numbered) -> Numbered:
        """Replays `events` as a tracker built from them does; returns them unchanged."""
        replay = cls(said)
        for i, event in events:
            replay.events.append((i, event))
            replay.apply(i, event)
        return events

    def recreate(self, events: Numbered) -> None:
        self.events = list(events)
        self.replay()

    def replay(self) -> None:
        self.latest_message = self.latest_action = None
        for i, event in _applied(self.events):
            self.apply(i, event)

    def apply(self, i: int, event: Event) -> None:
        if isinstance(event, UserUttered):
            self.latest_message = i
        elif isinstance(event, ActionExecuted):
            self.latest_action = event.action_name or event.action_text
        elif isinstance(event, Restarted | SessionStarted):
            self.latest_message = self.latest_action = None
        elif isinstance(event, UserUtteranceReverted | ActionReverted):
            self.replay()
        elif self.latest_action == ACTION_LISTEN_NAME and self.latest_message is not None:
            said = self.said[self.latest_message]
            if isinstance(event, DefinePrevUserUtteredFeaturization):
                said.use_text = event.use_text_for_featurization
            elif isinstance(event, EntitiesAdded):
                for entity in event.entities:
                    if entity not in said.entities:
                        said.entities.append(entity)


def _applied(events: Numbered) -> Numbered:
    """`applied_events` of numbered events (the same objects, so matched by identity)."""
    kept = applied_events([e for _, e in events])
    out: Numbered = []
    it = iter(events)
    for event in kept:
        for i, candidate in it:
            if candidate is event:
                out.append((i, event))
                break
    return out


def _split(events: Numbered) -> list[Numbered]:
    parts = split_sessions(e for _, e in events)
    it = iter(events)
    return [[next(it) for _ in part] for part in parts]


def _until(events: Numbered, until: float) -> Numbered:
    kept: Numbered = []
    for i, event in events:
        if event.timestamp > until:
            break
        kept.append((i, event))
    return kept


# --- Steps ------------------------------------------------------------------------------


def _step(i: int, event: Event, said: dict[int, _Said]) -> dict[str, Any] | None:
    step: dict[str, Any] = {}
    if isinstance(event, UserUttered):
        state = said[i]
        if event.intent_name and not state.use_text:
            step["intent"] = event.full_retrieval_intent_name or event.intent_name
        if event.text:
            step["user"] = _Literal(_annotated(event.text, event.intent_name, state.entities, i))
    elif isinstance(event, ActionExecuted):
        if event.action_name in _SKIPPED_ACTIONS or event.action_name == RULE_SNIPPET_ACTION_NAME:
            return None
        if event.action_name:
            step["action"] = event.action_name
        elif event.action_text:
            step["bot"] = event.action_text
    elif isinstance(event, SlotSet):
        step["slot_was_set"] = [{event.key: event.value}]
    elif isinstance(event, ActiveLoop):
        step["active_loop"] = event.name
    return step or None


# Rasa's markup grammar: `[text](entity)`, `[text](entity:value)`, `[text]{...}` and
# `[text][{...}, {...}]` (several entities on one span).
_MARKUP = re.compile(
    r"\[(?P<text>[^\]]+?)\]"
    r"(?:\((?P<entity>[^:)]+?)(?::(?P<value>[^)]+))?\)"
    r"|\{(?P<attrs>[^}]+?)\}|\[(?P<attr_list>.*?)\])"
)
_ATTRS = re.compile(r"\{(?P<attrs>[^}]+?)\}")


def _annotated(text: str, intent: Any, entities: list[JsonDict], i: int) -> str:
    """The text with its own markup removed and `entities` annotated inline."""
    if intent and (not isinstance(intent, str) or intent.count(RESPONSE_KEY_SYMBOL) > 1):
        raise StoryExportError(
            f"events[{i}] 'user': field 'parse_data.intent.name': {intent!r} is not an "
            f"intent name (at most one '{RESPONSE_KEY_SYMBOL}')"
        )
    for match in _MARKUP.finditer(text):
        if match.group("attrs") is not None:
            _check_attributes(match.group("attrs"), i)
        elif match.group("attr_list") is not None:
            for inner in _ATTRS.finditer(match.group("attr_list")):
                _check_attributes(inner.group("attrs"), i)
    plain = _MARKUP.sub(lambda m: m.group("text"), text)
    if plain.startswith(INTENT_MESSAGE_PREFIX):
        return plain
    by_start: dict[int, list[JsonDict]] = {}
    for entity in entities:
        if "start" in entity and "end" in entity:
            if not isinstance(entity["start"], int) or not isinstance(entity["end"], int):
                raise StoryExportError(
                    f"events[{i}] 'user': field 'parse_data.entities': {entity!r} needs "
                    "whole-number 'start' and 'end' offsets"
                )
            by_start.setdefault(entity["start"], []).append(entity)
    for group in by_start.values():
        if any(e["end"] != group[0]["end"] for e in group):
            raise StoryExportError(
                f"events[{i}] 'user': field 'parse_data.entities': entities "
                f"{group[0]!r} and {group[1]!r} start together but end apart"
            )
    out: list[str] = []
    pos = 0
    for start, group in sorted(by_start.items()):
        span = plain[start : group[0]["end"]]
        out.append(plain[pos:start])
        if len(group) == 1:
            out.append(f"[{span}]{_attributes(span, group[0], short=True)}")
        else:
            out.append(f"[{span}][{', '.join(_attributes(span, e, short=False) for e in group)}]")
        pos = group[0]["end"]
    out.append(plain[pos:])
    return "".join(out)


def _check_attributes(raw: str, i: int) -> None:
    where = f"events[{i}] 'user': field 'text'"
    try:
        attrs = json.loads("{" + raw + "}")
    except json.JSONDecodeError as e:
        raise StoryExportError(
            f"{where}: annotation {{{raw}}} is not valid JSON ({e.msg})"
        ) from None
    if "entity" not in attrs:
        raise StoryExportError(f'{where}: annotation {{{raw}}} has no "entity"')
    for key in ("entity", "role", "group"):
        if key in attrs and not isinstance(attrs[key], str):
            raise StoryExportError(f'{where}: annotation {{{raw}}}: "{key}" must be a string')
    value = attrs.get("value", "")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise StoryExportError(f'{where}: annotation {{{raw}}}: "value" must be text or a number')


def _attributes(span: str, entity: JsonDict, *, short: bool) -> str:
    value = entity.get("value")
    if value and value == span:
        value = None
    role, group = entity.get("role"), entity.get("group")
    if short and value is None and role is None and group is None:
        return f"({entity.get('entity')})"
    attrs = {"entity": entity.get("entity"), "role": role, "group": group, "value": value}
    return json.dumps({k: v for k, v in attrs.items() if v is not None})


# --- YAML, as ruamel.yaml 0.17 writes it with Rasa's settings ---------------------------


class _Literal(str):
    """Written as a literal block scalar (`|-`)."""


class _DoubleQuoted(str):
    """Always written in double quotes."""


_WIDTH = 4096
_MAX_SIMPLE_KEY = 128 - len("!!str")  # ruamel counts the (unwritten) tag as well
_BREAKS = "\n\x85\u2028\u2029"
_BLANKS = "\0 \t\r" + _BREAKS
# YAML 1.2 plain scalars that would not read back as strings (ruamel's resolver).
_NOT_STRINGS = re.compile(
    r"""^(?:true|True|TRUE|false|False|FALSE
    |[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
    |[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+
    |<<|~|null|Null|NULL|=|!|&|\*
    |[0-9]{4}-[0-9]{2}-[0-9]{2}
    |[0-9]{4}-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[\ \t]+)[0-9][0-9]?:[0-9]{2}:[0-9]{2}
     (?:\.[0-9]*)?(?:[\ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9]{2})?))?
    )$""",
    re.X,
)


@dataclass(frozen=True)
class _Analysis:
    multiline: bool
    plain: bool  # allowed as a block plain scalar
    single_quoted: bool


def _analyze(text: str) -> _Analysis:
    """Which styles can hold `text` (ruamel's `analyze_scalar`, block context only)."""
    if not text:
        return _Analysis(multiline=False, plain=True, single_quoted=True)
    indicators = text.startswith(("---", "..."))
    special = line_breaks = space_break = break_space = False
    n = len(text)
    for k, ch in enumerate(text):
        followed_by_blank = k + 1 >= n or text[k + 1] in _BLANKS
        if k == 0:
            if ch in "#,[]{}&*!|>'\"%@`" or (ch in "?:-" and followed_by_blank):
                indicators = True
        elif (ch == ":" and followed_by_blank) or (ch == "#" and text[k - 1] in _BLANKS):
            indicators = True
        if ch in _BREAKS:
            line_breaks = True
            space_break = space_break or (k > 0 and text[k - 1] == " ")
        elif ch == " " and k > 0 and text[k - 1] in _BREAKS:
            break_space = True
        if not (ch == "\n" or " " <= ch <= "~"):
            printable = ch == "\x85" or "\xa0" <= ch <= "\ud7ff" or "\ue000" <= ch <= "\ufffd"
            printable = printable or ch >= "\U00010000"
            special = special or not printable or ch == "\ufeff"
    edges = text[0] in " " + _BREAKS or text[-1] in " " + _BREAKS
    single = not (break_space or special or space_break)
    plain = single and not (edges or line_breaks or indicators)
    return _Analysis(multiline=line_breaks, plain=plain, single_quoted=single)


def _is_block(value: Any) -> bool:
    return isinstance(value, dict | list) and bool(value)


def _block_mapping(mapping: dict[Any, Any], indent: int) -> list[str]:
    lines: list[str] = []
    pad = " " * indent
    for key, value in mapping.items():
        key_text = _scalar(key, indent, indent + 2, simple_key=True)
        if key_text is None:  # too long or multi-line for a simple key: `? key`
            lines.append(f"{pad}? {_scalar(key, indent + 2, indent + 2)}\n")
            lines.extend(_item(":", value, indent))
        elif isinstance(value, list) and value:
            lines.append(f"{pad}{key_text}:\n")
            lines.extend(_block_sequence(value, indent))  # indentless
        elif isinstance(value, dict) and value:
            lines.append(f"{pad}{key_text}:\n")
            lines.extend(_block_mapping(value, indent + 2))
        else:
            column = indent + len(key_text) + 2
            # A literal block ends its own last line (with the break the text ends with).
            end = "" if isinstance(value, _Literal) else "\n"
            lines.append(f"{pad}{key_text}: {_inline(value, column, indent + 2)}{end}")
    return lines


def _block_sequence(items: list[Any], indent: int) -> list[str]:
    return [line for item in items for line in _item("-", item, indent)]


def _item(indicator: str, value: Any, indent: int) -> list[str]:
    """`- value` (or `: value` after a `? key`), a collection starting on the same line."""
    pad = " " * indent
    if not _is_block(value):
        return [f"{pad}{indicator} {_inline(value, indent + 2, indent + 2)}\n"]
    if isinstance(value, list):
        nested = _block_sequence(value, indent + 2)
    else:
        nested = _block_mapping(value, indent + 2)
    return [f"{pad}{indicator} {nested[0][indent + 2 :]}", *nested[1:]]


def _inline(value: Any, column: int, indent: int) -> str:
    """A scalar or empty collection written after `key: ` or `- ` (no final newline)."""
    if isinstance(value, list):
        return "[]"
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, _Literal):
        return _literal(value, indent)
    text = _scalar(value, column, indent)
    assert text is not None
    return text


def _scalar(value: Any, column: int, indent: int, *, simple_key: bool = False) -> str | None:
    """One scalar in ruamel's style; None for a key that cannot be a simple key."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value).lower()
    if not isinstance(value, str):
        raise StoryExportError(
            f"cannot write a {type(value).__name__} in a story; slot values must be JSON"
        )
    analysis = _analyze(value)
    if simple_key and (len(value) >= _MAX_SIMPLE_KEY or analysis.multiline):
        return None
    if isinstance(value, _DoubleQuoted):
        return _double_quoted(value, column, indent, split=not simple_key)
    plain_ok = analysis.plain and not (simple_key and not value)
    if plain_ok and value and not _NOT_STRINGS.match(value):
        return "".join(_folded(value, column, indent, split=not simple_key))
    if "'" in value or "\n" in value or not analysis.single_quoted:
        return _double_quoted(value, column, indent, split=not simple_key)
    body = _folded(value, column + 1, indent, split=not simple_key, quoted=True)
    return "'" + "".join(body) + "'"


def _folded(
    text: str, column: int, indent: int, *, split: bool, quoted: bool = False
) -> Iterator[str]:
    """Plain or single-quoted text, a single space past the width becoming a new line."""
    for match in re.finditer(rf" +|[{_BREAKS}]+|[^ {_BREAKS}]+", text):
        run = match.group(0)
        inner = match.start() != 0 and match.end() != len(text)
        if run == " " and column > _WIDTH and split and (inner or not quoted):
            yield "\n" + " " * indent
            column = indent
        elif run[0] in _BREAKS:  # only single-quoted text has breaks here (not "\n")
            yield run + " " * indent
            column = indent
        else:
            yield run
            column += len(run)


_ESCAPES = dict(
    zip('\0\x07\x08\t\n\x0b\x0c\r\x1b"\\\x85\xa0\u2028\u2029', '0abtnvfre"\\N_LP', strict=True)
)


def _escape(ch: str) -> str:
    if ch in _ESCAPES:
        return "\\" + _ESCAPES[ch]
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02X}"
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def _needs_escape(ch: str) -> bool:
    if ch in '"\\\x85\u2028\u2029\ufeff':
        return True
    return not (" " <= ch <= "~" or "\xa0" <= ch <= "\ud7ff" or "\ue000" <= ch <= "\ufffd")


def _double_quoted(text: str, column: int, indent: int, *, split: bool) -> str:
    """Double-quoted text; past the width, a space becomes an escaped line break."""
    out = ['"']
    column += 1
    start = 0
    n = len(text)
    for end in range(n + 1):
        ch = text[end] if end < n else None
        if ch is None or _needs_escape(ch):
            if start < end:
                out.append(text[start:end])
                column += end - start
                start = end
            if ch is not None:
                escaped = _escape(ch)
                out.append(escaped)
                column += len(escaped)
                start = end + 1
        if (
            0 < end < n - 1
            and (ch == " " or start >= end)
            and column + (end - start) > _WIDTH
            and split
        ):
            out.append(text[start:end] + "\\\n" + " " * indent)
            start = max(start, end)
            column = indent
            if text[start] == " ":
                out.append("\\")
                column += 1
    out.append('"')
    return "".join(out)


def _chomping(text: str) -> str:
    """`-` for a text without a final break, `+` for several (or only one), else ``."""
    if text[-1] not in _BREAKS:
        return "-"
    return "+" if len(text) == 1 or text[-2] in _BREAKS else ""


def _literal(text: str, indent: int) -> str:
    """A literal block (`|`), with an indentation hint when it starts with a space or
    break, and `-` (no final break) or `+` (several) chomping."""
    hints = "2" if text[0] in " " + _BREAKS else ""
    out = [f"|{hints}{_chomping(text)}\n"]
    pad = " " * indent
    for match in re.finditer(rf"[{_BREAKS}]+|[^{_BREAKS}]+", text):
        run = match.group(0)
        if run[0] in _BREAKS:
            out.append(run)
            if match.end() < len(text):
                out.append(pad)
        else:
            if match.start() == 0:
                out.append(pad)
            out.append(run)
            if match.end() == len(text):
                out.append("\n")
    return "".join(out)
