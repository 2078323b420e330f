"""Bot events in the REST channel's reply shape."""

from __future__ import annotations

from stratus.core.output import rest_messages
from stratus.shared.events import BotUttered, SlotSet


def test_text_splits_on_blank_lines_and_other_events_are_skipped() -> None:
    events = [BotUttered(text="one\n\ntwo\nstill two"), SlotSet("a", 1)]
    assert rest_messages("u", events) == [
        {"recipient_id": "u", "text": "one"},
        {"recipient_id": "u", "text": "two\nstill two"},
    ]


def test_quick_replies_go_out_as_buttons() -> None:
    replies = [{"title": "yes", "payload": "/affirm"}]
    event = BotUttered(text="ok?", data={"quick_replies": replies})
    assert rest_messages("u", [event]) == [{"recipient_id": "u", "text": "ok?", "buttons": replies}]


def test_elements_become_text_with_buttons() -> None:
    element = {
        "title": "Pizza",
        "subtitle": "hot",
        "buttons": [{"title": "buy", "payload": "/buy"}],
    }
    event = BotUttered(text=None, data={"elements": [element]})
    assert rest_messages("u", [event]) == [
        {
            "recipient_id": "u",
            "text": "Pizza : hot",
            "buttons": [{"title": "buy", "payload": "/buy"}],
        }
    ]


def test_attachment_equal_to_the_image_is_sent_once() -> None:
    event = BotUttered(data={"image": "https://i/x.png", "attachment": "https://i/x.png"})
    assert rest_messages("u", [event]) == [{"recipient_id": "u", "image": "https://i/x.png"}]
    other = BotUttered(data={"attachment": {"type": "file"}})
    assert rest_messages("u", [other]) == [{"recipient_id": "u", "attachment": {"type": "file"}}]
