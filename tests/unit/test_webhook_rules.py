"""Small rules of the webhook machinery: address classes, URLs, Retry-After, the schedule."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from lexgraph.adapters.webhooks.http_sender import parse_retry_after
from lexgraph.core.config.settings import Settings
from lexgraph.core.webhooks.ssrf import UnsafeUrl, UrlGuard, non_public_reason


@pytest.mark.parametrize(("address", "reason"), [
    ("8.8.8.8", None),
    ("2606:4700:4700::1111", None),
    ("::ffff:8.8.8.8", None),  # IPv4-mapped: judged by the IPv4 address it carries
    ("::ffff:192.168.1.1", "private"),
    ("2002:c0a8:0101::1", "private"),  # 6to4 around 192.168.1.1
    ("2002:0808:0808::1", None),  # 6to4 around 8.8.8.8
    ("64:ff9b::a9fe:a9fe", "cloud metadata"),  # NAT64 around 169.254.169.254
    ("64:ff9b::808:808", None),
    ("100.127.255.254", "shared (CGNAT)"),
    ("198.18.0.1", "private"),  # benchmarking range
    ("192.0.2.10", "private"),  # documentation range
    ("240.0.0.1", "private"),
    ("255.255.255.255", "private"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),  # global-scope multicast is still multicast
])
def test_address_classes(address: str, reason: str | None) -> None:
    assert non_public_reason(ipaddress.ip_address(address)) == reason


def test_the_check_pins_the_first_address_and_names_the_host() -> None:
    guard = UrlGuard(resolver=lambda host, port: ["93.184.215.14", "2606:2800:21f::1"])
    target = guard.check("https://Hooks.Example.com./in?x=1")
    assert (target.host, target.port, target.address) == ("hooks.example.com", 443,
                                                          "93.184.215.14")
    assert target.pinned_url == "https://93.184.215.14:443/in?x=1"
    assert target.host_header == "hooks.example.com"
    v6 = UrlGuard().check("http://[2606:2800:21f::1]:8080")
    assert v6.pinned_url == "http://[2606:2800:21f::1]:8080/"
    assert v6.host_header == "[2606:2800:21f::1]:8080"


@pytest.mark.parametrize("url", ["http://example.com:99999/", "http://:80/", "mailto:x@y.z",
                                 "http://u@example.com/", "https://example.com/" + "x" * 2000])
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        UrlGuard(resolver=lambda host, port: ["93.184.215.14"]).check(url)


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Sun, 29 Nov 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Sun, 29 Nov 2026 11:00:00 GMT", now) == 0.0  # in the past
    for value in (None, "", "soon", "-5", "1.5"):
        assert parse_retry_after(value, now) is None


def test_schedule_and_networks_settings() -> None:
    settings = Settings(webhook_retry_schedule=" 0, 30 ,5m,2h", webhook_allowed_networks=
                        "10.0.0.0/8, ::1")
    assert settings.webhook_retry_delays == (0.0, 30.0, 300.0, 7200.0)
    assert settings.webhook_allowed_network_list == (ipaddress.ip_network("10.0.0.0/8"),
                                                     ipaddress.ip_network("::1/128"))
    assert Settings().webhook_retry_delays == (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
    for bad in ({"webhook_retry_schedule": "0,5x"}, {"webhook_retry_schedule": ","},
                {"webhook_retry_schedule": "0,-5"}, {"webhook_retry_schedule": "inf"},
                {"webhook_allowed_networks": "intranet"},
                {"webhook_timeout_seconds": 30, "webhook_lease_seconds": 30}):
        with pytest.raises(ValidationError):
            Settings(**bad)
