"""service: the use cases, one place each, between the edges and the stages.

The edges (``cli``, ``api``, ``web``, ``jobs``) translate command lines, HTTP, forms and
queue messages into these calls, and their errors into answers; the use cases combine the
store with the stages. This package imports no edge.

* :mod:`vorlesen.service.container`: the objects one service process shares (settings,
  store, blobs, queue, rate limits, page lookups), and :func:`make_service` to open them.
* :mod:`vorlesen.service.queue`: what the use cases need from the job queue, as protocols
  (the composition root, :mod:`vorlesen.server`, hands in the real one).
* :mod:`vorlesen.service.auth`: API tokens checked (constant time, throttled per client)
  for the API's bearer auth and the newsroom's sign-in alike.
* :mod:`vorlesen.service.ratelimit`: the per-client limits (in process, or through Redis).
* :mod:`vorlesen.service.lexicon`: the one publisher lexicon (save, delete, re-render what
  an entry touches), for the API, the newsroom and the command line.
* :mod:`vorlesen.service.pages`: a page a player sits on becomes an article (allowed hosts,
  one fetch however many listeners, refusals remembered, rechecks).
* :mod:`vorlesen.service.sources`: feeds and sitemaps, polled and kept in sync.

Import the modules themselves (``from vorlesen.service.pages import PageService``): this
package imports none of them, so a command that needs one loads no other.
"""
