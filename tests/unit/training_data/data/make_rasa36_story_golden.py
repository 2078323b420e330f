"""Writes rasa36_stories.json: the text Rasa 3.6.21's `GET /conversations/{id}/story`
returns for scripted conversations, the golden data of test_story_writer.py.

Each case is run through Rasa's own `rasa.server.get_test_stories` over a real
`InMemoryTrackerStore` (Rasa's default store) holding the case's events, with a
processor stand-in whose two methods do what `MessageProcessor.get_tracker` and
`.get_trackers_for_all_conversation_sessions` do (they need no model).

Inputs besides the cases built here: the trackers of ../shared/rasa-fixtures/test_trackers
and restaurantbot_conversation.json, a conversation held by Stratus' own engine with
examples/restaurantbot (re-record it with the Stratus venv, after training that model:
    .venv/bin/python tests/unit/training_data/data/make_rasa36_story_golden.py --record-engine
).

Regenerate the goldens with the Rasa peer (../shared/peers/rasa/install.sh VENV, here
.peers/rasa):
    RASA_TELEMETRY_ENABLED=false .peers/rasa/bin/python \
        tests/unit/training_data/data/make_rasa36_story_golden.py
Only the output is used by the tests; Stratus never imports Rasa.
"""

import asyncio
import copy
import json
import logging
import random
import sys
import tempfile
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[3]
FIXTURES = REPO.parent / "shared" / "rasa-fixtures" / "test_trackers"
ENGINE_CONVERSATION = HERE / "restaurantbot_conversation.json"
TARGET = HERE / "rasa36_stories.json"

T = [1000.0]


def ts():
    T[0] += 1.0
    return T[0]


def user(text, intent=None, entities=None, retrieval=None, metadata=None, **pd):
    intent_dict = {"name": intent, "confidence": 0.9} if intent else {}
    if retrieval:
        intent_dict["full_retrieval_intent_name"] = retrieval
    parse_data = {"intent": intent_dict, "entities": entities or [], "text": text, **pd}
    return {
        "event": "user",
        "timestamp": ts(),
        "text": text,
        "parse_data": parse_data,
        "input_channel": "rest",
        "message_id": f"m{T[0]}",
        "metadata": metadata or {},
    }


def ent(entity, start, end, value, **extra):
    return {"entity": entity, "start": start, "end": end, "value": value, **extra}


def act(name, text=None):
    return {
        "event": "action",
        "timestamp": ts(),
        "name": name,
        "policy": None,
        "confidence": None,
        "action_text": text,
        "hide_rule_turn": False,
    }


def slot(name, value):
    return {"event": "slot", "timestamp": ts(), "name": name, "value": value}


def ev(_event, **kw):
    return {"event": _event, "timestamp": ts(), **kw}


def bot(text):
    return {"event": "bot", "timestamp": ts(), "text": text, "data": {}, "metadata": {}}


LISTEN = "action_listen"


def start():
    return [act("action_session_start"), ev("session_started"), act(LISTEN)]


# name -> {"events", "sender_id"?, "all_sessions"?, "until"?}
CASES = {}


def case(name, events, sender_id="c1", all_sessions=False, until=None):
    CASES[name] = {
        "sender_id": sender_id,
        "events": events,
        "all_sessions": all_sessions,
        "until": until,
    }


