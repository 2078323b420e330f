"""Writes rasa36_trackers.json: tracker states rendered by Rasa 3.6.21 for scripted
conversations, the golden data of test_tracker_golden.py.

Run with the Rasa peer (../shared/peers/rasa/install.sh VENV):
    RASA_TELEMETRY_ENABLED=false VENV/bin/python tests/unit/events/data/make_rasa36_golden.py
Only its output is used by the tests; Stratus never imports Rasa.
"""

import copy
import json
import logging
import warnings
from pathlib import Path

T = [1000.0]


def ts():
    T[0] += 1.0
    return T[0]


def user(text, intent=None, entities=None, channel=None, extra=None):
    pd = {
        "intent": {"name": intent, "confidence": 0.9} if intent else {},
        "entities": entities or [],
        "text": text,
    }
    if extra:
        pd.update(extra)
    return {
        "event": "user",
        "timestamp": ts(),
        "text": text,
        "parse_data": pd,
        "input_channel": channel,
        "message_id": f"m{T[0]}",
        "metadata": {},
    }


def act(name, policy=None, conf=None, text=None, hide=False):
    return {
        "event": "action",
        "timestamp": ts(),
        "name": name,
        "policy": policy,
        "confidence": conf,
        "action_text": text,
        "hide_rule_turn": hide,
    }


def slot(n, v):
    return {"event": "slot", "timestamp": ts(), "name": n, "value": v}


def ev(_event, **kw):
    return {"event": _event, "timestamp": ts(), **kw}


def bot(text, **data):
    return {"event": "bot", "timestamp": ts(), "text": text, "data": data, "metadata": {}}


LISTEN = "action_listen"


def start():
    return [act("action_session_start"), ev("session_started"), act(LISTEN)]


