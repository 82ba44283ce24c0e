"""Analytics and report reads on a read replica, when one is configured (CAREBOND_REPLICA_URL).

Pages opt in: an analytics view runs inside ``reading_from_replica(request)``, and only the
plain reads it makes there go to the replica. Every write, every read inside a transaction
(an audit append locks and reads the chain on the primary), and every read outside such a block
go to the primary. Routing by page rather than by model: analytics reads every app's rows.

The replica is used only when it is safe (docs/deployment.md, "Read replica"): it answers, it is
a standby, it is at most CAREBOND_REPLICA_MAX_LAG_SECONDS behind, and it has replayed this
user's own last write (the primary's WAL position after it, kept in the session), so no one
sees a page from before what they just did. Otherwise the page reads the primary.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    connections,
)
from django.http import HttpRequest

REPLICA = "replica"
# The primary's WAL position after this session's last write (a pg_lsn as text).
WRITTEN_LSN_KEY = "carebond_written_lsn"

logger = logging.getLogger("carebond.replica")
_reading_replica: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "reading_replica", default=False
)

P = ParamSpec("P")
R = TypeVar("R")

# One round trip: is it a standby, how far behind is it, and has it replayed the given position?
# Lag is zero while it streams from the primary and has replayed all it received (an idle primary
# sends nothing: the last replayed transaction's age then says nothing about staleness); cut off
# from the primary, it is that age.
_STATUS_SQL = """
SELECT pg_is_in_recovery(),
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
                 AND EXISTS (SELECT FROM pg_stat_wal_receiver) THEN 0
            ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END,
       %s::pg_lsn IS NULL OR pg_last_wal_replay_lsn() >= %s::pg_lsn
"""


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    """Reads go to the replica only inside reading_from_replica(); writes always to the
    primary (also for rows that were read from the replica)."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        if _reading_replica.get() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, first: Any, second: Any, **hints: Any) -> bool:
        return True  # one database, two copies

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS  # the replica follows the primary's schema by itself


def replica_problem(written_lsn: str | None) -> str | None:
    """Why the replica must not serve this read (None: it may). Never raises."""
    replica = connections[REPLICA]
    try:
        with replica.cursor() as cursor:
            cursor.execute(_STATUS_SQL, [written_lsn, written_lsn])
            standby, lag, caught_up = cursor.fetchone()
    except DatabaseError as error:
        replica.close()  # a broken connection is opened afresh next time
        return f"unreachable ({type(error).__name__})"
    if not standby:
        return "not a standby (promoted?)"
    if lag is None or float(lag) > settings.REPLICA_MAX_LAG_SECONDS:
        return "lagging" if lag is None else f"lagging {float(lag):.1f}s"
    if not caught_up:
        return "behind this user's last write"
    return None


@contextmanager
def reading_from_replica(request: HttpRequest) -> Iterator[bool]:
    """Within the block, plain reads go to the replica if it is safe for this request's user;
    yields whether they do."""
    if not replica_configured():
        yield False
        return
    written = request.session.get(WRITTEN_LSN_KEY) if hasattr(request, "session") else None
    problem = replica_problem(written)
    if problem is not None:
        # Ids and states only: never what the page is about.
        logger.info("Reading from the primary: the replica is %s.", problem)
        yield False
        return
    token = _reading_replica.set(True)
    try:
        yield True
    finally:
        _reading_replica.reset(token)


def read_from_replica(request: HttpRequest, read: Callable[[], R]) -> R:
    """``read()`` with its plain reads on the replica when that is safe for this request's user.
    If the replica fails part-way (stopped, or a long query cancelled by a replay conflict),
    ``read()`` runs once more, on the primary (its reads of PHI are then audited twice)."""
    with reading_from_replica(request) as on_replica:
        try:
            return read()
        except (OperationalError, InterfaceError):
            if not on_replica:
                raise
    connections[REPLICA].close()
    logger.warning("The replica failed during a page: reading it again from the primary.")
    return read()


def reads_replica(view: Callable[P, R]) -> Callable[P, R]:
    """A page whose reads may come from the replica (read_from_replica; the first argument is
    the request)."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        request = args[0]
        assert isinstance(request, HttpRequest)
        return read_from_replica(request, lambda: view(*args, **kwargs))

    return wrapped


def remember_written_lsn(request: HttpRequest) -> None:
    """After a request that may have written, keep the primary's WAL position in the session:
    this user's later reads wait for a replica that has replayed it."""
    if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
        return
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not hasattr(request, "session"):
        return  # no signed-in session to keep it in (signed out, or an API call with a token)
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            (lsn,) = cursor.fetchone()
    except DatabaseError:
        logger.warning("Could not read the primary's WAL position after a write.")
        return
    request.session[WRITTEN_LSN_KEY] = lsn
