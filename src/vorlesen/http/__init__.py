"""http: the plumbing both HTTP edges share (the API, ``vorlesen.api``, and the player and
newsroom pages, ``vorlesen.web``), so that neither edge imports the other.

* :mod:`vorlesen.http.deps`: FastAPI dependencies: the process's
  :class:`~vorlesen.service.container.Service` (``get_service``), who a per-client limit
  counts (``client_key``), bearer-token auth (``require_token``; the check itself is the
  use case :mod:`vorlesen.service.auth`), a request's external base URL.
* :mod:`vorlesen.http.middleware`: ASGI middleware around every route (body limit, JSON
  text guard, a Content-Security-Policy for all HTML) and the problem+json body.

It sits beside the edges, not among them: it imports the service floor and below, never
``api``, ``web``, ``jobs`` or the command line. The app itself is put together by the
composition root, :mod:`vorlesen.server`.
"""
