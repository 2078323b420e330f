"""The embedded tracker store: one SQLite file, safe across threads and processes.

Each thread gets its own connection (sqlite3 connections must not be shared), the file
runs in WAL mode so readers never block the writer, and every write is a
`BEGIN IMMEDIATE` transaction: it takes the file's write lock up front, so two
processes committing to the same conversation serialize instead of deadlocking on a
lock upgrade, and a commit's version check and its writes are one atomic step.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from stratus.shared.events import compact_json
from stratus.shared.exceptions import TrackerConflictError
from stratus.stores.base import (
    StoredConversation,
    TrackerStore,
    TrackerStoreError,
    check_conversation_id,
    check_expected_version,
    empty_conversation,
    encode_event,
    latest_boundary,
)
from stratus.stores.locking import (
    LOCK_TTL_MARGIN_SECONDS,
    LockLostError,
    LockSettings,
    LockState,
    LockToken,
    holds,
)

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS heads (
    conversation_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    base INTEGER NOT NULL,
    session_start INTEGER NOT NULL,
    state TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    created_at REAL,
    updated_at REAL NOT NULL,
    expires_at INTEGER
);
CREATE INDEX IF NOT EXISTS heads_by_created_at ON heads (created_at);
CREATE TABLE IF NOT EXISTS events (
    conversation_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    expires_at INTEGER,
    PRIMARY KEY (conversation_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS locks (
    conversation_id TEXT PRIMARY KEY,
    issued INTEGER NOT NULL,
    rev INTEGER NOT NULL,
    serving INTEGER NOT NULL,
    held INTEGER NOT NULL,
    deadline REAL NOT NULL,
    fence INTEGER NOT NULL,
    owner TEXT NOT NULL,
    abandoned TEXT NOT NULL,
    expires_at INTEGER
);
"""


