"""The HTTP server: channels and Rasa's HTTP API as one FastAPI app.

`create_app` is imported on first use, so `import stratus.server` stays cheap (no
FastAPI, no model) for code that only needs the package, such as the CLI's table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stratus.server.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from stratus.server.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
