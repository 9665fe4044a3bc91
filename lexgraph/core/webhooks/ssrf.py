"""Keep webhook URLs from reaching inside the network (SSRF), and pin the address that passed.

A URL is checked when it is registered and again before every attempt: DNS can change between
the two (rebinding), and even between a check and a connect, so an attempt connects to the very
address this module approved rather than looking the name up again.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from lexgraph.core.config.settings import IPNetwork
from lexgraph.core.errors import Unprocessable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port -> the addresses the name stands for, as text. Injectable so tests (which may not
# use DNS) can make any name resolve anywhere.
Resolver = Callable[[str, int], Sequence[str]]

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
MAX_URL_LENGTH = 2000
_UNSAFE_URL_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f\\]")
_HOST_NAME = re.compile(r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*"
                        r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.?")
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)")


def _check_host(host: str) -> None:
    """Refuse a host that is not written the one canonical way: a lower-case name of letters,
    digits and hyphens (internationalized names in their xn-- form), a dotted-quad IPv4
    address without leading zeros, or a bracketed IPv6 address. Percent-encoded, octal, hex,
    short or integer forms of an address are how a check is made to see a different host
    from the one the client will connect to."""
    if "%" in host:
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])  # an IPv6 zone: fe80::1%25eth0
        except ValueError:
            raise UnsafeUrl("the URL's host must not be percent-encoded; write it out"
                            ) from None
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        return
    except ValueError:
        pass
    if not host.isascii():
        raise UnsafeUrl("write an internationalized host name in its ASCII (xn--) form")
    labels = host.rstrip(".").split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        raise UnsafeUrl("the URL's host looks like an IP address but is not written as one "
                        "(four decimal numbers without leading zeros)")
    if not _HOST_NAME.fullmatch(host) or len(host) > 253:
        raise UnsafeUrl("the URL's host is not a valid host name")


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in found:
            found.append(address)
    return found


class UnsafeUrl(Unprocessable):
    """A webhook URL that is malformed or would reach a non-public address."""


class Unresolvable(Exception):
    """The host name has no address (right now)."""


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    # IPv6 forms that carry an IPv4 address which is where the packets really go.
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
    return None


def non_public_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public unicast address, or None when it is one."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_v4(ip)
        if inner is not None:
            return non_public_reason(inner)
    if ip in _METADATA:
        return "cloud metadata"
    checks = (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "shared (CGNAT)"),
        (ip.is_private, "private"),
        (ip.is_reserved, "reserved"),
        (not ip.is_global, "non-public"),
    )
    for matched, reason in checks:
        if matched:
            return reason
    return None


@dataclass(frozen=True)
class Target:
    """A checked URL and the address to connect to in place of a fresh lookup."""

    url: str
    scheme: str
    host: str
    port: int
    address: str
    path: str

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"

    @property
    def pinned_url(self) -> str:
        address = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.scheme}://{address}:{self.port}{self.path}"


class UrlGuard:
    """Decides whether a webhook URL may be called, under the operator's allow-list."""

    def __init__(self, allowed: Sequence[IPNetwork] = (),
                 resolver: Resolver | None = None) -> None:
        self.allowed = tuple(allowed)
        self.resolver: Resolver = resolver or system_resolver

    def parse(self, url: str) -> SplitResult:
        """Syntax only: an absolute http(s) URL with a canonical host, no credentials, a valid
        port, and nothing a client, a proxy and this check could each read differently."""
        if len(url) > MAX_URL_LENGTH:
            raise UnsafeUrl(f"the URL is longer than {MAX_URL_LENGTH} characters")
        url = url.strip()
        # urlsplit silently drops tabs and line breaks, so the URL checked would not be the
        # URL stored and sent; a backslash is a slash to some clients and not to others.
        if _UNSAFE_URL_CHARS.search(url):
            raise UnsafeUrl("the URL must not contain spaces, control characters (such as "
                            "CR or LF) or backslashes")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UnsafeUrl("an absolute http(s) URL is required")
        if "@" in parts.netloc:
            raise UnsafeUrl("the URL must not carry credentials; receivers authenticate "
                            "deliveries by their signature")
        try:
            _ = parts.port
        except ValueError:
            raise UnsafeUrl("the URL's port is not valid") from None
        _check_host(parts.hostname)
        return parts

    def _admitted(self, ip: IPAddress) -> bool:
        return any(ip.version == net.version and ip in net for net in self.allowed)

    def _refuse_unless_admitted(self, ip: IPAddress, host: str, literal: bool) -> None:
        reason = non_public_reason(ip)
        if reason is None or self._admitted(ip):
            return
        where = host if literal else f"{host} resolves to {ip}, which"
        article = "an" if reason[0] in "aeiou" else "a"
        raise UnsafeUrl(
            f"{where} is {article} {reason} address; webhooks may only reach public addresses "
            "(operators can admit internal networks with LEXGRAPH_WEBHOOK_ALLOWED_NETWORKS)"
        )

    def check(self, url: str) -> Target:
        """Resolve and vet ``url``; every address the name has must pass, not only the first.

        Raises ``UnsafeUrl`` when it may not be called and ``Unresolvable`` when its name has
        no address.
        """
        parts = self.parse(url)
        host = (parts.hostname or "").rstrip(".").lower()
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            literal: IPAddress | None = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            literal = None
        if literal is not None:
            addresses: list[IPAddress] = [literal]
        else:
            try:
                found = self.resolver(host, port)
            except (OSError, UnicodeError) as exc:
                raise Unresolvable(f"{host} could not be resolved ({exc})") from None
            addresses = []
            for text in found:
                try:
                    addresses.append(ipaddress.ip_address(text.split("%", 1)[0]))
                except ValueError:
                    continue
            if not addresses:
                raise Unresolvable(f"{host} has no address")
        for ip in addresses:
            self._refuse_unless_admitted(ip, host, literal is not None)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        return Target(url=url, scheme=parts.scheme, host=host, port=port,
                      address=str(addresses[0]), path=path)

    def check_registration(self, url: str) -> str:
        """Vet a URL being registered; returns it trimmed.

        A name that does not resolve yet is accepted (its DNS may be set up after the
        endpoint); every delivery checks again before connecting.
        """
        url = url.strip()
        with contextlib.suppress(Unresolvable):
            self.check(url)
        return url
