"""The CLI's choices: refused before anything starts, and offered to shell completion."""

from __future__ import annotations

from typing import get_args

from typer.testing import CliRunner

from lexgraph import cli
from lexgraph.core.summary.profiles import PROFILE_NAMES, load_profiles

runner = CliRunner()


def test_profiles_are_the_service_s() -> None:
    assert get_args(cli.ProfileName) == PROFILE_NAMES == tuple(load_profiles())


def test_a_bad_profile_or_length_is_a_usage_error() -> None:
    bad = runner.invoke(cli.app, ["summarize", __file__, "--profile", "memo"])
    assert bad.exit_code == 2 and "memo" in bad.output
    for length in ("long", "29", "5001", "-5"):
        bad = runner.invoke(cli.app, ["summarize", __file__, "--length", length])
        assert bad.exit_code == 2, length
        assert "whole number of words" in " ".join(bad.output.replace("│", " ").split())


def test_lengths_parse_and_complete() -> None:
    assert cli._length_option("400") == 400
    assert cli._length_option(" Brief ") == "brief"
    assert cli._complete_length("d") == ["detailed"]
    assert cli._complete_length("") == ["brief", "standard", "detailed"]


def test_completion_is_offered() -> None:
    shown = runner.invoke(cli.app, ["--help"])
    assert "--install-completion" in shown.output


def test_a_docx_result_needs_a_file() -> None:
    done = runner.invoke(cli.app, ["summarize", __file__, "--format", "docx",
                                   "--url", "http://127.0.0.1:9", "--api-key", "k"])
    assert done.exit_code == 1
    assert "needs --output" in done.output
