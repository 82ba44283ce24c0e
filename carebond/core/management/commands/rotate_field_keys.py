"""carebond rotate_field_keys: re-encrypt every encrypted field with the newest key.

Rotation: put a new key first in CAREBOND_FIELD_KEYS (keep the old ones after it), run this,
then remove the old keys. Runs in batches, one transaction per batch; safe to run again.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from carebond.core.fields import EncryptedTextField, rotate


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field with the newest key in CAREBOND_FIELD_KEYS."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--batch", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        quote = connection.ops.quote_name
        for model in apps.get_models():
            columns = [
                str(f.column)
                for f in model._meta.concrete_fields
                if isinstance(f, EncryptedTextField)
            ]
            if not columns:
                continue
            table, pk = quote(model._meta.db_table), quote(str(model._meta.pk.column))
            for column in map(quote, columns):
                last_id, rotated = 0, 0
                while True:
                    with transaction.atomic(), connection.cursor() as cursor:
                        cursor.execute(
                            f"SELECT {pk}, {column} FROM {table} WHERE {pk} > %s "  # noqa: S608
                            f"AND {column} <> '' ORDER BY {pk} LIMIT %s",
                            [last_id, options["batch"]],
                        )
                        rows = cursor.fetchall()
                        if not rows:
                            break
                        # Only where the value is still what was read: an edit made meanwhile
                        # was written with the newest key already and must not be overwritten.
                        cursor.executemany(
                            f"UPDATE {table} SET {column} = %s "  # noqa: S608
                            f"WHERE {pk} = %s AND {column} = %s",
                            [(rotate(value), row_id, value) for row_id, value in rows],
                        )
                    last_id, rotated = rows[-1][0], rotated + len(rows)
                if rotated:
                    self.stdout.write(
                        f"{model._meta.label}.{column.strip(chr(34))}: "
                        f"{rotated} values re-encrypted"
                    )
                total += rotated
        self.stdout.write(f"Done: {total} values now use the newest key.")
