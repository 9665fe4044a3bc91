"""No value of a live pseudonym map reaches a log line."""

from __future__ import annotations

import gc
import io
import logging
from collections.abc import Iterator

import pytest

from lexgraph.core.pii import PiiLogFilter, PseudonymMap, install_log_redaction, live_maps
from lexgraph.core.pii.logfilter import uninstall_log_redaction
from lexgraph.core.pii.presidio_detector import _quiet_presidio_logs

VALUES = {"PERSON": "Jane Roe", "EMAIL": "jane.roe@example.com", "SSN": "512-48-3301",
          "CREDIT_CARD": "4111 1111 1111 1111", "IBAN": "GB82 WEST 1234 5698 7654 32"}


@pytest.fixture
def pmap() -> PseudonymMap:
    pmap = PseudonymMap()
    for entity_type, value in VALUES.items():
        pmap.placeholder_for(entity_type, value)
    return pmap


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s %(matter)s"))
    handler.addFilter(PiiLogFilter())
    logger = logging.getLogger("lexgraph.test.pii")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def leaked(output: str) -> list[str]:
    digits = {v: "".join(c for c in v if c.isalnum()).lower() for v in VALUES.values()}
    squashed = "".join(c for c in output if c.isalnum()).lower()
    return [v for v in VALUES.values() if v.lower() in output.lower() or digits[v] in squashed]


def test_values_in_messages_arguments_and_extras_are_redacted(
        pmap: PseudonymMap, captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.info("party %s wrote from %s", "Jane Roe", "JANE.ROE@EXAMPLE.COM",
                extra={"matter": "SSN 512483301"})
    logger.warning("card %r, iban %s", "4111-1111-1111-1111", "GB82WEST12345698765432",
                   extra={"matter": "-"})
    output = stream.getvalue()
    assert not leaked(output), output
    assert "party <PERSON_1> wrote from <EMAIL_1> SSN <SSN_1>" in output
    assert "card '<CREDIT_CARD_1>', iban <IBAN_1>" in output


def test_tracebacks_are_redacted(pmap: PseudonymMap,
                                 captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    try:
        raise ValueError("could not parse 'Jane Roe <jane.roe@example.com>'")
    except ValueError:
        logger.exception("parsing failed", extra={"matter": "-"})
    output = stream.getvalue()
    assert "Traceback" in output
    assert "ValueError: could not parse '<PERSON_1> <<EMAIL_1>>'" in output
    assert not leaked(output), output


def test_records_without_values_are_left_untouched(
        pmap: PseudonymMap, captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, _ = captured
    record = logger.makeRecord(logger.name, logging.INFO, __file__, 1, "job %s at %d%%",
                               ("job_123", 50), None)
    PiiLogFilter().filter(record)
    assert (record.msg, record.args) == ("job %s at %d%%", ("job_123", 50))


def test_a_map_no_longer_referenced_stops_redacting() -> None:
    pmap = PseudonymMap()
    pmap.placeholder_for("PERSON", "Quentin Zebulon")
    assert pmap in live_maps()
    del pmap
    gc.collect()
    assert not [m for m in live_maps() if m.value_of("<PERSON_1>") == "Quentin Zebulon"]


def test_installed_redaction_covers_every_logger_and_handler(
        pmap: PseudonymMap, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    install_log_redaction()
    install_log_redaction()  # idempotent
    try:
        logging.getLogger("some.library").info("fetched record for %s", "Jane Roe")
        logging.getLogger("celery.worker").error("task failed: SSN 512-48-3301 invalid")
    finally:
        uninstall_log_redaction()
    assert caplog.messages == ["fetched record for <PERSON_1>",
                               "task failed: SSN <SSN_1> invalid"]
    logging.getLogger("some.library").info("after uninstall: %s", "Jane Roe")
    assert caplog.messages[-1] == "after uninstall: Jane Roe"


def test_creating_a_map_is_enough(caplog: pytest.LogCaptureFixture) -> None:
    uninstall_log_redaction()
    caplog.set_level(logging.INFO)
    logging.getLogger("lexgraph.graphs").info("before: %s", "Yolanda Brix")
    pmap = PseudonymMap()
    pmap.placeholder_for("PERSON", "Yolanda Brix")
    logging.getLogger("lexgraph.graphs").info("after: %s", "Yolanda Brix")
    assert caplog.messages == ["before: Yolanda Brix", "after: <PERSON_1>"]


def test_presidio_records_lose_their_arguments(caplog: pytest.LogCaptureFixture) -> None:
    # Presidio logs matched text (a failed IBAN check at ERROR, context words at DEBUG).
    _quiet_presidio_logs()
    caplog.set_level(logging.DEBUG, logger="presidio-analyzer")
    logging.getLogger("presidio-analyzer").error("Failed to validate text %s", "GB00 SECRET")
    assert caplog.messages == ["Failed to validate text %s [arguments withheld]"]
