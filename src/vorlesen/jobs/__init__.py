"""jobs: the render queue (huey) and what its workers do — a thin edge.

``queue.JobQueue`` enqueues and consumes: a claimed render runs the service's use case
(:func:`vorlesen.service.render.render_revision`) on the job's typed payload;
``webhooks.deliver`` tells the publisher about it. Only this package imports huey.
"""

from vorlesen.jobs.queue import JobQueue, split_list
from vorlesen.jobs.webhooks import deliver, sign, verify

__all__ = [
    "JobQueue",
    "deliver",
    "sign",
    "split_list",
    "verify",
]
