"""Assembling the engine for a deployed function (the doors in functions/ use this).

Nothing here imports Powertools or knows a Lambda event's shape: the doors pass their
metrics sink and log hooks in, and Mangum turns events into ASGI requests.
"""

from stratus.serverless.service import Service, build_service
from stratus.serverless.settings import ServiceSettings

__all__ = ["Service", "ServiceSettings", "build_service"]
