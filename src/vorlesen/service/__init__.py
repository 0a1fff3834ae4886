"""service: the use cases, one place each, between the edges and the stages.

The edges (``cli``, ``api``, ``web``, ``jobs``) translate command lines, HTTP, forms and
queue messages into these calls, and their errors into answers; the use cases combine the
store with the stages. This package imports no edge.

* :mod:`vorlesen.service.lexicon`: the one publisher lexicon (save, delete, re-render what
  an entry touches), for the API, the newsroom and the command line.
* :mod:`vorlesen.service.pages`: a page a player sits on becomes an article (allowed hosts,
  one fetch however many listeners, refusals remembered, rechecks).
* :mod:`vorlesen.service.sources`: feeds and sitemaps, polled and kept in sync.

Import the modules themselves (``from vorlesen.service.pages import PageService``): this
package imports none of them, so a command that needs one loads no other.
"""