case(
    "entities",
    [
        *start(),
        user("I am from Berlin", "inform", [ent("city", 10, 16, "Berlin")]),
        act("utter_ack"),
        act(LISTEN),
        user(
            "fly from LA to NYC",
            "book",
            [
                ent("city", 9, 11, "Los Angeles", role="from"),
                ent("city", 15, 18, "NYC", role="to", group="1"),
            ],
        ),
        act("utter_ok"),
        act(LISTEN),
        user(
            "two big pizzas",
            "order",
            [
                ent("number", 0, 3, 2),
                ent("size", 4, 7, "big", group="g"),
                ent("size", 4, 7, "large"),
                {"entity": "no_span", "value": "x"},
                ent("item", 8, 14, "pizzas", confidence_entity=0.9, extractor="DIET"),
            ],
        ),
        act(LISTEN),
        user("zero in Zürich", "inform", [ent("n", 0, 4, 0), ent("city", 8, 14, "Zürich ü")]),
        act(LISTEN),
        user('Ann [x](y) and [Bob]{"entity": "p"}', "i", [ent("name", 0, 3, "Ann")]),
        act(LISTEN),
        user('/greet{"name": "Ann"}', "greet", [ent("name", 0, 3, "Ann")]),
        act(LISTEN),
        user("overlap here", "i", [ent("a", 0, 7, "overlap"), ent("b", 3, 12, "lap here")]),
        act(LISTEN),
        user('[a][{"entity": "x"}, {"entity": "y"}] b', "i", []),
    ],
)
case(
    "retrieval_intents",
    [
        *start(),
        user("what is your name", "faq", retrieval="faq/ask_name"),
        act("utter_faq"),
        act(LISTEN),
        user("bye", "chitchat", retrieval=""),
        act("utter_chitchat"),
        act(LISTEN),
        user(None, "greet"),
        act(LISTEN),
        user("only text"),
        act(LISTEN),
        user(None),
        act(LISTEN),
    ],
)
case(
    "slots",
    [
        *start(),
        user("hi", "greet"),
        slot("l", ["a", "b"]),
        slot("empty_list", []),
        slot("none", None),
        slot("f", 1.5),
        slot("f2", 1e17),
        slot("f3", -0.0),
        slot("f4", 3.0),
        slot("i", 42),
        slot("neg", -7),
        slot("b", True),
        slot("b2", False),
        slot("u", "Zürich – ☃ 😀"),
        slot("d", {"a": 1, "b": [1, {"c": None}], "e": {}, "f": {"g": "h"}}),
        slot("ll", [[1, 2], [], [{"k": "v", "k2": [3]}]]),
        slot("listdicts", [{"a": 1}, {"b": None}]),
        *[
            slot(f"s{n}", v)
            for n, v in enumerate(
                [
                    "yes",
                    "no",
                    "on",
                    "true",
                    "True",
                    "null",
                    "~",
                    "",
                    " ",
                    "1.0",
                    "1e5",
                    ".5",
                    "0x1F",
                    "0o17",
                    "1_000",
                    "+1",
                    "2020-01-01",
                    "2020-01-01 10:00:00",
                    "=",
                    "<<",
                    "#hash",
                    "a #b",
                    "a#b",
                    "a: b",
                    "a:b",
                    "key:",
                    "- dash",
                    "-dash",
                    "? q",
                    "?q",
                    ": c",
                    "@at",
                    "`tick",
                    "%p",
                    "!bang",
                    "&amp",
                    "*star",
                    "|pipe",
                    ">gt",
                    "[x]",
                    "{x}",
                    "a, b",
                    "a [b] {c}",
                    "it's",
                    "'quoted'",
                    '"dq"',
                    "multi\nline",
                    "trailing\n",
                    " lead",
                    "trail ",
                    "tab\there",
                    "cr\rhere",
                    "bell\x07",
                    "nbsp\xa0x",
                    "bom\ufeff",
                    "ls\u2028x",
                    "nel\x85x",
                    "---",
                    "--- x",
                    "...",
                    "a  b",
                    "\\back",
                    "é",
                    "NaN",
                    ".nan",
                    ".inf",
                    "-.Inf",
                    "Null",
                    "FALSE",
                    "0",
                    "007",
                    "3.",
                ]
            )
        ],
        slot("k" * 122, 1),
        slot("k" * 123, 2),
        slot("multi\nkey", "v"),
        slot("", "empty key"),
        slot("yes", "bool-like key"),
        slot("1", "int-like key"),
        act(LISTEN),
    ],
)
case(
    "forms",
    [
        *start(),
        user("book", "request"),
        act("restaurant_form"),
        ev("active_loop", name="restaurant_form"),
        slot("requested_slot", "cuisine"),
        bot("cuisine?"),
        act(LISTEN),
        user("what?", "chitchat"),
        ev("action_execution_rejected", name="restaurant_form", policy="p", confidence=1.0),
        act("utter_chitchat"),
        ev("loop_interrupted", is_interrupted=True),
        act("restaurant_form"),
        slot("requested_slot", "cuisine"),
        act(LISTEN),
        user("italian", "inform", [ent("cuisine", 0, 7, "italian")]),
        slot("cuisine", "italian"),
        act("restaurant_form"),
        slot("requested_slot", None),
        ev("active_loop", name=None),
        ev("form", name="legacy_form"),
        ev("form_validation", validate=False),
        act("utter_submit"),
        act(LISTEN),
    ],
)
case(
    "bot_and_special_actions",
    [
        *start(),
        user("hi", "greet"),
        act(None, text="Hello there!"),
        act(None, text='He said "hi"\nand left: bye'),
        act(None, text="yes"),
        act(None, text="it's me"),
        act("action_unlikely_intent"),
        act("..."),
        act("action_listen"),
        bot("a bot message is not written"),
        ev("followup", name="x"),
        ev("pause"),
        ev("resume"),
        ev("reset_slots"),
        ev("export", path="p"),
        ev("agent", text="a", data=None),
        ev("reminder", intent="r", date_time="2030-01-01T10:00:00+00:00", name="r1"),
        ev("cancel_reminder", name="r1"),
        act("utter_bye"),
        act(LISTEN),
    ],
)
RESTART = [
    *start(),
    user("hi", "greet"),
    slot("a", 1),
    act("action_restart"),
    ev("restart"),
    *start(),
    user("again", "greet"),
    act("utter_greet"),
    act(LISTEN),
]
case("restart", RESTART)
case("restart_all_sessions", RESTART, all_sessions=True)
TWO_SESSIONS = [
    *start(),
    user("hi", "greet"),
    act("utter_greet"),
    act(LISTEN),
    act("action_session_start"),
    ev("session_started"),
    slot("carried", "over"),
    act(LISTEN),
    user("back", "greet"),
    act("utter_welcome_back"),
    act(LISTEN),
]
case("two_sessions_latest", TWO_SESSIONS)
case("two_sessions_all", TWO_SESSIONS, all_sessions=True)
case("two_sessions_all_until_first", TWO_SESSIONS, all_sessions=True, until=1000.0 + 100)
case("two_sessions_until_mid", TWO_SESSIONS, until=TWO_SESSIONS[5]["timestamp"])
case(
    "two_sessions_all_until_mid",
    TWO_SESSIONS,
    all_sessions=True,
    until=TWO_SESSIONS[5]["timestamp"],
)
case("two_sessions_until_before_all", TWO_SESSIONS, until=0.0)
case("two_sessions_all_until_before_all", TWO_SESSIONS, all_sessions=True, until=0.0)
case(
    "events_before_first_session",
    [act(LISTEN), user("early", "greet"), act("utter_x"), *TWO_SESSIONS[:8]],
    all_sessions=True,
)
case(
    "external_and_texts",
    [
        *start(),
        user("EXTERNAL: remind", "remind", metadata={"is_external": True}),
        act("utter_reminder"),
        act(LISTEN),
        user("line one\nline two", "i"),
        act(LISTEN),
        user("  leading spaces", "i"),
        act(LISTEN),
        user("trailing spaces  ", "i"),
        act(LISTEN),
        user("ends with newline\n", "i"),
        act(LISTEN),
        user("two newlines\n\n", "i"),
        act(LISTEN),
        user("\nstarts with newline", "i"),
        act(LISTEN),
        user("para\n\n  indented", "i"),
        act(LISTEN),
        user("tab\tcr\rbell\x07", "i"),
        act(LISTEN),
        user("# not a comment: 'x' \"y\" [z] {w} | > & * ! % @ `", "i"),
        act(LISTEN),
        user("😀 ünïcödé – ☃", "i"),
        act(LISTEN),
        user("x", "i"),
        act(LISTEN),
        user("\u2028sep\u2029", "i"),
        act(LISTEN),
    ],
    sender_id="yes",
)
case(
    "featurization_and_entities_events",
    [
        *start(),
        user("text featurized", "greet"),
        ev("user_featurization", use_text_for_featurization=True),
        act("utter_a"),
        ev("user_featurization", use_text_for_featurization=False),
        act(LISTEN),
        user("add me", "inform", [ent("a", 0, 3, "add")]),
        ev("entities", entities=[ent("b", 4, 6, "me"), ent("a", 0, 3, "add")]),
        act("utter_b"),
        ev("entities", entities=[ent("c", 0, 1, "a")]),
        act(LISTEN),
        user("reverted", "deny"),
        ev("user_featurization", use_text_for_featurization=True),
        act("utter_c"),
        ev("rewind"),
        act(LISTEN),
        user("undone", "affirm"),
        act("utter_d"),
        ev("undo"),
        act(LISTEN),
        ev("user_featurization", use_text_for_featurization=True),
    ],
)
case(
    "featurization_only_session",
    [
        act(LISTEN),
        user("before", "greet"),
        act("action_session_start"),
        act(LISTEN),
        ev("user_featurization", use_text_for_featurization=True),
        user("after", "greet"),
        act(LISTEN),
    ],
    all_sessions=True,
)
case("empty_conversation", [])
case("story_name_quoted", [*start(), user("hi", "greet")], sender_id="a: b #c")
case("story_name_number", [*start(), user("hi", "greet")], sender_id="12345")
case("story_name_empty", [*start(), user("hi", "greet")], sender_id="")
case(
    "until_non_monotonic",
    [act(LISTEN, None), user("a", "a"), act("x"), act(LISTEN)],
    until=0.0,
)
case(
    "long_texts",
    [
        *start(),
        user(" ".join(["word"] * 1200), "long", [ent("w", 5, 9, "word")]),
        act(None, text=" ".join(["bot"] * 1500)),
        slot("plain", " ".join(["w"] * 2100)),
        slot("single", "#" + " ".join(["w"] * 2100)),
        slot("double", "it's " + " ".join(["w"] * 2100)),
        slot("double_escape", "\t" + " ".join(["w"] * 2100)),
        slot("double_spaces", "it's " + "  ".join(["w"] * 1400)),
        act(LISTEN),
    ],
    sender_id="long " * 900,
)
case("invalid_markup_json", [*start(), user("I like [this]{please}", "i")])
case("invalid_markup_schema", [*start(), user('[this]{"role": "x"}', "i")])
case(
    "same_start_different_end",
    [*start(), user("new york", "i", [ent("a", 0, 3, "new"), ent("b", 0, 8, "new york")])],
)

