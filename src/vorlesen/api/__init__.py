"""api: the publishing service's HTTP interface (FastAPI): routes, schemas, error mapping.

The app that serves it (with the newsroom pages beside it) is put together by the
composition root, :func:`vorlesen.server.create_app`; this package imports no other edge.
"""
