"""What a trace may carry: personal data pseudonymized, the pseudonym map never.

``TraceAnonymizer`` is the LangSmith client's ``anonymizer`` under
``LEXGRAPH_TRACE_CONTENT=redacted``: the client calls it on every run's inputs, outputs,
metadata and error before anything is queued for upload. It

- drops every pseudonym map (``PseudonymMap.to_state()``'s shape, wherever it sits: the graph
  state's ``pii`` key, a node's update), since the map holds the raw values;
- replaces personal data in every string with placeholders. When the payload carried the
  job's map, its placeholders are the job's own, so ``<PERSON_1>`` in the trace is the
  ``<PERSON_1>`` the models saw; otherwise they are numbered within the payload.

The maps it dropped are remembered (the most recent few, in this process only): a later
payload without a map, such as the output of ``finalize`` where names are put back, has those
jobs' known values replaced too, including the ones no recognizer would find on their own.

Detection results are cached by text: LangGraph uploads the whole state with each node, so
the same chunk and page texts come back many times in a job.

It fails closed: a string whose screening raised goes up as ``WITHHELD``, and a payload
that cannot be screened at all (the recognizers failed to load) goes up with every string
withheld, never as it was.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from lexgraph.core.pii import PiiDetector, PiiFinding, Pseudonymizer, PseudonymMap

log = logging.getLogger(__name__)

WITHHELD = "[withheld: personal-data screening failed]"


def is_pseudonym_map(value: Any) -> bool:
    """True for a ``PseudonymMap.to_state()`` dict (or anything shaped like one)."""
    if not isinstance(value, Mapping):
        return False
    entries = value.get("entries")
    return ("version" in value and isinstance(entries, list)
            and all(isinstance(e, Mapping) and "surfaces" in e for e in entries))


class CachedDetector:
    """A detector that remembers its findings for the most recent texts."""

    def __init__(self, inner: PiiDetector, max_entries: int = 4096) -> None:
        self.inner = inner
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, list[PiiFinding]] = OrderedDict()

    @property
    def entity_types(self) -> tuple[str, ...]:
        return self.inner.entity_types

    def scan(self, text: str) -> list[PiiFinding]:
        with self._lock:
            found = self._seen.get(text)
            if found is not None:
                self._seen.move_to_end(text)
                return list(found)
        found = self.inner.scan(text)
        with self._lock:
            self._seen[text] = list(found)
            while len(self._seen) > self.max_entries:
                self._seen.popitem(last=False)
        return found


class TraceAnonymizer:
    """``anonymizer(payload) -> payload`` with personal data replaced and maps dropped."""

    def __init__(self, detector: Callable[[], PiiDetector], max_maps: int = 64) -> None:
        # The detector is built on first use: Presidio takes a moment to load, and a process
        # that never uploads a run should not pay for it.
        self._factory = detector
        self._detector: CachedDetector | None = None
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, PseudonymMap] = OrderedDict()
        self.max_maps = max_maps

    @property
    def ready(self) -> bool:
        """Whether the recognizers are loaded."""
        return self._detector is not None

    def _cached(self) -> CachedDetector:
        with self._lock:
            if self._detector is None:
                self._detector = CachedDetector(self._factory())
            return self._detector

    def __call__(self, payload: Any) -> Any:
        try:
            pseudonymizer = Pseudonymizer(self._base_map(payload), self._cached())
        except Exception:
            log.warning("personal-data screening is unavailable; trace content withheld",
                        exc_info=True)
            return _walk(payload, None)
        return _walk(payload, pseudonymizer)

    def _base_map(self, payload: Any) -> PseudonymMap:
        """A copy of the job's map: the payload's own, or a remembered one whose values
        occur in the payload; a fresh map when neither."""
        own = _find_map(payload)
        if own is not None:
            state = dict(own)
            key = json.dumps(state, sort_keys=True)
            with self._lock:
                if key in self._recent:
                    self._recent.move_to_end(key)
                else:
                    self._recent[key] = PseudonymMap.from_state(state)
                    while len(self._recent) > self.max_maps:
                        self._recent.popitem(last=False)
            return PseudonymMap.from_state(state)
        with self._lock:
            remembered = list(reversed(self._recent.values()))
        if remembered:
            texts = list(_strings(payload))
            for known in remembered:
                if any(known.find_known(text, any_case=True) for text in texts):
                    return PseudonymMap.from_state(known.to_state())
        return PseudonymMap()

    def text(self, value: str) -> str:
        """One string with its personal data replaced (feedback comments, say)."""
        result: str = self(value)
        return result


def _find_map(value: Any) -> Mapping[str, Any] | None:
    if is_pseudonym_map(value):
        found: Mapping[str, Any] = value
        return found
    if isinstance(value, Mapping):
        children: Any = value.values()
    elif isinstance(value, list | tuple):
        children = value
    else:
        return None
    for child in children:
        found_child = _find_map(child)
        if found_child is not None:
            return found_child
    return None


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


# Longer strings are scanned paragraph by paragraph: a prompt is mostly passages the job's
# earlier runs already carried, and the detector's cache then serves them.
_PARAGRAPHS_ABOVE = 2000


def _mask(text: str, pseudonymizer: Pseudonymizer | None) -> str:
    if not text.strip():
        return text
    if pseudonymizer is None:
        return WITHHELD
    try:
        if len(text) <= _PARAGRAPHS_ABOVE:
            return pseudonymizer.pseudonymize(text).text
        return "\n\n".join(pseudonymizer.pseudonymize(part).text if part.strip() else part
                           for part in text.split("\n\n"))
    except Exception:
        # The exception may quote the text; it is not logged.
        log.warning("personal-data screening failed on a %d-character string; withheld",
                    len(text))
        return WITHHELD


def _walk(value: Any, pseudonymizer: Pseudonymizer | None) -> Any:
    if isinstance(value, str):
        return _mask(value, pseudonymizer)
    if isinstance(value, Mapping):
        return {key: _walk(item, pseudonymizer) for key, item in value.items()
                if not is_pseudonym_map(item)}
    if isinstance(value, list | tuple):
        return [_walk(item, pseudonymizer) for item in value if not is_pseudonym_map(item)]
    return value

