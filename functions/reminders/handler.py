"""Lambda door of the reminders: EventBridge Scheduler invokes it when a reminder falls
due (the schedule's input names the conversation and the reminder)."""

from door import HttpDoor

door = HttpDoor(channels=("rest",))
lambda_handler = door.handler()
