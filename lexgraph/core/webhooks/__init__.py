"""Webhooks: endpoints and secrets, the outbox relay, signed delivery with retries, SSRF guard.

Job events reach receivers in three steps, each restartable: ``relay`` fans every new outbox
event out into deliveries (one per destination), the scheduler hands due deliveries to the
``webhooks`` queue, and ``delivery`` makes one signed attempt under a lease and schedules the
next. Everything that must survive a restart (attempt counts, next attempt times, leases)
is in the database.
"""

from lexgraph.core.webhooks.delivery import Deliverer
from lexgraph.core.webhooks.relay import Relay
from lexgraph.core.webhooks.ssrf import UnsafeUrl, UrlGuard
from lexgraph.core.webhooks.store import WebhookStore

__all__ = ["Deliverer", "Relay", "UnsafeUrl", "UrlGuard", "WebhookStore"]
