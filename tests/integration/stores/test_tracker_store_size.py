"""A 2,000-turn conversation (megabytes, far past DynamoDB's 400 KB item limit)."""

from __future__ import annotations

import json

import pytest
from tracker_store_helpers import StoreKit, session_start, turn

TURNS = 2000
SESSION_EVERY = 100  # a new session every 100 turns, as after an hour's silence
# A realistic message length; the point is the total, not one big event.
FILLER = "could you book me a table for four people tomorrow evening, somewhere quiet"


# Not dynalite: the claim path this exercises runs for every dynalite append in the
# contract tests already, and 8,000 more items there would only slow the suite down.
@pytest.mark.parametrize("kit", ["sqlite", "moto"], indirect=True)
def test_a_2000_turn_conversation_is_stored_and_reloaded_intact(kit: StoreKit) -> None:
    store = kit.make()
    history: list[dict] = []
    pending: list[dict] = []
    version = 0
    for i in range(TURNS):
        ts = 1_700_000_000.0 + i
        if i % SESSION_EVERY == 0:
            pending += session_start(ts)
        pending += turn(f"{i}: {FILLER}", ts)
        # Written 50 turns at a time, so the suite stays fast: that is 200 events per
        # append, which on DynamoDB also exercises appends beyond one transaction.
        if len(pending) >= 200 or i == TURNS - 1:
            version = store.append("long", pending, version, {"turns": i + 1})
            history += pending
            pending = []
    assert sum(len(json.dumps(e)) for e in history) > 2_000_000

    reader = kit.make()  # a fresh instance: nothing cached
    everything = reader.load_all("long")
    assert everything.version == version == len(history)
    assert everything.events == history
    assert everything.head == {"turns": TURNS}
    # A turn reads only its session: the last 100 turns, not 2,000.
    last_session = max(i for i, e in enumerate(history) if e["event"] == "session_started")
    current = reader.load("long")
    assert current.events == history[last_session:]
    assert len(current.events) == 1 + 1 + SESSION_EVERY * 4

    # ... and the next ordinary turn appends on top of the long history.
    reader.append("long", turn("one more"), current.version)
    assert reader.load("long").events[-4:] == turn("one more")
