"""Background jobs for front ends, without Qt: a worker process (``python -m workbench.jobs.server``) that runs
named job functions one at a time, and the context those functions report through.

A job function is any importable ``module:function`` taking a ``JobContext`` first and keyword arguments
(picklable) after it; what it returns is the job's result. It reports with ``ctx.progress(...)`` and
``ctx.yield_(value)``, and honours ``ctx.cancelled`` (or ``ctx.check()``) and control words (``ctx.on_word``,
``ctx.wait_word``) sent by the front end. The GUI drives these processes through ``workbench.gui.common.worker``.
"""

from workbench.jobs.context import JobCancelled, JobContext

__all__ = ["JobCancelled", "JobContext"]
