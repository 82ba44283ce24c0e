"""The replica's settings and the router's one-way rules (the replica itself, in a real
streaming pair: carebond/analytics/tests/test_replica.py)."""

from __future__ import annotations

import pytest
from dj_database_url import DBConfig

from carebond.audit.models import AuditEvent
from carebond.core.db_router import ReplicaRouter
from config.env import ConfigurationError, replica_database

POSTGRES: DBConfig = {"ENGINE": "django.db.backends.postgresql", "NAME": "carebond"}


def test_a_replica_is_a_postgresql_standby_of_a_postgresql_primary() -> None:
    # given a SQLite primary, or a replica URL that is not PostgreSQL
    # when the replica's settings are read
    # then the message names the variable at fault
    with pytest.raises(ConfigurationError, match="CAREBOND_DATABASE_URL is not one"):
        replica_database("postgres://carebond@replica/carebond", {"ENGINE": "x.sqlite3"})
    with pytest.raises(ConfigurationError, match="CAREBOND_REPLICA_URL must be a postgres://"):
        replica_database("sqlite:///var/replica.sqlite3", POSTGRES)


def test_a_replica_that_does_not_answer_is_given_up_quickly() -> None:
    # given a PostgreSQL primary and replica
    replica = replica_database("postgres://carebond@replica:5433/carebond", POSTGRES)
    # then connecting gives up after 2 seconds, and the suite's one database stands in for it
    assert replica["HOST"] == "replica"
    assert replica["OPTIONS"]["connect_timeout"] == 2
    assert replica["TEST"] == {"MIRROR": "default"}


def test_writes_go_to_the_primary_even_for_rows_read_from_the_replica() -> None:
    # given an audit event as if read from the replica
    event = AuditEvent()
    event._state.db = "replica"
    router = ReplicaRouter()
    # then saving it, and migrating, is the primary's alone; reads outside a replica page too
    assert router.db_for_write(AuditEvent, instance=event) == "default"
    assert router.allow_migrate("replica", "audit") is False
    assert router.allow_migrate("default", "audit") is True
    assert router.db_for_read(AuditEvent, instance=event) == "default"
