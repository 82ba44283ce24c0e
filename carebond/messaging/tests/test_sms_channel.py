"""The text channel's HTTP client reads the proxy settings of its environment once, and still
honours them (a practice behind an outbound proxy) and their exceptions (NO_PROXY)."""

from __future__ import annotations

import pytest

from carebond.messaging.channels.sms import http_client


def test_a_proxy_in_the_environment_is_used_for_the_provider(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = http_client("https://api.twilio.com")
    assert client.proxy == {"https": "http://proxy.internal:3128"}
    # and the session does not look the environment up again on every text
    assert client.session is not None
    assert client.session.trust_env is False


def test_a_provider_named_in_no_proxy_is_reached_directly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "sms.internal")
    assert http_client("https://sms.internal/2010-04-01").proxy == {}


def test_a_ca_bundle_in_the_environment_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/practice-ca.pem")
    client = http_client("https://api.twilio.com")
    assert client.session is not None
    assert client.session.verify == "/etc/ssl/certs/practice-ca.pem"
