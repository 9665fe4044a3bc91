"""Blob storage for uploaded originals: a Protocol and the local content-addressed adapter."""

from lexgraph.core.storage.blobs import BlobStore, LocalBlobStore

__all__ = ["BlobStore", "LocalBlobStore"]
