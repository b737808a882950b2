"""The project's own exception types.

Core code raises these with messages a user can act on; the UI turns them into `gr.Error`,
the CLI into one clean line on stderr and a non-zero exit.
"""


class AlignUIError(Exception):
    """Base for every error a user is meant to read."""


class DataError(AlignUIError):
    """A data file or dataset that cannot be used at all."""


class SpecError(AlignUIError):
    """A training spec or hyperparameter that is out of range or unknown."""


class NotFound(AlignUIError):
    """A dataset, job or model that does not exist."""


class StateError(AlignUIError):
    """An action the thing's current state does not allow (cancel an ended job, resume a running one)."""


class NotAllowed(AlignUIError):
    """A path or action this server does not allow."""
