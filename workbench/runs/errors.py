"""The one error type of the run store."""

from workbench.errors import UserError


class RunStoreError(UserError):
    """A run, job or parameter request the store cannot honour. The message names the run or key."""
