"""Lambda door of the Telegram channel: POST /webhooks/telegram/webhook behind the HTTP API."""

from door import HttpDoor

door = HttpDoor(channels=("telegram",))
lambda_handler = door.handler()
