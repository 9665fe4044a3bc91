"""lexgraph: verified, cited summaries of legal documents, self-hosted.

Layers import only downward: api / workers -> graphs -> agents -> tools -> core.
"""

__version__ = "0.1.0"
