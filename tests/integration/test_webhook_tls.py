"""HTTPS deliveries connect to the checked address yet speak TLS to the host name: SNI and
certificate verification use the name from the URL, not the pinned IP."""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lexgraph.adapters.webhooks.http_sender import HttpSender
from lexgraph.core.config.settings import Settings
from lexgraph.core.webhooks import Deliverer, Relay, UrlGuard
from tests.integration.webhook_helpers import StaticDns, deliveries, open_api
from tests.receiver import Receiver, verify

HOST = "hooks.example.com"


def _certificate(tmp: Path) -> tuple[Path, Path]:
    """A self-signed certificate for HOST only: not valid for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_https_delivery_names_the_host_in_sni_and_verifies_its_certificate(
        embedded_settings: Settings, tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    sni: list[str | None] = []

    def record_sni(_sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        sni.append(name)

    server_ctx.sni_callback = record_sni
    receiver = Receiver().start(tls=server_ctx)
    settings = embedded_settings.model_copy(update={"webhook_allowed_networks": "127.0.0.1/32"})
    dns = StaticDns({HOST: ["127.0.0.1"]})
    try:
        with open_api(settings, dns) as api:
            auth = api.tenant("acme")
            ep: dict[str, Any] = api.client.post("/v1/webhook-endpoints", headers=auth, json={
                "url": receiver.url(host=HOST, scheme="https")}).json()
            api.submit(auth)
            # Trusts only our certificate, which is valid for HOST and not for 127.0.0.1: the
            # handshake succeeds only if the client checks the certificate against HOST.
            client = httpx.Client(verify=ssl.create_default_context(cafile=str(cert)),
                                  follow_redirects=False, trust_env=False)
            deliverer = Deliverer(api.store.engine, settings, HttpSender(
                settings, UrlGuard(settings.webhook_allowed_network_list, dns), client))
            try:
                for delivery_id in Relay(api.store.engine, settings).tick():
                    assert deliverer.deliver(delivery_id) == "succeeded"
            finally:
                deliverer.close()
            [d] = deliveries(api, auth, endpoint=ep["id"])
    finally:
        receiver.stop()
    assert d["status"] == "succeeded"
    [r] = receiver.received()
    assert sni == [HOST]
    assert r.headers["host"] == f"{HOST}:{receiver.port}"
    verify(r, ep["secret"])
