"""Replayed test stories written back as YAML, with Rasa's `# predicted:` comments.

The layout follows Rasa 3.6's YAMLStoryWriter for test stories: `story: name (file)`,
`intent:` before `user: |-` (the text with its entity markup), `slot_was_set` as a list of
one-key maps, correct `action_listen`s left out, and the model's prediction as an
end-of-line comment on each wrong step (and `# predicted: action_unlikely_intent` on a
step the model flagged first). The same writer serves failed_test_stories.yml,
successful_test_stories.yml and stories_with_warnings.yml; each has Rasa's comment for
when it holds no story.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from stratus.core.testing.markup import format_message
from stratus.core.testing.replay import ReplayedStep, StoryOutcome
from stratus.shared.domain.constants import ACTION_LISTEN, ACTION_SESSION_START
from stratus.shared.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered

YAML_VERSION = "3.1"
NO_FAILED_STORIES = "# None of the test stories failed - all good!"
NO_SUCCESSFUL_STORIES = "# None of the test stories succeeded :("
NO_STORIES_WITH_WARNINGS = "# No warnings for test stories"
_PLAIN = re.compile(r"^[A-Za-z_][\w\-/.,'() ]*$")
_YAML_WORDS = {"null", "true", "false", "yes", "no", "on", "off", "y", "n", "~"}


def dump_stories(stories: Sequence[StoryOutcome], if_none: str = NO_FAILED_STORIES) -> str:
    """The stories as one YAML document; `if_none` (Rasa's comment) when there are none."""
    if not stories:
        return if_none
    lines = [f'version: "{YAML_VERSION}"', "stories:"]
    for story in stories:
        lines.append(f"- story: {scalar(story.label)}")
        lines.append("  steps:")
        for step in story.steps:
            lines.extend(_step_lines(step))
    return "\n".join(lines) + "\n"


def scalar(value: Any) -> str:
    """A YAML scalar: plain when unambiguous, else JSON (which YAML reads the same)."""
    if (
        isinstance(value, str)
        and _PLAIN.match(value)
        and value.strip() == value
        and value.lower() not in _YAML_WORDS
    ):
        return value
    return json.dumps(value, ensure_ascii=False)


def _step_lines(step: ReplayedStep) -> list[str]:
    event = step.event
    comment = f"  # {step.comment}" if step.comment else ""
    if isinstance(event, ActionExecuted):
        if event.action_name in (ACTION_LISTEN, ACTION_SESSION_START) and not step.comment:
            return []
        if event.action_name:
            return [f"  - action: {scalar(event.action_name)}{comment}"]
        return [f"  - bot: {scalar(event.action_text)}{comment}"]
    if isinstance(event, UserUttered):
        return _user_lines(event, comment)
    if isinstance(event, SlotSet):
        return ["  - slot_was_set:", f"    - {scalar(event.key)}: {scalar(event.value)}"]
    if isinstance(event, ActiveLoop):
        return [f"  - active_loop: {scalar(event.name)}"]
    return []


def _user_lines(event: UserUttered, comment: str) -> list[str]:
    lines: list[str] = []
    intent = event.full_retrieval_intent_name or event.intent_name
    if intent:
        lines.append(f"  - intent: {scalar(intent)}{comment}")
        comment = ""
    if event.text:
        key = "    user" if lines else "  - user"
        lines.append(f"{key}: |-{comment}")
        text = format_message(event.text, event.entities or [])
        lines.extend(f"      {line}" if line else "" for line in text.split("\n"))
    elif event.entities:
        lines.append("    entities:")
        for entity in event.entities:
            lines.append(f"    - {scalar(entity.get('entity'))}: {scalar(entity.get('value'))}")
    if not lines:
        lines.append(f"  - intent: null{comment}")
    return lines