# name -> slot initial values (None: any slot), list slots, events.
SC = {}
SC["rewind_after_slot"] = dict(
    slots={"a": None, "b": "init"},
    events=[
        *start(),
        user("hi", "greet", channel="rest"),
        slot("a", 1),
        act("utter_greet"),
        bot("hey"),
        act(LISTEN),
        user(
            "set b",
            "inform",
            [{"entity": "b", "value": "x", "start": 0, "end": 1}],
            channel="slack",
        ),
        slot("b", "x"),
        act("utter_default"),
        ev("rewind"),
    ],
)
SC["undo"] = dict(
    slots={"a": None},
    events=[
        *start(),
        user("hi", "greet"),
        act("utter_greet"),
        act("action_x"),
        slot("a", 5),
        ev("undo"),
    ],
)
SC["undo_twice_then_more"] = dict(
    slots={"a": None},
    events=[
        *start(),
        user("hi", "greet"),
        act("utter_greet"),
        slot("a", 1),
        act("action_x"),
        slot("a", 5),
        ev("undo"),
        ev("undo"),
        act("utter_y"),
        act(LISTEN),
    ],
)
SC["restart"] = dict(
    slots={"a": None, "l": ["x"]},
    events=[
        *start(),
        user("hi", "greet", channel="rest"),
        slot("a", 1),
        ev("pause"),
        act("utter_restart"),
        ev("restart"),
    ],
)
SC["restart_then_session"] = dict(
    slots={"a": None},
    events=[
        *start(),
        user("hi", "greet", channel="rest"),
        slot("a", 1),
        act("action_restart"),
        ev("restart"),
        *start(),
        user("again", "greet"),
        act("utter_greet"),
        act(LISTEN),
    ],
)
SC["session_carry_over"] = dict(
    slots={"a": None, "b": 0},
    events=[
        *start(),
        user("hi", "greet"),
        slot("a", 1),
        slot("b", 2),
        ev("active_loop", name="f"),
        act(LISTEN),
        act("action_session_start"),
        ev("session_started"),
        slot("a", 1),
        act(LISTEN),
    ],
)
SC["form_happy"] = dict(
    slots={"cuisine": None, "num": None, "requested_slot": None},
    events=[
        *start(),
        user("book", "request"),
        act("restaurant_form"),
        ev("active_loop", name="restaurant_form"),
        slot("requested_slot", "cuisine"),
        bot("cuisine?"),
        act(LISTEN),
        user("italian", "inform", [{"entity": "cuisine", "value": "italian"}]),
        slot("cuisine", "italian"),
        act("restaurant_form"),
        slot("requested_slot", "num"),
        bot("how many?"),
        act(LISTEN),
        user("two", "inform", [{"entity": "num", "value": 2}]),
        slot("num", 2),
        act("restaurant_form"),
        slot("requested_slot", None),
        ev("active_loop", name=None),
        act("utter_submit"),
        act(LISTEN),
    ],
)
SC["form_rejected_unhappy"] = dict(
    slots={"cuisine": None, "requested_slot": None},
    events=[
        *start(),
        user("book", "request"),
        act("restaurant_form"),
        ev("active_loop", name="restaurant_form"),
        slot("requested_slot", "cuisine"),
        act(LISTEN),
        user("what?", "chitchat"),
        ev("action_execution_rejected", name="restaurant_form", policy="p", confidence=1.0),
        act("utter_chitchat"),
        ev("loop_interrupted", is_interrupted=True),
        act("restaurant_form"),
        slot("requested_slot", "cuisine"),
        act(LISTEN),
        user("italian", "inform"),
        slot("cuisine", "italian"),
        act("restaurant_form"),
        slot("requested_slot", None),
        ev("active_loop", name=None),
        act(LISTEN),
    ],
)
SC["form_mid_rejection_state"] = dict(
    slots={"requested_slot": None},
    events=[
        *start(),
        user("book", "request"),
        act("f"),
        ev("active_loop", name="f"),
        act(LISTEN),
        user("what?", "chitchat"),
        ev("action_execution_rejected", name="f"),
        ev("loop_interrupted", is_interrupted=True),
    ],
)
SC["form_training_unhappy"] = dict(
    slots={},
    events=[
        *start(),
        user("book", "request"),
        act("f"),
        ev("active_loop", name="f"),
        act(LISTEN),
        user("joke", "chitchat"),
        act("utter_joke"),
        act("f"),
        act(LISTEN),
        user("x", "inform"),
        act("f"),
        ev("active_loop", name=None),
        act(LISTEN),
    ],
)
SC["two_loops"] = dict(
    slots={},
    events=[
        *start(),
        user("a", "a"),
        act("f1"),
        ev("active_loop", name="f1"),
        act(LISTEN),
        user("b", "b"),
        act("f1"),
        ev("active_loop", name=None),
        act("f2"),
        ev("active_loop", name="f2"),
        act(LISTEN),
        user("c", "c"),
        act("f2"),
        act(LISTEN),
        user("d", "d"),
        act("f1"),
    ],
)
SC["misc"] = dict(
    slots=None,
    events=[
        *start(),
        user("hi", "greet", [{"entity": "e", "value": "v", "role": "r"}]),
        ev("user_featurization", use_text_for_featurization=True),
        ev("followup", name="action_foo"),
        ev("pause"),
        ev("resume"),
        ev("pause"),
        ev(
            "reminder",
            intent="remind",
            date_time="2030-01-01T10:00:00+00:00",
            entities=None,
            name="r1",
            kill_on_user_msg=True,
        ),
        ev("cancel_reminder"),
        slot("anything", "v"),
        slot("other", [1]),
        ev("reset_slots"),
        slot("z", 3),
        act(None, text="hello e2e"),
        ev("form", name="legacy"),
        ev("form_validation", validate=False),
    ],
)
SC["list_slots"] = dict(
    slots={"l": None, "t": None},
    list_slots=["l"],
    events=[*start(), slot("l", "one"), slot("t", "one"), slot("unknown", 1), slot("l", "")],
)
SC["list_slots2"] = dict(
    slots={"l": "init", "t": None},
    list_slots=["l"],
    events=[*start(), slot("l", ["a"]), ev("reset_slots")],
)
SC["rewind_without_user"] = dict(
    slots={}, events=[act(LISTEN), ev("rewind"), act("x"), ev("undo"), ev("undo")]
)
SC["empty"] = dict(slots={}, events=[])
SC["followup_then_user"] = dict(
    slots={}, events=[*start(), ev("followup", name="x"), user("hi", "greet")]
)
SC["rewind_in_loop"] = dict(
    slots={"requested_slot": None, "a": None},
    events=[
        *start(),
        user("book", "request"),
        act("f"),
        ev("active_loop", name="f"),
        slot("requested_slot", "a"),
        act(LISTEN),
        user("nonsense", "nlu_fallback"),
        ev("action_execution_rejected", name="f"),
        act("action_default_fallback"),
        bot("sorry"),
        ev("rewind"),
    ],
)
SC["e2e_and_featurization_not_after_listen"] = dict(
    slots={},
    events=[
        *start(),
        user("hi", "greet"),
        act("utter_x"),
        ev("user_featurization", use_text_for_featurization=True),
        ev("entities", entities=[{"entity": "q", "value": 1}]),
    ],
)
SC["loop_should_not_be_set"] = dict(
    slots={},
    events=[
        *start(),
        user("a", "a"),
        ev("active_loop", name="should_not_be_set"),
        ev("action_execution_rejected", name="should_not_be_set"),
        act(None, text="e2e"),
    ],
)


