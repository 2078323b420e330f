"""A stand-in for ``rasa run actions``: serve these actions over Rasa's action-server HTTP.

Only needed to run the bot with Rasa itself (Stratus calls ``handler`` directly)::

    cd examples/restaurantbot && python -m actions.server --port 5055

``POST /webhook`` takes the action-server request and answers 200 with
``{"events", "responses"}``, 404 for an unknown action and 500 if the action
raised, as rasa_sdk does; ``GET /health`` and ``GET /actions`` as well.
"""

from __future__ import annotations

import argparse
import json
import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .handler import ACTIONS, UnknownActionError, run

logger = logging.getLogger(__name__)


class ActionRequestHandler(BaseHTTPRequestHandler):
    def _reply(self, status: int, body: Any) -> None:
        payload = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        if self.path == "/health":
            self._reply(200, {"status": "ok"})
        elif self.path == "/actions":
            self._reply(200, [{"name": name} for name in ACTIONS])
        else:
            self._reply(404, {"error": "not found"})

    def do_POST(self) -> None:
        if self.path != "/webhook":
            self._reply(404, {"error": "not found"})
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
            request = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._reply(400, {"error": "the body is not JSON"})
            return
        name = request.get("next_action") if isinstance(request, dict) else None
        try:
            self._reply(200, run(request))
        except UnknownActionError as error:
            self._reply(404, {"error": str(error), "action_name": name})
        except Exception as error:  # an action bug must not take the server down
            logger.exception("action %s failed", name)
            self._reply(500, {"error": str(error), "action_name": name})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    server = ThreadingHTTPServer((args.host, args.port), ActionRequestHandler)
    logger.info("serving %d actions on http://%s:%d/webhook", len(ACTIONS), args.host, args.port)
    server.serve_forever()


if __name__ == "__main__":
    main()
