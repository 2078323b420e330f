"""Lambda door of the Facebook Messenger channel: POST /webhooks/facebook/webhook behind the HTTP API."""

from door import HttpDoor

door = HttpDoor(channels=("facebook",))
lambda_handler = door.handler()
