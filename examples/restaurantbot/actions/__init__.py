"""Custom actions of the restaurant-booking example bot.

Plain Python, standard library only. Every action is a function that takes the
action-server request (``{"next_action", "sender_id", "tracker", "domain",
"version"}``) and returns ``{"events": [...], "responses": [...]}`` in Rasa's
JSON; ``handler.handler(event, context)`` dispatches on ``next_action`` and is
the AWS Lambda entry point.
"""

from .handler import ACTIONS, UnknownActionError, handler, run

__all__ = ["ACTIONS", "UnknownActionError", "handler", "run"]
