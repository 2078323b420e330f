"""Lambda door of Rasa's HTTP API (status, model/parse, conversations, domain)."""

from door import HttpDoor

door = HttpDoor(channels=(), enable_api=True)
lambda_handler = door.handler()
