"""The HTTP API of `rasa run --enable-api` (RASA-REFERENCE.md section 2).

Conversations are rendered from every stored event (`load_all`), as Rasa renders its
full tracker; turns go through the processor, which holds the conversation's lock.
Unlike Rasa, reading a conversation that was never stored is a 404, not an empty tracker.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from stratus.agent import Agent
from stratus.core.processor import MessageProcessor, TurnResult, UserMessage
from stratus.core.trackers import new_tracker
from stratus.server.auth import Authenticator
from stratus.server.errors import ApiError
from stratus.server.schemas import (
    ExecuteBody,
    MessageBody,
    ParseBody,
    TriggerIntentBody,
    conversation_id_fits,
)
from stratus.shared.events import Event, events_from_dicts
from stratus.shared.tracker import DialogueStateTracker, EventVerbosity
from stratus.shared.training_data.story_writer import conversation_story_yaml
from stratus.stores.base import TrackerStore

JsonDict = dict[str, Any]
EventsBody = Annotated[
    dict[str, Any] | list[dict[str, Any]], Body(description="one event or a list of events")
]


def conversation_id(
    conversation_id: str = Path(description="the conversation (sender) id"),
) -> str:
    try:
        return conversation_id_fits(conversation_id)
    except ValueError as e:
        raise ApiError(
            HTTPStatus.BAD_REQUEST, "BadRequest", str(e), {"parameter": "conversation_id"}
        ) from None


def verbosity(
    include_events: str = Query("AFTER_RESTART", description="ALL, APPLIED, AFTER_RESTART or NONE"),
) -> EventVerbosity:
    try:
        return EventVerbosity[include_events.upper()]
    except KeyError:
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            "BadRequest",
            f"Invalid value '{include_events}' for 'include_events': use one of "
            f"{', '.join(v.name for v in EventVerbosity)}.",
            {"parameter": "include_events", "in": "query"},
        ) from None


ConversationPath = Annotated[str, Depends(conversation_id)]
Verbosity = Annotated[EventVerbosity, Depends(verbosity)]
OutputChannel = Annotated[
    str | None, Query(description="`latest`: the conversation's latest input channel")
]


def api_router(
    agent: Agent, processor: MessageProcessor, store: TrackerStore, auth: Authenticator
) -> APIRouter:
    """The HTTP API over one model, processor and store."""
    domain = agent.domain

    async def check_auth(request: Request) -> None:
        # A `user` JWT reaches only its own conversation: the path names it. Async: a
        # sync dependency costs every API request a hop to the thread pool (~0.2 ms).
        auth.check(request, request.path_params.get("conversation_id"))

    router = APIRouter(dependencies=[Depends(check_auth)], tags=["HTTP API"])

    def full_tracker(cid: str, must_exist: bool = False) -> DialogueStateTracker:
        stored = store.load_all(cid)
        if must_exist and not stored.exists:
            raise ApiError(
                HTTPStatus.NOT_FOUND,
                "NotFound",
                f"There is no conversation with the id '{cid}'.",
                {"parameter": "conversation_id", "in": "path"},
            )
        return new_tracker(domain, cid, events_from_dicts(stored.events))

    def channel(cid: str, output_channel: str | None) -> str | None:
        if output_channel == "latest":
            return full_tracker(cid).latest_input_channel
        return output_channel

    def turn_answer(result: TurnResult, include: EventVerbosity) -> JsonDict:
        return {
            "tracker": full_tracker(result.sender_id).current_state(include),
            "messages": result.messages,
        }

    @router.get("/status", summary="The loaded model")
    def status() -> JsonDict:
        return {
            "model_file": str(agent.model_dir),
            "model_id": agent.manifest.model_id,
            "num_active_training_jobs": 0,
        }

    @router.get("/conversations/{conversation_id}/tracker", summary="A conversation's tracker")
    def get_tracker(
        cid: ConversationPath,
        include: Verbosity,
        until: float | None = Query(None, description="only events up to this timestamp"),
    ) -> JsonDict:
        tracker = full_tracker(cid, must_exist=True)
        if until is not None:
            tracker = tracker.travel_back_in_time(until)
        return tracker.current_state(include)

    @router.post("/conversations/{conversation_id}/tracker/events", summary="Append events")
    def append_events(cid: ConversationPath, include: Verbosity, events: EventsBody) -> JsonDict:
        new = _parse_events(events)
        if new:
            processor.append_events(cid, new)
        return full_tracker(cid).current_state(include)

    @router.put("/conversations/{conversation_id}/tracker/events", summary="Replace history")
    def replace_events(cid: ConversationPath, include: Verbosity, events: EventsBody) -> JsonDict:
        new = _parse_events(events)
        tracker = new_tracker(domain, cid, new)
        with store.lock(cid) as token:
            store.replace(
                cid, [event.as_dict() for event in new], head=head_snapshot(tracker), lock=token
            )
        return full_tracker(cid).current_state(include)

    @router.get(
        "/conversations/{conversation_id}/story",
        summary="The conversation as a YAML test story",
        response_class=PlainTextResponse,
        responses={200: {"content": {"text/yaml": {}}}},
    )
    def story(
        cid: ConversationPath,
        all_sessions: bool = Query(False, description="one story per session"),
        until: float | None = Query(None, description="only events up to this timestamp"),
    ) -> Response:
        stored = store.load_all(cid)
        if not stored.exists:
            raise ApiError(
                HTTPStatus.NOT_FOUND,
                "NotFound",
                f"There is no conversation with the id '{cid}'.",
                {"parameter": "conversation_id", "in": "path"},
            )
        text = conversation_story_yaml(
            events_from_dicts(stored.events), cid, all_sessions=all_sessions, until=until
        )
        return PlainTextResponse(text, media_type="text/yaml")

    @router.post("/conversations/{conversation_id}/messages", summary="Log a user message")
    def add_message(
        cid: ConversationPath,
        include: Verbosity,
        body: MessageBody,
        input_channel: str | None = Query(None),
    ) -> JsonDict:
        if body.sender != "user":
            raise ApiError(
                HTTPStatus.BAD_REQUEST,
                "BadRequest",
                "Currently, only user messages can be passed to this endpoint. "
                f"Messages of sender '{body.sender}' cannot be handled.",
                {"parameter": "sender", "in": "body"},
            )
        message = UserMessage(
            body.text, sender_id=cid, input_channel=input_channel, parse_data=body.parse_data
        )
        result = processor.log_message(message)
        return full_tracker(result.sender_id).current_state(include)

    @router.post("/conversations/{conversation_id}/predict", summary="Score the next action")
    def predict(cid: ConversationPath) -> JsonDict:
        full = full_tracker(cid, must_exist=True)
        tracker = processor.tracker(cid)
        _, prediction = agent.policies.predict_next_action(tracker, domain)
        ranked = sorted(
            zip(domain.action_names_or_texts, prediction.probabilities),
            key=lambda pair: -pair[1],
        )
        scores = [{"action": name, "score": float(score)} for name, score in ranked]
        return {
            "scores": scores,
            "policy": prediction.policy_name,
            "confidence": prediction.max_confidence,
            "tracker": full.current_state(EventVerbosity.AFTER_RESTART),
        }

    @router.post("/conversations/{conversation_id}/execute", summary="Run one action")
    def execute(
        cid: ConversationPath,
        include: Verbosity,
        body: ExecuteBody,
        output_channel: OutputChannel = None,
    ) -> JsonDict:
        confidence = None if body.confidence is None else float(body.confidence)
        result = processor.execute_action(
            cid, body.name, body.policy, confidence, channel(cid, output_channel)
        )
        return turn_answer(result, include)

    @router.post(
        "/conversations/{conversation_id}/trigger_intent", summary="Act as if the user said"
    )
    def trigger_intent(
        cid: ConversationPath,
        include: Verbosity,
        body: TriggerIntentBody,
        output_channel: OutputChannel = None,
    ) -> JsonDict:
        if body.name not in domain.intent_names:
            raise ApiError(
                HTTPStatus.NOT_FOUND,
                "NotFound",
                f"The intent {body.name} does not exist in the domain.",
                {"parameter": "name", "in": "body"},
            )
        result = processor.trigger_intent(
            cid, body.name, body.entities, channel(cid, output_channel)
        )
        return turn_answer(result, include)

    @router.post(
        "/model/parse",
        summary="NLU parse of a text",
        response_model=None,
        responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}},
    )
    async def parse(body: ParseBody) -> JSONResponse:
        # On the event loop, as Rasa parses: about a millisecond of onnxruntime and
        # featurizing, where the thread pool hops for the endpoint and its serialisation
        # cost ~0.4 ms more. JSONResponse: the result is plain JSON already.
        return JSONResponse(processor.parse(body.text))

    @router.get(
        "/domain",
        summary="The model's domain (JSON, or YAML with `Accept: application/x-yml`)",
        response_model=None,
        responses={200: {"content": {"application/x-yml": {}}}},
    )
    def get_domain(request: Request) -> JsonDict | Response:
        accept = request.headers.get("accept", "application/json").split(";")[0].strip()
        if accept.endswith(("yml", "yaml")):
            text = yaml.safe_dump(domain.as_dict(), sort_keys=False, allow_unicode=True)
            return Response(text, media_type="application/x-yml")
        if accept.endswith("json") or accept in ("", "*/*"):
            return domain.as_dict()
        raise ApiError(
            HTTPStatus.NOT_ACCEPTABLE,
            "NotAcceptable",
            'Invalid Accept header. Domain can be provided as json ("Accept: '
            'application/json") or yml ("Accept: application/x-yml"). Make sure you\'ve '
            "set the appropriate Accept header.",
        )

    return router


def head_snapshot(tracker: DialogueStateTracker) -> JsonDict:
    """The head record's snapshot, as the processor writes it after a turn."""
    return {
        "slots": tracker.current_slot_values(),
        "active_loop": tracker.active_loop_name,
        "latest_action_name": tracker.latest_action_name,
        "paused": tracker.paused,
        "latest_event_time": tracker.events[-1].timestamp if tracker.events else None,
    }


def _parse_events(body: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> list[Event]:
    items = [body] if isinstance(body, Mapping) else list(body)
    return events_from_dicts(items)
