"""Rasa's error body, and the one table that maps Stratus exceptions to HTTP responses."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from stratus import RASA_COMPATIBLE_VERSION
from stratus.core.actions.registry import UnknownActionError
from stratus.shared.events.base import InvalidEventError
from stratus.shared.exceptions import (
    ActionFailure,
    ActionRejection,
    ConfigError,
    IncompatibleModelError,
    ProjectError,
    StratusError,
    TrackerConflictError,
)
from stratus.shared.training_data.story_writer import StoryExportError
from stratus.stores.base import EventTooLargeError
from stratus.stores.locking import LockTimeoutError

# Exception type -> (status, Rasa `reason`). The most specific class in the raised
# error's MRO wins, so a subclass can answer differently from its parent.
ERROR_TABLE: dict[type[BaseException], tuple[HTTPStatus, str]] = {
    ProjectError: (HTTPStatus.BAD_REQUEST, "BadRequest"),
    ConfigError: (HTTPStatus.BAD_REQUEST, "BadRequest"),
    InvalidEventError: (HTTPStatus.BAD_REQUEST, "BadRequest"),
    UnknownActionError: (HTTPStatus.NOT_FOUND, "NotFound"),
    TrackerConflictError: (HTTPStatus.CONFLICT, "Conflict"),
    # Another turn of the conversation held its lock for too long: try again later.
    LockTimeoutError: (HTTPStatus.SERVICE_UNAVAILABLE, "ConversationBusy"),
    EventTooLargeError: (HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "PayloadTooLarge"),
    # Stored events that no story can express (Rasa answers 500 for these).
    StoryExportError: (HTTPStatus.UNPROCESSABLE_ENTITY, "StoryExportError"),
    IncompatibleModelError: (HTTPStatus.INTERNAL_SERVER_ERROR, "LoadingError"),
    ActionFailure: (HTTPStatus.BAD_GATEWAY, "ActionExecutionFailed"),
    ActionRejection: (HTTPStatus.CONFLICT, "ActionExecutionRejected"),
    StratusError: (HTTPStatus.INTERNAL_SERVER_ERROR, "ConversationError"),
}


class ApiError(Exception):
    """An answer in Rasa's error shape, raised from a route (Rasa's ErrorResponse)."""

    def __init__(
        self,
        status: HTTPStatus,
        reason: str,
        message: str,
        details: Any = None,
        help_url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.details = details if details is not None else {}
        self.help_url = help_url

    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.reason, self.message, self.details, self.help_url)


def error_body(
    status: HTTPStatus,
    reason: str,
    message: str,
    details: Any = None,
    help_url: str | None = None,
) -> dict[str, Any]:
    """`{"version","status":"failure","message","reason","details","help","code"}`."""
    return {
        "version": RASA_COMPATIBLE_VERSION,
        "status": "failure",
        "message": message,
        "reason": reason,
        "details": details if details is not None else {},
        "help": help_url,
        "code": int(status),
    }


def api_error_for(error: BaseException) -> ApiError:
    """The response for an exception a route let through (unknown ones are 500s)."""
    for cls in type(error).__mro__:
        if cls in ERROR_TABLE:
            status, reason = ERROR_TABLE[cls]
            return ApiError(status, reason, str(error) or type(error).__name__)
    return ApiError(
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "ConversationError",
        f"An unexpected error occurred: {type(error).__name__}",
    )
