"""Personal data: detection, per-job pseudonymization and re-identification.

Boundary: Presidio, spaCy, tldextract and phonenumbers are imported only inside this package,
and Presidio only when a detector is first built (``get_detector``), so importing lexgraph
stays fast. Callers see lexgraph's types: a :class:`PiiFinding` carries a type, offsets and a
confidence, never a value; the only object holding values is a job's :class:`PseudonymMap`,
which belongs in the job's state and nowhere else (not in prompts, traces or logs).

The graph's use: ``redact`` builds ``Pseudonymizer(map, get_detector(settings))`` and calls
``pseudonymize`` on each text; ``finalize`` calls ``map.reidentify`` on the output for the
authorized reader; the compliance checker's tool calls ``scan_pii``. Log redaction installs
itself with the first map a process creates.
"""

from lexgraph.core.pii.logfilter import (
    PiiLogFilter,
    install_log_redaction,
    live_maps,
    redact_record,
)
from lexgraph.core.pii.presidio_detector import PresidioDetector, get_detector, scan_pii
from lexgraph.core.pii.pseudonymize import (
    Pseudonymizer,
    PseudonymMap,
    Redaction,
    normalize,
)
from lexgraph.core.pii.types import (
    ENTITY_TYPES,
    PiiDetector,
    PiiFinding,
    RedactedSpan,
    resolve_overlaps,
)

__all__ = [
    "ENTITY_TYPES",
    "PiiDetector",
    "PiiFinding",
    "PiiLogFilter",
    "PresidioDetector",
    "PseudonymMap",
    "Pseudonymizer",
    "RedactedSpan",
    "Redaction",
    "get_detector",
    "install_log_redaction",
    "live_maps",
    "normalize",
    "redact_record",
    "resolve_overlaps",
    "scan_pii",
]
