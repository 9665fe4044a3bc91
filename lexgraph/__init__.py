"""lexgraph: verified, cited summaries of legal documents, self-hosted.

Layers import only downward: api / workers -> graphs -> agents -> tools -> core.
"""

from lexgraph.core.offline import keep_vendors_offline

__version__ = "0.1.0"

# Before any lexgraph module can import CrewAI, which reads these at import.
keep_vendors_offline()
