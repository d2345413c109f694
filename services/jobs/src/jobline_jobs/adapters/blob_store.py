"""The jobs service's blob store: the shared obstore adapter."""

from jobline_infra.blob_store import BlobStore

__all__ = ["BlobStore"]
