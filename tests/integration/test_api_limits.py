"""The outside probe's decompression and page-count bombs, sent to the API as a client would."""

from __future__ import annotations

import time
from pathlib import Path

from tests.integration.conftest import Api, assert_problem
from tests.unit.test_archive_limits import h1_docx as h1_docx
from tests.unit.test_archive_limits import h2_docx

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _vm_hwm_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_h1_docx_is_refused_fast_and_small(api: Api, h1_docx: bytes) -> None:
    auth = api.tenant("acme")
    api.upload(auth, [("warm.txt", b"warm up the app's code paths", "text/plain")])
    Path("/proc/self/clear_refs").write_text("5")  # the peak starts again from here
    before = _vm_hwm_kib()
    started = time.perf_counter()
    resp = api.upload(auth, [("report.docx", h1_docx, DOCX)])
    elapsed = time.perf_counter() - started
    grown_mib = (_vm_hwm_kib() - before) / 1024
    body = assert_problem(resp, 413, "document 'report.docx': the Word document unpacks to "
                          "400 MiB (limit 64 MiB); it may be a zip bomb, so it was not read")
    assert body["type"].endswith("/payload-too-large")
    assert elapsed < 1.0, elapsed
    assert grown_mib < 50, grown_mib
    assert api.counts()["jobs"] == 1  # only the warm-up


def test_h2_docx_is_refused(api: Api) -> None:
    auth = api.tenant("acme")
    resp = api.upload(auth, [("short.docx", h2_docx(), DOCX)])
    assert resp.status_code == 413, resp.text
    assert "zip bomb" in resp.json()["detail"]
    api.assert_nothing_written()
