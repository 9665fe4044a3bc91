"""The queueing arithmetic of bench/capacity.py against textbook values."""

from __future__ import annotations

import pytest

from bench.capacity import Stage, erlang_c, model, size


def test_erlang_c_matches_closed_forms() -> None:
    # One server: an arrival waits with probability rho (the utilization).
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    # Two servers, one erlang: 1/3.
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(3, 3.0) == 1.0  # saturated: everyone waits
    # Thousands of servers stay finite (the recurrence, not factorials).
    assert 0 <= erlang_c(2000, 1500.0) < 1e-6


def test_an_m_m_1_stage_waits_rho_over_mu_minus_lambda() -> None:
    stage = size(Stage("one", "server", arrivals_per_s=7.0, service_per_s=10.0), 0.75)
    assert stage.servers == 1
    assert stage.mean_wait_s == pytest.approx(0.7 / (10.0 - 7.0))


def test_servers_are_the_fewest_under_the_utilization_cap() -> None:
    stage = size(Stage("many", "core", arrivals_per_s=100.0, service_per_s=1.0), 0.7)
    assert stage.servers == 143 and stage.utilization <= 0.7
    fewer = Stage("many", "core", 100.0, 1.0)
    fewer.servers = 142
    assert 100.0 / 142 > 0.7


def test_the_load_fans_out_to_webhooks_and_gpus() -> None:
    stages = {s.name: s for s in model(per_minute=6000, api_per_core_s=100.0, job_cpu_s=2.0,
                                        webhook_per_s=100.0, endpoints=2.0,
                                        gpu_tokens_s=1000.0, tokens_per_job=500.0,
                                        utilization=0.5)}
    assert stages["API"].arrivals_per_s == pytest.approx(100.0)
    assert stages["API"].servers == 2
    assert stages["orchestrator (extractive)"].servers == 400
    assert stages["webhooks"].arrivals_per_s == pytest.approx(2000.0)  # 10 events, 2 destinations
    assert stages["GPU inference (with a model)"].servers == 100
