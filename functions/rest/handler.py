"""Lambda door of the REST channel: POST /webhooks/rest/webhook behind the HTTP API."""

from door import HttpDoor

door = HttpDoor(channels=("rest",))
lambda_handler = door.handler()
