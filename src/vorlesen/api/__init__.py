"""api: the publishing service's HTTP interface (FastAPI). See :func:`create_app`."""

from vorlesen.api.app import create_app

__all__ = ["create_app"]
