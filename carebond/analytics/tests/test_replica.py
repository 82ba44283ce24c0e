"""The key figures on a read replica: two real PostgreSQL clusters (a primary and a streaming
standby of it) and a CareBond process on both (replica_driver.py). The page reads the replica
when it is current; a user who just wrote reads the primary until the replica has replayed
that write; a replica too far behind, stopped, or failing mid-page is passed over and the page
still works."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tools.postgres_replica import StreamingPair, streaming_pair

pytestmark = pytest.mark.replica

ROOT = Path(__file__).resolve().parents[3]
# Long enough for a few steps on a busy machine: the lag grows from the pause on.
MAX_LAG_SECONDS = 6


class Process:
    """The CareBond process of replica_driver.py: one step at a time."""

    def __init__(self, pair: StreamingPair) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "CAREBOND_DATABASE_URL": pair.primary_url,
            "CAREBOND_REPLICA_URL": pair.replica_url,
            "CAREBOND_REPLICA_MAX_LAG_SECONDS": str(MAX_LAG_SECONDS),
        }
        self.child = subprocess.Popen(
            [sys.executable, "-m", "carebond.analytics.tests.replica_driver"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._answer() == {"ready": True}

    def _answer(self) -> dict[str, Any]:
        assert self.child.stdout is not None
        line = self.child.stdout.readline()
        if not line:
            raise RuntimeError(f"The CareBond process ended (exit {self.child.wait()}).")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def __call__(self, step: str, **args: Any) -> dict[str, Any]:
        assert self.child.stdin is not None
        self.child.stdin.write(json.dumps({"step": step, "args": args}) + "\n")
        self.child.stdin.flush()
        return self._answer()

    def close(self) -> None:
        if self.child.stdin is not None:
            self.child.stdin.close()
        self.child.wait(timeout=30)


@pytest.fixture(scope="module")
def pair() -> Iterator[StreamingPair]:
    with streaming_pair() as started:
        yield started


@pytest.fixture(scope="module")
def carebond(pair: StreamingPair) -> Iterator[Process]:
    process = Process(pair)
    yield process
    process.close()


def test_key_figures_read_the_replica_until_it_cannot_serve_them(
    pair: StreamingPair, carebond: Process
) -> None:
    # given 50 of 55 visits kept last month, rolled up on the primary and replayed by the replica
    carebond("visits", kept=50, missed=5)
    pair.wait_for_replay()
    audited = carebond("audit_events", action="kpi.overview.read")["count"]

    # when Ana opens the key figures
    page = carebond("key_figures", user="ana")
    # then the figures come from the replica, and her reading is audited on the primary
    assert page["status"] == 200
    assert "90.9%" in page["html"]
    assert page["reads"].get("replica", 0) > 0
    assert page["reads"].get("default", 0) == 0
    assert carebond("audit_events", action="kpi.overview.read")["count"] == audited + 1

    # when the replica drops Ben's connection in the middle of his page
    page = carebond("key_figures_as_the_replica_dies", user="ben")
    # then the page is read again from the primary, and the next one from the replica again
    assert page["status"] == 200
    assert "90.9%" in page["html"]
    assert page["reads"].get("default", 0) > 0
    assert carebond("key_figures", user="ben")["reads"].get("replica", 0) > 0

    # given the replica stops replaying: it still receives the primary's changes
    pair.wait_for_replay()
    pair.pause_replay()
    # when 30 of 45 more visits are rolled up and Ana subscribes to the location's report
    carebond("visits", kept=30, missed=15)
    assert carebond("subscribe", user="ana")["status"] == 302
    # then Ana's pages read the primary and show the new figure
    page = carebond("key_figures", user="ana")
    assert "80.0%" in page["html"]
    assert page["reads"].get("replica", 0) == 0
    assert page["reads"].get("default", 0) > 0
    # while Ben, who wrote nothing, still reads the replica (so the lag was within the limit)
    page = carebond("key_figures", user="ben")
    assert "90.9%" in page["html"]
    assert page["reads"].get("replica", 0) > 0
    # and Ana's reports show her subscription
    reports = carebond("reports", user="ana")
    assert "Unsubscribe from the report of Alder Main" in reports["html"]

    # when the replica is further behind than the limit
    time.sleep(MAX_LAG_SECONDS)
    page = carebond("key_figures", user="ben")
    # then Ben reads the primary too
    assert "80.0%" in page["html"]
    assert page["reads"].get("replica", 0) == 0

    # when the replica is stopped
    pair.stop_replica()
    page = carebond("key_figures", user="ben")
    # then the page still works, from the primary
    assert page["status"] == 200
    assert "80.0%" in page["html"]
    assert page["reads"].get("default", 0) > 0
