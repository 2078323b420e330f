"""What every HTTP door shares: Powertools, the service built once per container, Mangum.

Each function's `handler.py` makes its door at module level (Lambda's init phase, so
the model is loaded once per container) and exposes `lambda_handler`. Every function
packages this folder (CodeUri: functions/), so the doors share this module.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from mangum import Mangum

from stratus.channels.dispatch import is_channel_job
from stratus.serverless import Service, ServiceSettings, build_service
from stratus.serverless.reminders import is_reminder_event

# A request that runs no turn (a health check, a refused signature) records no metric:
# that is expected, not worth a warning in every such invocation's log.
warnings.filterwarnings("ignore", message="No application metrics to publish")


class HttpDoor:
    """One function's Powertools objects, service and ASGI adapter."""

    def __init__(self, channels: Sequence[str], *, enable_api: bool = False) -> None:
        self.logger = Logger()
        self.metrics = Metrics()
        self.tracer = Tracer()
        # The engine logs through the standard library: give its loggers the same JSON
        # format, so every line carries the conversation id as correlation id.
        copy_config_to_registered_loggers(source_logger=self.logger, include={"stratus"})
        self.service: Service = build_service(
            ServiceSettings.from_environ(os.environ),
            channels=channels,
            enable_api=enable_api,
            metrics=self.metrics,
            on_turn_start=self.logger.set_correlation_id,
        )
        self.asgi = Mangum(self.service.app, lifespan="off")

    def handler(self) -> Any:
        """The Lambda handler: API Gateway events go to the app, channel jobs (which
        the function sends itself to answer a platform later) run their turn, and
        reminder schedules (EventBridge Scheduler) fire their reminder."""

        @self.logger.inject_lambda_context(clear_state=True)
        @self.tracer.capture_lambda_handler(capture_response=False)
        @self.metrics.log_metrics(capture_cold_start_metric=True)
        def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            if is_channel_job(event):
                self.service.run_job(event)
                return {"status": "done"}
            if is_reminder_event(event):
                self.service.fire_reminder(event)
                return {"status": "fired"}
            answer: dict[str, Any] = self.asgi(event, context)
            return answer

        return lambda_handler
