"""Running work in several threads released at the same moment, as several workers would."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.db import OperationalError, connections


def at_once(work: Callable[[], object], workers: int = 2) -> list[BaseException]:
    """Run ``work`` in ``workers`` threads released together; the errors they raised.

    The suite's SQLite database lives in memory, shared between connections, and there a
    write that meets another connection's write fails at once ("database table is locked")
    where a database file (CareBond's own SQLite, WAL, with a busy timeout) or PostgreSQL
    waits. Such a refusal is retried, as a waiting database would; any other error counts."""
    start = threading.Barrier(workers)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            for attempt in range(50):
                try:
                    work()
                    return
                except OperationalError as error:
                    if "table is locked" not in str(error) or attempt == 49:
                        raise
                    time.sleep(0.05)
        except BaseException as error:  # reported to the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def suite_database_url() -> str:
    """The suite's own PostgreSQL test database as CAREBOND_DATABASE_URL, for the real
    processes (servers, workers) a test starts beside it."""
    db = connections["default"].settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
