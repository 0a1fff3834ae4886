"""service: the use cases, one place each, between the edges and the stages.

The edges (``cli``, ``api``, ``web``, ``jobs``) translate command lines, HTTP, forms and
queue messages into these calls; the use cases combine the store with the stages. This
package imports no edge.
"""
