"""A failing run's logs carry no request body, bound SQL value, secret, key or personal data.

The database is made to refuse inserts into ``jobs`` and ``webhook_endpoints`` (a trigger), so
the API fails the way the outside probe made it fail, and everything it logged is searched.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from lexgraph.core.config.settings import Settings
from lexgraph.core.logsafety import scrub
from tests.integration.conftest import Api
from tests.integration.webhook_helpers import PUBLIC_IP, StaticDns, open_api

SSN = "123-45-6789"
EMAIL = "jane.roe@example.com"
NAME = "Jane Roe"
INSTRUCTIONS = f"Client {NAME}, SSN {SSN}, e-mail {EMAIL}: focus on termination."
DOCUMENT = "Confidential settlement between Harbour Ltd and Quay plc for 4,000,000 dollars."
TABLES = ("jobs", "webhook_endpoints")


def _refuse_inserts(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("CREATE OR REPLACE FUNCTION lexgraph_test_refuse() RETURNS trigger "
                              "AS $$ BEGIN RAISE EXCEPTION 'insert refused by test trigger'; "
                              "END $$ LANGUAGE plpgsql"))
            for table in TABLES:
                conn.execute(text(f"CREATE TRIGGER lexgraph_test_refuse BEFORE INSERT ON {table} "
                                  "FOR EACH ROW EXECUTE FUNCTION lexgraph_test_refuse()"))
        else:
            for table in TABLES:
                conn.execute(text(f"CREATE TRIGGER lexgraph_test_refuse_{table} BEFORE INSERT "
                                  f"ON {table} BEGIN SELECT RAISE(ABORT, "
                                  "'insert refused by test trigger'); END"))


def _allow_inserts(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in TABLES:
            if engine.dialect.name == "postgresql":
                conn.execute(text(f"DROP TRIGGER IF EXISTS lexgraph_test_refuse ON {table}"))
            else:
                conn.execute(text(f"DROP TRIGGER IF EXISTS lexgraph_test_refuse_{table}"))
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP FUNCTION IF EXISTS lexgraph_test_refuse()"))


@pytest.fixture
def failing_api(any_settings: Settings) -> Iterator[Api]:
    with open_api(any_settings, StaticDns({"hooks.example.com": [PUBLIC_IP]})) as api:
        engine = api.store.engine
        _refuse_inserts(engine)
        try:
            yield api
        finally:
            _allow_inserts(engine)


def test_a_failing_run_logs_nothing_secret(failing_api: Api,
                                           caplog: pytest.LogCaptureFixture) -> None:
    api = failing_api
    key, _ = api.store.create_key("acme")
    auth = {"Authorization": f"Bearer {key}"}
    caplog.set_level(logging.DEBUG)

    resp = api.submit(auth, matter="harbour-v-quay", instructions=INSTRUCTIONS,
                      webhook_url="https://hooks.example.com/x",
                      documents=[{"filename": "settlement.txt", "text": DOCUMENT}])
    assert resp.status_code == 500, resp.text
    resp = api.client.post("/v1/webhook-endpoints", headers=auth,
                           json={"url": "https://hooks.example.com/erp",
                                 "description": f"ERP for {NAME}"})
    assert resp.status_code == 500, resp.text

    logged = caplog.text
    # The failures were logged, with what an operator needs...
    assert logged.count("unhandled error") >= 2, logged
    assert "insert refused by test trigger" in logged
    assert "INSERT INTO jobs" in logged
    # ...and nothing a client sent or a secret the service made.
    for secret in (SSN, EMAIL, NAME, "focus on termination", DOCUMENT[:30], "harbour-v-quay",
                   key, key[4:], "whsec_"):
        assert secret not in logged, secret
    assert "[SQL parameters hidden due to hide_parameters=True]" in logged


@pytest.mark.parametrize(("raw", "clean"), [
    ("(psycopg.errors.UniqueViolation) duplicate key\nDETAIL:  Key (tenant_id, name)="
     "(ten_1, Jane Roe) already exists.\n[SQL: INSERT ...]\n[parameters: {'name': 'Jane Roe'}]",
     "(psycopg.errors.UniqueViolation) duplicate key\nDETAIL:  Key (tenant_id, name)="
     "(redacted) already exists.\n[SQL: INSERT ...]\n[parameters: redacted]"),
    ("secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw rotated",
     "secret whsec_[redacted] rotated"),
    ("key lxg_AbC-123_xyzXYZ0987654321 and Authorization: Bearer lxg_AbC-123_xyz",
     "key lxg_[redacted] and Authorization: Bearer lxg_[redacted]"),
    ('invalid input syntax for type integer: "123-45-6789"',
     'invalid input syntax for type integer: "redacted"'),
    ("1 validation error\n  Input should be a valid integer [type=int_parsing, "
     "input_value='Jane Roe', input_type=str]",
     "1 validation error\n  Input should be a valid integer [type=int_parsing, "
     "input_value=[redacted], input_type=str]"),
])
def test_scrub(raw: str, clean: str) -> None:
    assert scrub(raw) == clean
