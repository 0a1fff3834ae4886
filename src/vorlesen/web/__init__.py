"""web: what listeners and editors see.

``static/player.js`` is the embeddable player (a dependency-free Web Component);
``routes.py`` serves the demo article page (``/demo/{source_id}``) and the newsroom
(``/admin``), server-rendered from ``templates/`` with a strict Content-Security-Policy.
This package imports FastAPI only in ``routes.py``, so the pure helpers (charts, article
view, preview) can be used and tested without the web stack.
"""
