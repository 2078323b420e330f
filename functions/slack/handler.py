"""Lambda door of the Slack channel (Events API): POST /webhooks/slack/webhook behind the HTTP API."""

from door import HttpDoor

door = HttpDoor(channels=("slack",))
lambda_handler = door.handler()
