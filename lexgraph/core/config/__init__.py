"""The one Settings class (environment prefix ``LEXGRAPH_``) and its cached accessor."""

from lexgraph.core.config.settings import Settings, get_settings

__all__ = ["Settings", "get_settings"]
