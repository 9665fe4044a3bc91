"""The documents shipped in tests/data/: each one listed in its README with its checksum and
licence, and the folder kept small."""

from __future__ import annotations

import hashlib

from tests.documents import DATA, FUSE_PDF, FUSE_TXT, OPINION_PDF

README = (DATA / "README.md").read_text(encoding="utf-8")


def test_every_shipped_document_is_listed_with_its_checksum() -> None:
    files = sorted(p for p in DATA.iterdir() if p.name != "README.md")
    assert files == sorted([FUSE_PDF, FUSE_TXT, OPINION_PDF])
    for path in files:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f"| `{path.name}` | {path.stat().st_size:,} | `{digest}` |" in README, path.name


def test_the_licence_notices_are_there() -> None:
    for words in ("The Atticus", "https://creativecommons.org/licenses/by/4.0/",
                  "We make no representations or warranties", "arXiv:2103.06268",
                  "Changes: only the file names were changed", "BSD 2-Clause License",
                  "Copyright (c) 2020, Free Law Project"):
        assert words in README, words


def test_the_folder_stays_small() -> None:
    assert sum(p.stat().st_size for p in DATA.iterdir()) < 512 * 1024
