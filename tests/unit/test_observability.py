"""Metric names, label handling and log lines, without servers (tests/e2e has those)."""

from __future__ import annotations

import io
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import generate_latest

from lexgraph.core.ids import new_id
from lexgraph.core.observability import collectors, metrics
from lexgraph.core.observability.exposition import build_registry
from lexgraph.core.observability.jsonlog import JsonFormatter
from lexgraph.core.observability.logcontext import log_context

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "lexgraph.json"
_NAME = re.compile(r"\blexgraph_[a-z_]+\b")
_HISTOGRAM_PARTS = ("_bucket", "_sum", "_count")


def _exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]


def _defined(name: str) -> str | None:
    series = set(metrics.SERIES) | set(collectors.SERIES)
    if name in series:
        return name
    for part in _HISTOGRAM_PARTS:
        if name.endswith(part) and name[: -len(part)] in series:
            return name[: -len(part)]
    return None


def test_every_dashboard_query_names_a_series_lexgraph_exposes() -> None:
    exprs = _exprs()
    assert exprs
    used = {name for expr in exprs for name in _NAME.findall(expr)}
    unknown = sorted(n for n in used if _defined(n) is None)
    assert not unknown, f"the dashboard queries series nobody exposes: {unknown}"
    # And every series has a panel.
    shown = {_defined(n) for n in used}
    missing = sorted((set(metrics.SERIES) | set(collectors.SERIES)) - shown)
    assert not missing, f"series without a panel: {missing}"


def test_series_names_are_those_the_registry_writes() -> None:
    exposition = generate_latest(build_registry()).decode()
    for name in metrics.SERIES:
        assert f"# HELP {name} " in exposition, name


def test_job_duration_counts_from_the_id_s_clock() -> None:
    job_id = new_id("job")
    made = metrics.id_seconds(job_id)
    assert made is not None
    assert abs(made - datetime.now(UTC).timestamp()) < 5
    assert metrics.id_seconds("job_not-an-id") is None


def _sample(name: str, **labels: str) -> float:
    value = build_registry().get_sample_value(name, labels)
    return value or 0.0


def test_webhook_outcomes_are_folded_into_bounded_labels() -> None:
    before = {o: _sample("lexgraph_webhook_deliveries_total", outcome=o)
              for o in ("retry", "lease_lost", "gone")}
    disabled = _sample("lexgraph_webhook_endpoints_disabled_total")
    lag = _sample("lexgraph_webhook_delivery_lag_seconds_count")
    metrics.webhook_outcome("retry in 300 s")
    metrics.webhook_outcome("recorded; lease lost")
    metrics.webhook_outcome("gone")
    metrics.webhook_outcome("succeeded", datetime.now(UTC).replace(tzinfo=None)
                            - timedelta(seconds=3))
    for outcome, count in before.items():
        assert _sample("lexgraph_webhook_deliveries_total", outcome=outcome) == count + 1
    assert _sample("lexgraph_webhook_endpoints_disabled_total") == disabled + 1
    assert _sample("lexgraph_webhook_delivery_lag_seconds_count") == lag + 1
    assert _sample("lexgraph_webhook_deliveries_total", outcome="retry in 300 s") == 0


def test_only_end_states_count_as_finished_jobs() -> None:
    before = _sample("lexgraph_jobs_finished_total", status="failed", profile="general")
    metrics.job_finished(new_id("job"), "general", "failed: internal_error")
    metrics.job_finished(new_id("job"), "general", "requeued: database unavailable")
    metrics.job_finished(new_id("job"), "general", "released: the worker is stopping")
    assert _sample("lexgraph_jobs_finished_total", status="failed", profile="general") == (
        before + 1)
    assert _sample("lexgraph_jobs_finished_total", status="requeued: database unavailable",
                   profile="general") == 0


def _json_line(logger: logging.Logger, *args: object, **kwargs: object) -> dict[str, object]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    try:
        logger.warning(*args, **kwargs)  # type: ignore[arg-type]
    finally:
        logger.removeHandler(handler)
    (line,) = stream.getvalue().splitlines()
    parsed: dict[str, object] = json.loads(line)
    return parsed


def test_a_json_line_carries_the_bound_job_fields_and_extras() -> None:
    logger = logging.getLogger("lexgraph.test.json")
    with log_context(job_id="job_1", tenant="t_1", attempt=2, trace_id=None):
        line = _json_line(logger, "node %s done", "redact",
                          extra={"node": "redact", "duration_ms": 12.5})
    assert line["message"] == "node redact done"
    assert (line["job_id"], line["tenant"], line["attempt"]) == ("job_1", "t_1", 2)
    assert (line["node"], line["duration_ms"]) == ("redact", 12.5)
    assert "trace_id" not in line
    assert line["level"] == "warning" and line["logger"] == "lexgraph.test.json"
    datetime.fromisoformat(str(line["ts"]))
    outside = _json_line(logger, "no job here")
    assert "job_id" not in outside


def test_a_json_line_carries_a_scrubbed_secret_and_traceback_as_one_line() -> None:
    from lexgraph.core.logsafety import install_secret_scrubbing

    install_secret_scrubbing()
    logger = logging.getLogger("lexgraph.test.json")
    try:
        raise ValueError("bad key lxg_abcdefghijklmnop")
    except ValueError:
        line = _json_line(logger, "failed with whsec_c2VjcmV0", exc_info=True)
    text = json.dumps(line)
    assert "whsec_c2VjcmV0" not in text and "lxg_abcdefghijklmnop" not in text
    assert "ValueError" in str(line["exception"])
