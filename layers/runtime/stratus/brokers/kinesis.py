"""Kinesis Data Streams: one record per event, partitioned by conversation.

The conversation id is the partition key, so one conversation's events land on one
shard in the order they were put. A record that Kinesis refuses and that is retried
can arrive after later events of the same turn; consumers that need strict order sort
a conversation's events by `timestamp` (every event carries one).
"""

from __future__ import annotations

import hashlib
from typing import Any

from stratus.brokers.base import JsonDict, RetryPolicy, to_json
from stratus.brokers.batching import BatchingEventBroker, Entry, client_error_code
from stratus.brokers.dead_letter import DeadLetterSink

# PutRecords limits: 500 records and 5 MiB per call, 1 MiB per record (data plus
# partition key), partition keys of at most 256 characters.
MAX_RECORDS = 500
MAX_BATCH_BYTES = 5 * 1024 * 1024
MAX_RECORD_BYTES = 1024 * 1024
MAX_PARTITION_KEY = 256
RETRYABLE = frozenset({"ProvisionedThroughputExceededException", "InternalFailure"})


def partition_key(sender_id: str) -> str:
    """The conversation id; a longer id than Kinesis allows is hashed (still stable)."""
    if sender_id and len(sender_id) <= MAX_PARTITION_KEY:
        return sender_id
    return hashlib.sha256(sender_id.encode()).hexdigest()


class KinesisEventBroker(BatchingEventBroker):
    """Publishes to a Kinesis data stream with PutRecords (`client`: a boto3 Kinesis client)."""

    max_batch_count = MAX_RECORDS
    max_batch_bytes = MAX_BATCH_BYTES
    max_entry_bytes = MAX_RECORD_BYTES
    retryable_codes = RETRYABLE

    def __init__(
        self,
        stream_name: str,
        client: Any,
        *,
        dead_letter: DeadLetterSink | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(dead_letter=dead_letter, retry=retry)
        self.stream_name = stream_name
        self.client = client

    @property
    def destination(self) -> str:
        return f"kinesis:{self.stream_name}"

    def _entry(self, sender_id: str, payload: JsonDict) -> Entry:
        data = to_json(payload).encode()
        key = partition_key(sender_id)
        return Entry(payload, {"Data": data, "PartitionKey": key}, len(data) + len(key.encode()))

    def _send(self, requests: list[JsonDict]) -> list[str | None]:
        response = self.client.put_records(StreamName=self.stream_name, Records=requests)
        results = response.get("Records") or []
        if len(results) != len(requests):
            return ["MissingResult"] * len(requests)
        return [client_error_code(result) for result in results]