class SQLiteTrackerStore(TrackerStore):
    """Tracker store in a local SQLite file (the embedded default)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        ttl_seconds: float | None = None,
        lock_settings: LockSettings | None = None,
        busy_timeout_seconds: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.busy_timeout_seconds = busy_timeout_seconds
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        super().__init__(ttl_seconds=ttl_seconds, lock_settings=lock_settings, clock=clock)
        self._migrate()

    # --- connections -------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        # A connection must not cross a fork: the child opens its own.
        if conn is None or self._local.pid != os.getpid():
            # isolation_level=None: we issue BEGIN/COMMIT ourselves (BEGIN IMMEDIATE).
            # check_same_thread=False only so that close() may close every thread's
            # connection; each is otherwise used by its own thread alone.
            conn = sqlite3.connect(
                self.path,
                timeout=self.busy_timeout_seconds,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across crashes
            self._local.conn, self._local.pid = conn, os.getpid()
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        # A deferred transaction is one WAL snapshot: the head and the events agree.
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def _migrate(self) -> None:
        with self._write() as conn:
            found = conn.execute("PRAGMA user_version").fetchone()[0]
            if found > SCHEMA_VERSION:
                raise TrackerStoreError(
                    f"{self.path} was written by a newer Stratus (schema {found}; "
                    f"this one knows {SCHEMA_VERSION})."
                )
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    # --- events ----------------------------------------------------------------------

    def load(self, conversation_id: str, since_session_start: bool = True) -> StoredConversation:
        check_conversation_id(conversation_id)
        with self._read() as conn:
            row = conn.execute(
                "SELECT version, base, session_start, state, deleted, updated_at, expires_at "
                "FROM heads WHERE conversation_id = ?",
                (conversation_id,),
            ).fetchone()
            if row is None:
                return empty_conversation(conversation_id)
            version, base, session_start, state, deleted, updated_at, expires_at = row
            first = max(base, session_start) if since_session_start else base
            rows = conn.execute(
                "SELECT data FROM events WHERE conversation_id = ? AND seq BETWEEN ? AND ? "
                "ORDER BY seq",
                (conversation_id, first, version),
            ).fetchall()
        return StoredConversation(
            conversation_id=conversation_id,
            events=[json.loads(data) for (data,) in rows],
            version=version,
            head=json.loads(state),
            first_seq=first,
            session_start=session_start,
            exists=not deleted and version > 0,
            updated_at=updated_at,
            expires_at=expires_at,
        )

    def session_position(self, conversation_id: str) -> tuple[int, int]:
        check_conversation_id(conversation_id)
        with self._read() as conn:
            row = conn.execute(
                "SELECT version, base, session_start FROM heads WHERE conversation_id = ?",
                (conversation_id,),
            ).fetchone()
        if row is None:
            return 0, 1  # as `empty_conversation`
        version, base, session_start = row
        return version, max(base, session_start)

    def append(
        self,
        conversation_id: str,
        new_events: Sequence[Mapping[str, Any]],
        expected_version: int,
        head_update: Mapping[str, Any] | None = None,
        lock: LockToken | None = None,
    ) -> int:
        check_conversation_id(conversation_id)
        check_expected_version(expected_version)
        encoded = [encode_event(e) for e in new_events]
        with self._write() as conn:
            row = conn.execute(
                "SELECT version, base, session_start, state FROM heads WHERE conversation_id = ?",
                (conversation_id,),
            ).fetchone()
            version, base, session_start, state = row or (0, 1, 0, "{}")
            if version != expected_version:
                raise TrackerConflictError(
                    f"Conversation '{conversation_id}' is at version {version}, "
                    f"not {expected_version}."
                )
            self._check_lock(conn, lock)
            if not encoded and not head_update:
                return version
            boundary = latest_boundary(new_events, version + 1)
            merged = {**json.loads(state), **(head_update or {})}
            self._commit(
                conn,
                conversation_id,
                encoded,
                first_seq=version + 1,
                base=base,
                session_start=session_start if boundary is None else boundary,
                state=merged,
            )
        return version + len(encoded)

    def replace(
        self,
        conversation_id: str,
        events: Sequence[Mapping[str, Any]],
        expected_version: int | None = None,
        head: Mapping[str, Any] | None = None,
        lock: LockToken | None = None,
    ) -> int:
        check_conversation_id(conversation_id)
        if expected_version is not None:
            check_expected_version(expected_version)
        encoded = [encode_event(e) for e in events]
        with self._write() as conn:
            row = conn.execute(
                "SELECT version FROM heads WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()
            version = row[0] if row else 0
            if expected_version is not None and version != expected_version:
                raise TrackerConflictError(
                    f"Conversation '{conversation_id}' is at version {version}, "
                    f"not {expected_version}."
                )
            self._check_lock(conn, lock)
            # New history goes above the old one: versions never go back (see base.py).
            conn.execute("DELETE FROM events WHERE conversation_id = ?", (conversation_id,))
            boundary = latest_boundary(events, version + 1)
            self._commit(
                conn,
                conversation_id,
                encoded,
                first_seq=version + 1,
                base=version + 1,
                session_start=0 if boundary is None else boundary,
                state=dict(head or {}),
            )
        return version + len(encoded)

    def _commit(
        self,
        conn: sqlite3.Connection,
        conversation_id: str,
        encoded: list[str],
        *,
        first_seq: int,
        base: int,
        session_start: int,
        state: Mapping[str, Any],
    ) -> None:
        now = self.clock()
        expires_at = self.expiry(now)
        conn.executemany(
            "INSERT OR REPLACE INTO events (conversation_id, seq, data, expires_at) "
            "VALUES (?, ?, ?, ?)",
            [(conversation_id, first_seq + i, data, expires_at) for i, data in enumerate(encoded)],
        )
        conn.execute(
            "INSERT INTO heads (conversation_id, version, base, session_start, state, deleted, "
            "created_at, updated_at, expires_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?) "
            "ON CONFLICT (conversation_id) DO UPDATE SET version = excluded.version, "
            "base = excluded.base, session_start = excluded.session_start, "
            "state = excluded.state, deleted = 0, "
            "created_at = coalesce(heads.created_at, excluded.created_at), "
            "updated_at = excluded.updated_at, expires_at = excluded.expires_at",
            (
                conversation_id,
                first_seq + len(encoded) - 1,
                base,
                session_start,
                compact_json(state),
                now,
                now,
                expires_at,
            ),
        )

    def _check_lock(self, conn: sqlite3.Connection, lock: LockToken | None) -> None:
        if lock is None:
            return
        state = _read_lock(conn, lock.conversation_id)
        if not holds(state, lock):
            raise LockLostError(
                f"The lock of conversation '{lock.conversation_id}' was taken over "
                f"(fence {lock.fence}, now {state.fence})."
            )

    def delete(self, conversation_id: str) -> None:
        check_conversation_id(conversation_id)
        with self._write() as conn:
            # Keep a tombstone head: its version stays, so stale writers still conflict.
            conn.execute(
                "UPDATE heads SET deleted = 1, base = version + 1, session_start = 0, "
                "state = '{}', created_at = NULL, updated_at = ? WHERE conversation_id = ?",
                (self.clock(), conversation_id),
            )
            conn.execute("DELETE FROM events WHERE conversation_id = ?", (conversation_id,))

    def list_conversations(self) -> list[str]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT conversation_id FROM heads WHERE deleted = 0 AND version > 0 "
                "ORDER BY created_at, conversation_id"
            ).fetchall()
        return [cid for (cid,) in rows]

    def purge_expired(self) -> int:
        """Delete what outlived its TTL (DynamoDB does this itself); return conversations purged."""
        now = int(self.clock())
        with self._write() as conn:
            gone = conn.execute(
                "DELETE FROM heads WHERE expires_at < ? RETURNING conversation_id", (now,)
            ).fetchall()
            conn.execute("DELETE FROM events WHERE expires_at < ?", (now,))
            conn.execute("DELETE FROM locks WHERE expires_at < ?", (now,))
        return len(gone)

    def _lock_backend(self) -> SQLiteLockBackend:
        def lock_expiry(now: float) -> int | None:
            expiry = self.expiry(now)
            return None if expiry is None else expiry + LOCK_TTL_MARGIN_SECONDS

        return SQLiteLockBackend(self._write, self._read, lock_expiry)


class SQLiteLockBackend:
    """`LockBackend` on the `locks` table: each primitive is one IMMEDIATE transaction."""

    def __init__(
        self,
        write: Callable[[], AbstractContextManager[sqlite3.Connection]],
        read: Callable[[], AbstractContextManager[sqlite3.Connection]],
        expiry: Callable[[float], int | None],
    ) -> None:
        self._write = write
        self._read = read
        self._expiry = expiry

    def issue_ticket(self, conversation_id: str, now: float) -> tuple[int, LockState]:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO locks (conversation_id, issued, rev, serving, held, deadline, "
                "fence, owner, abandoned, expires_at) VALUES (?, 1, 0, 1, 0, 0, 0, '', '[]', ?) "
                "ON CONFLICT (conversation_id) DO UPDATE SET issued = locks.issued + 1, "
                "expires_at = excluded.expires_at",
                (conversation_id, self._expiry(now)),
            )
            state = _read_lock(conn, conversation_id)
        return state.issued, state

    def read_lock(self, conversation_id: str) -> LockState:
        with self._read() as conn:
            return _read_lock(conn, conversation_id)

    def write_lock(
        self,
        conversation_id: str,
        expected_rev: int,
        new: LockState,
        prune: frozenset[int],
        now: float,
    ) -> bool:
        with self._write() as conn:
            found = conn.execute(
                "SELECT rev, abandoned FROM locks WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()
            if found is None or found[0] != expected_rev:
                return False
            abandoned = sorted(set(json.loads(found[1])) - prune)
            conn.execute(
                "UPDATE locks SET rev = ?, serving = ?, held = ?, deadline = ?, fence = ?, "
                "owner = ?, abandoned = ?, expires_at = ? WHERE conversation_id = ?",
                (
                    new.rev,
                    new.serving,
                    int(new.held),
                    new.deadline,
                    new.fence,
                    new.owner,
                    json.dumps(abandoned),
                    self._expiry(now),
                    conversation_id,
                ),
            )
        return True

    def abandon_ticket(self, conversation_id: str, ticket: int) -> None:
        with self._write() as conn:
            found = conn.execute(
                "SELECT abandoned FROM locks WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()
            if found is not None:
                abandoned = sorted({*json.loads(found[0]), ticket})
                conn.execute(
                    "UPDATE locks SET abandoned = ? WHERE conversation_id = ?",
                    (json.dumps(abandoned), conversation_id),
                )


def _read_lock(conn: sqlite3.Connection, conversation_id: str) -> LockState:
    row = conn.execute(
        "SELECT rev, serving, held, deadline, fence, owner, abandoned, issued "
        "FROM locks WHERE conversation_id = ?",
        (conversation_id,),
    ).fetchone()
    if row is None:
        return LockState()
    rev, serving, held, deadline, fence, owner, abandoned, issued = row
    return LockState(
        rev=rev,
        serving=serving,
        held=bool(held),
        deadline=deadline,
        fence=fence,
        owner=owner,
        abandoned=frozenset(json.loads(abandoned)),
        issued=issued,
    )
