"""Core services: settings, errors, database, blob storage, intake checks.

Nothing in core imports from the layers above it; every external system sits behind a small
Protocol with its adapters beside it.
"""
