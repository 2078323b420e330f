"""Reading back what the brokers wrote (a uniquely named module: tests import it)."""

from __future__ import annotations

from typing import Any


def read_stream(client: Any, stream: str) -> list[dict[str, Any]]:
    """Every record of the stream, shard by shard, in each shard's order."""
    records: list[dict[str, Any]] = []
    for shard in client.list_shards(StreamName=stream)["Shards"]:
        iterator = client.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = client.get_records(ShardIterator=iterator, Limit=1000)
            records.extend({**r, "ShardId": shard["ShardId"]} for r in page["Records"])
            if not page["Records"] or page.get("MillisBehindLatest", 0) == 0:
                break
            iterator = page.get("NextShardIterator")
    return records


def drain_queue(client: Any, queue_url: str, expected: int) -> list[dict[str, Any]]:
    """Receive until `expected` messages arrived (or a few empty polls)."""
    messages: list[dict[str, Any]] = []
    empty = 0
    while len(messages) < expected and empty < 3:
        page = client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        batch = page.get("Messages", [])
        empty = 0 if batch else empty + 1
        messages.extend(batch)
    return messages
