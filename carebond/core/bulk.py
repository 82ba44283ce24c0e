"""Many rows in one prepared statement, for imports and indexes.

Django's bulk_create prepares every value of every row through its field; for plain rows of
text and ids that is most of the time an import spends. Here each row goes to the driver as it
is (executemany; psycopg pipelines it on PostgreSQL), and only values that are the same for
every row (a timestamp, a run id) are prepared, once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection


def insert_rows(
    model: Any,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    constants: dict[str, Any] | None = None,
) -> None:
    """INSERT ``rows`` (plain values in ``columns`` order: ids, text, numbers) into the model's
    table, each with the ``constants`` too. No signals, no returned ids: bookkeeping rows only."""
    if not rows:
        return
    constants = constants or {}
    prepared = [
        model._meta.get_field(name).get_db_prep_save(value, connection)
        for name, value in constants.items()
    ]
    names = [*columns, *(model._meta.get_field(name).column for name in constants)]
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(names)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(names))})"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(*row, *prepared) for row in rows])
