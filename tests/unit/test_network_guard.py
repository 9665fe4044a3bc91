"""The autouse guard in tests/conftest.py: a test can reach loopback and nothing else.

"No data leaves the building" is only a tested property while this guard holds.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest

from tests.conftest import NetworkRefused

DOC_NET = "192.0.2.1"  # TEST-NET-1: never routed, so a leak could not succeed by accident


def test_connect_to_a_public_address_is_refused() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)  # without the guard this must fail fast, not hang
        with pytest.raises(NetworkRefused, match="only loopback is allowed"):
            sock.connect((DOC_NET, 443))


def test_connect_ex_is_refused_too() -> None:
    with socket.socket() as sock:
        sock.settimeout(1)
        with pytest.raises(NetworkRefused):
            sock.connect_ex((DOC_NET, 80))


def test_create_connection_is_refused() -> None:
    with pytest.raises(OSError, match="only loopback is allowed"):
        socket.create_connection((DOC_NET, 80), timeout=1)


@pytest.mark.parametrize("address", [("10.0.0.1", 5432), ("169.254.169.254", 80),
                                     ("example.com", 80), ("0.0.0.0", 80)])
def test_private_link_local_and_named_hosts_are_refused(address: tuple[str, int]) -> None:
    with socket.socket() as sock:
        sock.settimeout(1)
        with pytest.raises(NetworkRefused):
            sock.connect(address)


def test_ipv6_public_address_is_refused() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 in this interpreter")
    with socket.socket(socket.AF_INET6) as sock:
        sock.settimeout(1)
        with pytest.raises(NetworkRefused):
            sock.connect(("2001:db8::1", 443, 0, 0))


def test_http_clients_are_refused() -> None:
    with pytest.raises(httpx.ConnectError, match="only loopback is allowed"):
        httpx.get(f"http://{DOC_NET}/", timeout=1)


def test_asyncio_connections_are_refused() -> None:
    async def attempt() -> None:
        await asyncio.wait_for(asyncio.open_connection(DOC_NET, 80), timeout=1)

    with pytest.raises(OSError, match="only loopback is allowed"):
        asyncio.run(attempt())


def test_loopback_is_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        for host in ("127.0.0.1", "localhost"):
            with socket.create_connection((host, port), timeout=2) as client:
                peer, _ = server.accept()
                client.sendall(b"ping")
                assert peer.recv(4) == b"ping"
                peer.close()


def test_unix_sockets_are_allowed(tmp_path: Path) -> None:
    path = str(tmp_path / "s")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(path)
        server.listen()
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(path)


def test_udp_to_a_public_address_is_refused() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock, \
            pytest.raises(NetworkRefused, match="only loopback is allowed"):
        sock.sendto(b"x", (DOC_NET, 53))


def test_name_lookups_are_refused_but_local_names_resolve() -> None:
    with pytest.raises(socket.gaierror, match="lookups are refused"):
        socket.getaddrinfo("example.com", 443)
    assert socket.getaddrinfo("localhost", 80)
    assert socket.getaddrinfo("127.0.0.1", 80)
