"""What every HTTP door shares: Powertools, the service built once per container, Mangum.

Each function's `handler.py` makes its door at module level (Lambda's init phase, so
the model is loaded once per container) and exposes `lambda_handler`. Every function
packages this folder (CodeUri: functions/), so the doors share this module.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.shared import constants
from aws_lambda_powertools.shared.functions import strtobool
from mangum import Mangum

from stratus.allocator import fix_mmap_threshold
from stratus.channels.dispatch import is_channel_job
from stratus.serverless import Service, ServiceSettings, build_service
from stratus.serverless.reminders import is_reminder_event

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

# What the doors call through: the AWS SDK (DynamoDB through pynamodb, Kinesis,
# EventBridge, SQS, S3, Lambda) and http.client (action servers, platform APIs). Powertools
# would otherwise patch every library X-Ray knows that is importable.
TRACED_MODULES = ("botocore", "pynamodb", "httplib")

# A request that runs no turn (a health check, a refused signature) records no metric:
# that is expected, not worth a warning in every such invocation's log.
warnings.filterwarnings("ignore", message="No application metrics to publish")


def tracing_enabled(environ: Mapping[str, str]) -> bool:
    """Powertools' own rule for when its Tracer is on: in Lambda (not SAM local or
    Chalice) unless POWERTOOLS_TRACE_DISABLED. A disabled Tracer still imports the X-Ray
    SDK and botocore (about 30 MB), so the door makes one only when tracing is on."""
    if strtobool(environ.get(constants.TRACER_DISABLED_ENV, "false")):
        return False
    if environ.get(constants.SAM_LOCAL_ENV) or environ.get(constants.CHALICE_LOCAL_ENV):
        return False
    return bool(environ.get(constants.LAMBDA_TASK_ROOT_ENV))


class HttpDoor:
    """One function's Powertools objects, service and ASGI adapter."""

    def __init__(self, channels: Sequence[str], *, enable_api: bool = False) -> None:
        fix_mmap_threshold()  # before the model and clients load: see stratus.allocator
        self.logger = Logger()
        self.metrics = Metrics()
        self.tracer: Tracer | None = None
        if tracing_enabled(os.environ):
            from aws_lambda_powertools import Tracer

            self.tracer = Tracer(patch_modules=TRACED_MODULES)
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

        if self.tracer is not None:
            lambda_handler = self.tracer.capture_lambda_handler(capture_response=False)(
                lambda_handler
            )
        return self.logger.inject_lambda_context(lambda_handler, clear_state=True)
