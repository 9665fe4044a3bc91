"""Webhook URLs are refused unless written the one canonical way, before any address check:
what the check reads must be what the delivery client connects to."""

from __future__ import annotations

import pytest

from lexgraph.core.webhooks.ssrf import UnsafeUrl, UrlGuard

PUBLIC = "93.184.215.14"


def _guard() -> UrlGuard:
    # Every name resolves to a public address, so only the URL's form can refuse it.
    return UrlGuard(resolver=lambda host, port: [PUBLIC])


@pytest.mark.parametrize(("url", "words"), [
    ("http://%31%32%37.0.0.1/", "percent-encoded"),
    ("http://hooks.ex%61mple.com/", "percent-encoded"),
    ("http://127.1/", "not written as one"),
    ("http://0x7f.0.0.1/", "not written as one"),
    ("http://2130706433/", "not written as one"),
    ("http://0177.0.0.1/", "not written as one"),
    ("http://01.2.3.4/", "not written as one"),
    ("http://hooks.example.com/in\r\nX-Injected: 1", "control characters"),
    ("http://hooks.example.com/a\tb", "control characters"),
    ("http://hooks.example.com/a b", "spaces"),
    ("http://hooks.example.com\\@1.2.3.4/", "backslashes"),
    ("http://user:pw@hooks.example.com/", "credentials"),
    ("http://@hooks.example.com/", "credentials"),
    ("http://münchen.example/", "xn--"),
    ("http://-bad-.example.com/", "not a valid host name"),
    ("http://a..b.example.com/", "not a valid host name"),
])
def test_non_canonical_urls_are_refused(url: str, words: str) -> None:
    with pytest.raises(UnsafeUrl) as err:
        _guard().check(url)
    assert words in err.value.detail


@pytest.mark.parametrize("url", [
    "https://hooks.example.com/lexgraph?x=1",
    "https://Hooks.Example.COM./in",
    "http://xn--mnchen-3ya.example/",
    "http://93.184.215.14:8080/",
    "http://[2606:2800:21f::1]/",
])
def test_canonical_urls_pass(url: str) -> None:
    assert _guard().check(url).address in (PUBLIC, "2606:2800:21f::1", "93.184.215.14")


def test_registration_refuses_a_percent_encoded_loopback_even_unresolvable() -> None:
    def no_dns(host: str, port: int) -> list[str]:
        raise OSError("no DNS here")

    with pytest.raises(UnsafeUrl):
        UrlGuard(resolver=no_dns).check_registration("http://%31%32%37.0.0.1/")
    assert UrlGuard(resolver=no_dns).check_registration(
        " https://later.example.com/in ") == "https://later.example.com/in"
