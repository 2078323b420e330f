"""Request authentication of the platform webhooks, without a server."""

from __future__ import annotations

from typing import Any

import pytest

from stratus.channels.base import ChannelServices
from stratus.channels.dedup import InMemoryDeduplicator
from stratus.channels.facebook import FacebookChannel
from stratus.channels.facebook import sign as facebook_sign
from stratus.channels.slack import SlackChannel, SlackEnvelope
from stratus.channels.slack import sign as slack_sign
from stratus.channels.telegram import TelegramChannel
from stratus.server.errors import ApiError

# Slack's documented example: this secret, timestamp and body give this signature.
SLACK_DOC_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_DOC_TIMESTAMP = "1531420618"
SLACK_DOC_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
    b"G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook"
    b"-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F3977"
    b"00885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d1"
    b"0d2c447fce8b6703c"
)
SLACK_DOC_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def services() -> ChannelServices:
    # Signature checks touch neither the processor nor the client.
    none: Any = None
    return ChannelServices(none, none, InMemoryDeduplicator())


def slack(now: float, **settings: Any) -> SlackChannel:
    credentials = {"slack_token": "t", "slack_signing_secret": SLACK_DOC_SECRET, **settings}
    return SlackChannel(services(), credentials, clock=lambda: now)


def slack_headers(timestamp: str, signature: str) -> dict[str, str]:
    return {"x-slack-request-timestamp": timestamp, "x-slack-signature": signature}


def test_slack_signature_matches_slacks_documented_example() -> None:
    assert slack_sign(SLACK_DOC_SECRET, SLACK_DOC_TIMESTAMP, SLACK_DOC_BODY) == SLACK_DOC_SIGNATURE
    channel = slack(now=int(SLACK_DOC_TIMESTAMP) + 10)
    channel.verify_signature(
        SLACK_DOC_BODY, slack_headers(SLACK_DOC_TIMESTAMP, SLACK_DOC_SIGNATURE)
    )


@pytest.mark.parametrize(
    ("offset", "body", "signature", "message"),
    [
        (0, SLACK_DOC_BODY + b"x", SLACK_DOC_SIGNATURE, "does not match"),
        (301, SLACK_DOC_BODY, SLACK_DOC_SIGNATURE, "5 minutes"),
        (-301, SLACK_DOC_BODY, SLACK_DOC_SIGNATURE, "5 minutes"),
        (0, SLACK_DOC_BODY, "", "no Slack signature"),
    ],
)
def test_slack_refuses(offset: int, body: bytes, signature: str, message: str) -> None:
    channel = slack(now=int(SLACK_DOC_TIMESTAMP) + offset)
    with pytest.raises(ApiError, match=message) as raised:
        channel.verify_signature(body, slack_headers(SLACK_DOC_TIMESTAMP, signature))
    assert raised.value.status == 401


def test_slack_accepts_the_edge_of_the_window() -> None:
    channel = slack(now=int(SLACK_DOC_TIMESTAMP) + 300)
    channel.verify_signature(
        SLACK_DOC_BODY, slack_headers(SLACK_DOC_TIMESTAMP, SLACK_DOC_SIGNATURE)
    )


def test_slack_event_text_and_granularity() -> None:
    channel = slack(now=0, conversation_granularity="channel", slack_channel="CFIXED")
    envelope = SlackEnvelope.model_validate(
        {
            "type": "event_callback",
            "authorizations": [{"user_id": "UBOT", "is_bot": True}],
            "event": {
                "type": "app_mention",
                "user": "U1",
                "channel": "C1",
                "ts": "1.5",
                "text": "<@UBOT> mail <mailto:a@b.c|a@b.c> or <@U2> see <https://x.io|x.io>",
            },
        }
    )
    message, delivery = channel.parse_event(envelope)
    assert message is not None
    assert message.text == "mail a@b.c or <@U2> see https://x.io"
    assert message.sender_id == "U1_C1"
    assert message.reply_to == {"channel": "CFIXED"}  # slack_channel overrides
    assert delivery == "C1:1.5"


def test_telegram_secret_token() -> None:
    settings = {
        "access_token": "1:a",
        "verify": "bot",
        "webhook_url": "https://x",
        "secret_token": "s3",
    }
    channel = TelegramChannel(services(), settings)
    channel.verify_secret({"x-telegram-bot-api-secret-token": "s3"})
    for wrong in ({"x-telegram-bot-api-secret-token": "s4"}, {}):
        with pytest.raises(ApiError) as raised:
            channel.verify_secret(wrong)
        assert raised.value.status == 401


def test_facebook_signature() -> None:
    channel = FacebookChannel(
        services(), {"verify": "v", "secret": "app", "page-access-token": "p"}
    )
    body = b'{"object":"page","entry":[]}'
    channel.verify_signature(body, {"x-hub-signature-256": facebook_sign("app", body)})
    assert (
        facebook_sign("app", body).startswith("sha256=") and len(facebook_sign("app", body)) == 71
    )
    for headers in (
        {"x-hub-signature-256": facebook_sign("other", body)},
        {"x-hub-signature-256": facebook_sign("app", body + b" ")},
        {"x-hub-signature": "sha1=" + "0" * 40},  # the older header is not enough
    ):
        with pytest.raises(ApiError) as raised:
            channel.verify_signature(body, headers)
        assert raised.value.status == 401
