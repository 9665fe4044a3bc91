"""Shared pieces of the webhook tests: a test DNS, an app that uses it, and a delivery pump.

The pump runs the real relay and deliverer in this process, the way a webhooks worker's
scheduler and tasks do, so a test can drive deliveries step by step without Celery.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient

from lexgraph.adapters.webhooks.http_sender import HttpSender
from lexgraph.api import create_app
from lexgraph.core.config.settings import Settings
from lexgraph.core.webhooks import Deliverer, Relay, UrlGuard
from tests.integration.conftest import Api

PUBLIC_IP = "93.184.215.14"  # a public address; tests never connect to it


class StaticDns:
    """Stands in for DNS: names resolve to what the test says, anything else fails."""

    def __init__(self, records: dict[str, list[str]] | None = None) -> None:
        self.records = dict(records or {})
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host not in self.records:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} is not in the test's DNS")
        return list(self.records[host])


@contextmanager
def open_api(settings: Settings, dns: StaticDns | None = None) -> Iterator[Api]:
    with TestClient(create_app(settings, resolver=dns)) as client:
        yield Api(client, settings)


class Pump:
    """The scheduler loop and the delivery task, run inline."""

    def __init__(self, api: Api, dns: StaticDns | None = None) -> None:
        settings = api.settings
        engine = api.store.engine
        self.relay = Relay(engine, settings)
        self.deliverer = Deliverer(engine, settings, HttpSender(
            settings, UrlGuard(settings.webhook_allowed_network_list, dns)))
        self.outcomes: list[str] = []

    def once(self) -> list[str]:
        """One scheduler round; delivers what was due. Returns the outcomes."""
        done = [self.deliverer.deliver(delivery_id) for delivery_id in self.relay.tick()]
        self.outcomes.extend(done)
        return done

    def until(self, predicate: Callable[[], Any], timeout: float = 30,
              interval: float = 0.05) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.once()
            found = predicate()
            if found:
                return found
            time.sleep(interval)
        raise AssertionError(f"timed out after {timeout}s; outcomes so far: {self.outcomes}")

    def close(self) -> None:
        self.deliverer.close()


def deliveries(api: Api, auth: dict[str, str], *, endpoint: str | None = None,
               job: str | None = None) -> list[dict[str, Any]]:
    path = (f"/v1/webhook-endpoints/{endpoint}/deliveries" if endpoint
            else f"/v1/jobs/{job}/deliveries")
    resp = api.client.get(path, headers=auth, params={"limit": 200})
    assert resp.status_code == 200, resp.text
    data: list[dict[str, Any]] = resp.json()["data"]
    return data