# Seeded random conversations: strings drawn from characters YAML treats specially.
ALPHABET = [*"ab yZ09-:#'\"[]{},?&*!|>%@`~.\\/\t\n", "é", "😀", "\u2028", "—", "x"]
SCALARS = [None, True, False, 0, 1, -2, 0.5, 1e-7, 2.0, [], {}, "yes", "null", "3"]


def rand_text(rng, max_len=12):
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, max_len)))


def rand_value(rng, depth=0):
    roll = rng.random()
    if depth < 2 and roll < 0.15:
        return [rand_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if depth < 2 and roll < 0.3:
        return {rand_text(rng, 6): rand_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    if roll < 0.5:
        return copy.deepcopy(rng.choice(SCALARS))
    return rand_text(rng)


def rand_user(rng):
    text = rand_text(rng, 16) or None
    entities = []
    if text:
        for _ in range(rng.randint(0, 2)):
            s = rng.randint(0, len(text) - 1)
            e = rng.randint(s + 1, len(text))
            entity = ent(rand_text(rng, 5) or "e", s, e, rng.choice([text[s:e], rand_value(rng)]))
            if rng.random() < 0.3:
                entity["role"] = rand_text(rng, 4)
            if rng.random() < 0.2:
                entity["group"] = rand_text(rng, 4)
            if all(x["start"] != s for x in entities):
                entities.append(entity)
    intent = rng.choice([None, "greet", rand_text(rng, 8) or "i"])
    return user(text, intent, entities, retrieval=rng.choice([None, None, f"{intent}/x"]))


def rand_events(rng):
    makers = [
        lambda: rand_user(rng),
        lambda: act(LISTEN),
        lambda: act(rng.choice(["utter_a", rand_text(rng, 10) or "a", "action_session_start"])),
        lambda: act(None, text=rand_text(rng, 20) or "t"),
        lambda: slot(rand_text(rng, 8), rand_value(rng)),
        lambda: ev("active_loop", name=rng.choice([None, "f", rand_text(rng, 6) or "g"])),
        lambda: ev("session_started"),
        lambda: ev("rewind"),
        lambda: ev("undo"),
        lambda: ev("restart"),
        lambda: ev("user_featurization", use_text_for_featurization=rng.random() < 0.5),
        lambda: bot(rand_text(rng)),
    ]
    weights = [6, 5, 4, 2, 4, 1, 1, 1, 1, 1, 1, 1]
    return [rng.choices(makers, weights)[0]() for _ in range(rng.randint(0, 25))]


def add_random_cases(count=120):
    rng = random.Random(36)
    for n in range(count):
        events = [e for e in rand_events(rng)]
        # Markup in random texts is mostly invalid JSON: drop '{' after ']' to keep most
        # cases about the YAML rather than about the error.
        for e in events:
            if e["event"] == "user" and e["text"]:
                e["text"] = e["text"].replace("]{", "] {").replace("][", "] [")
                e["parse_data"]["text"] = e["text"]
        until = rng.choice([None, None, events[len(events) // 2]["timestamp"] if events else None])
        case(
            f"random_{n:03d}",
            events,
            sender_id=rand_text(rng, 10),
            all_sessions=rng.random() < 0.4,
            until=until,
        )


def add_file_cases():
    for path in sorted(FIXTURES.glob("*.json")):
        tracker = json.loads(path.read_text())
        case(f"fixture_{path.stem}", tracker["events"], sender_id=tracker["sender_id"])
        case(
            f"fixture_{path.stem}_until",
            tracker["events"],
            sender_id=tracker["sender_id"],
            until=tracker["events"][len(tracker["events"]) // 2]["timestamp"],
        )
    engine = json.loads(ENGINE_CONVERSATION.read_text())
    case("engine_restaurantbot", engine["events"], sender_id=engine["sender_id"])
    case(
        "engine_restaurantbot_all_sessions",
        engine["events"],
        sender_id=engine["sender_id"],
        all_sessions=True,
    )


def rasa_stories():
    warnings.filterwarnings("ignore")
    logging.disable(logging.CRITICAL)
    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.server import get_test_stories
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import (
        DialogueStateTracker,
        get_trackers_for_conversation_sessions,
    )

    class Processor:
        """The two `MessageProcessor` methods `get_test_stories` calls."""

        def __init__(self, store):
            self.tracker_store = store

        async def get_tracker(self, conversation_id):
            return await self.tracker_store.get_or_create_tracker(
                conversation_id, append_action_listen=False
            )

        async def get_trackers_for_all_conversation_sessions(self, conversation_id):
            tracker = await self.tracker_store.retrieve_full_tracker(conversation_id)
            return get_trackers_for_conversation_sessions(tracker)

    async def run(c):
        store = InMemoryTrackerStore(Domain.empty())
        if c["events"]:
            tracker = DialogueStateTracker.from_dict(c["sender_id"], copy.deepcopy(c["events"]))
            await store.save(tracker)
        return await get_test_stories(
            Processor(store), c["sender_id"], c["until"], c["all_sessions"]
        )

    out = {}
    for name, c in CASES.items():
        try:
            result = {"story": asyncio.run(run(c))}
        except Exception as e:  # recorded: Stratus must refuse the same input
            result = {"error": type(e).__name__}
        out[name] = {**c, **result}
    return out


def record_engine_conversation():
    """Holds a conversation with examples/restaurantbot through Stratus' engine."""
    from stratus.agent import Agent, local_action_client
    from stratus.core.processor import UserMessage
    from stratus.stores.sqlite import SQLiteTrackerStore

    bot_dir = REPO / "examples" / "restaurantbot"
    agent = Agent.load(bot_dir / "models")
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteTrackerStore(Path(tmp) / "trackers.db")
        client = local_action_client(bot_dir / "actions")
        processor = agent.processor(store, action_client=client)
        for text in MESSAGES:
            processor.handle_message(UserMessage(text, sender_id="diner"))
        events = list(store.load_all("diner").events)
        store.close()
    ENGINE_CONVERSATION.write_text(json.dumps({"sender_id": "diner", "events": events}, indent=1))
    print(f"wrote {ENGINE_CONVERSATION} ({len(events)} events)")


MESSAGES = [
    "hi",
    "I'd like to book a table",
    "where can I park?",
    "thai food please",
    "we are 4 people",
    "at 7pm",
    "actually, make it six",
    "thanks",
    "/restart",
    "hello again",
    "are you open on sundays?",
    "what's the weather in Lisbon?",
    "bye",
]


if __name__ == "__main__":
    if "--record-engine" in sys.argv:
        record_engine_conversation()
        sys.exit(0)
    add_file_cases()
    add_random_cases()
    stories = rasa_stories()
    # One case per line: diffs stay readable.
    lines = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in stories.items()]
    TARGET.write_text("{\n" + ",\n".join(lines) + "\n}\n")
    print(f"wrote {TARGET} ({len(stories)} cases)")
