"""Where the benches find the shared data (``../shared`` beside the checkout) and how they
stop when it is not there: a clear message naming what is missing, and exit status 2."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def require(*paths: Path, bench: str = "this benchmark") -> None:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"{bench}: missing {', '.join(missing)}: it reads the shared data beside the "
              "checkout (../shared), which a plain clone does not have", file=sys.stderr)
        raise SystemExit(2)