def rasa_states() -> dict:
    warnings.filterwarnings("ignore")
    logging.disable(logging.CRITICAL)
    from rasa.shared.core.conversation import Dialogue
    from rasa.shared.core.events import ActionExecuted, UserUttered, deserialise_events
    from rasa.shared.core.slots import AnySlot, ListSlot
    from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

    def slots_of(sc):
        if sc["slots"] is None:
            return None
        lists = set(sc.get("list_slots", []))
        return [
            (ListSlot if k in lists else AnySlot)(k, mappings=[], initial_value=v)
            for k, v in sc["slots"].items()
        ]

    def queries(t):
        last_action = t.get_last_event_for(ActionExecuted, ["action_listen"])
        last_user = t.get_last_event_for(UserUttered)
        second_action = t.get_last_event_for(
            ActionExecuted, skip=1, event_verbosity=EventVerbosity.ALL
        )
        return {
            "last_action": last_action.as_dict() if last_action else None,
            "last_user": last_user.as_dict() if last_user else None,
            "second_last_action_of_all": second_action.as_dict() if second_action else None,
            "idx_after_latest_restart": t.idx_after_latest_restart(),
            "is_active_loop_rejected": t.is_active_loop_rejected,
            "is_active_loop_interrupted": t.is_active_loop_interrupted,
            "active_loop_name": t.active_loop_name,
            "slots_set": {k: s.has_been_set for k, s in t.slots.items()},
            "latest_entity_values": {
                f"{k}/{r}": list(t.get_latest_entity_values(k, r))
                for k, r in [("e", "r"), ("e", None), ("cuisine", None), ("b", None)]
            },
            "use_text_for_featurization": t.latest_message.use_text_for_featurization,
            "latest_bot_utterance": t.latest_bot_utterance.text,
            "last_executed_action_has_utter_greet": t.last_executed_action_has("utter_greet"),
        }

    def render(t, verbosities):
        return {v: t.current_state(EventVerbosity[v]) for v in verbosities}

    out = {}
    for name, sc in SC.items():
        events = sc["events"]
        # Every prefix without events (cheap), the last one with all verbosities.
        prefixes = []
        for k in range(len(events) + 1):
            t = DialogueStateTracker.from_dict("s1", copy.deepcopy(events[:k]), slots_of(sc))
            prefixes.append(t.current_state(EventVerbosity.NONE))
        final = render(t, ["ALL", "APPLIED", "AFTER_RESTART", "NONE"])
        final["queries"] = queries(t)
        t = DialogueStateTracker("s1", slots_of(sc))
        t.recreate_from_dialogue(Dialogue("s1", deserialise_events(copy.deepcopy(events))))
        recreated = render(t, ["APPLIED"])
        recreated["queries"] = queries(t)
        out[name] = {
            "slots": sc["slots"],
            "list_slots": sc.get("list_slots", []),
            "events": events,
            "prefix_states": prefixes,
            "final": final,
            "recreated": recreated,
        }
    return json.loads(json.dumps(out, default=str))


if __name__ == "__main__":
    target = Path(__file__).with_name("rasa36_trackers.json")
    states = rasa_states()
    # One scenario per line: diffs stay readable without tripling the size.
    lines = [f"{json.dumps(k)}: {json.dumps(v, sort_keys=True)}" for k, v in states.items()]
    target.write_text("{\n" + ",\n".join(lines) + "\n}\n")
    print(f"wrote {target}")
