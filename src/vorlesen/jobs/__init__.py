"""jobs: the render queue (huey) and what its workers do.

``queue.JobQueue`` enqueues and consumes; ``render.render_revision`` renders one claimed
revision into blob storage; ``webhooks.deliver`` tells the publisher about it. Only this
package imports huey.
"""

from vorlesen.jobs.queue import JobQueue, split_list
from vorlesen.jobs.render import AUDIO_FILES, RenderResult, document_from_payload, render_revision
from vorlesen.jobs.webhooks import deliver, sign, verify

__all__ = [
    "AUDIO_FILES",
    "JobQueue",
    "RenderResult",
    "deliver",
    "document_from_payload",
    "render_revision",
    "sign",
    "split_list",
    "verify",
]
