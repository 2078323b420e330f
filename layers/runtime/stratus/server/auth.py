"""The HTTP API's auth, as Rasa's: a shared `?token=` or a JWT signed with HS256.

With neither configured, every request passes (the local default). A JWT's payload
carries `user.username` and `user.role`: `admin` may do everything, `user` only touch
the conversation whose id is its username.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import Request

from stratus.server.errors import ApiError

JWT_ALGORITHM = "HS256"
AUTH_HELP = "https://rasa.com/docs/rasa/http-api#section/Authentication"


@dataclass(frozen=True)
class Authenticator:
    """Checks a request against the configured token and JWT secret."""

    token: str | None = None
    jwt_secret: str | None = None

    def __post_init__(self) -> None:
        # PyJWT pulls in `cryptography` (~15 MB): imported only when JWTs are accepted,
        # and then here, at start-up, rather than on the first request.
        if self.jwt_secret:
            import jwt  # noqa: F401

    @property
    def enabled(self) -> bool:
        return bool(self.token or self.jwt_secret)

    def check(self, request: Request, conversation_id: str | None = None) -> None:
        """Raise 401 without valid credentials, 403 when a `user` JWT reaches too far."""
        if not self.enabled:
            return
        given = request.query_params.get("token")
        if self.token and given is not None and hmac.compare_digest(given, self.token):
            return
        payload = self._jwt_payload(request)
        if payload is None:
            raise ApiError(
                HTTPStatus.UNAUTHORIZED,
                "NotAuthenticated",
                "User is not authenticated.",
                help_url=AUTH_HELP,
            )
        user = payload.get("user")
        if not isinstance(user, dict):
            user = {}
        role, username = user.get("role"), user.get("username")
        if role == "admin":
            return
        if role == "user" and conversation_id is not None and username == conversation_id:
            return
        raise ApiError(
            HTTPStatus.FORBIDDEN,
            "NotAuthorized",
            "User has insufficient permissions.",
            help_url=AUTH_HELP,
        )

    def _jwt_payload(self, request: Request) -> dict[str, Any] | None:
        if not self.jwt_secret:
            return None
        header = request.headers.get("authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            return None
        import jwt

        try:
            payload = jwt.decode(credentials.strip(), self.jwt_secret, algorithms=[JWT_ALGORITHM])
        except jwt.PyJWTError:
            return None
        return payload if isinstance(payload, dict) else None
