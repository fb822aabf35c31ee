"""One error hierarchy for django-resque."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


class ResqueError(Exception):
    """Base class of every django-resque error."""


class ResqueConfigurationError(ResqueError, ImproperlyConfigured):
    """A setting or a job definition is wrong."""


class WarmUpError(ResqueConfigurationError):
    """A ``RESQUE["WARM_UP"]`` callable could not be imported or failed; the worker does not start."""


class ResqueConnectionError(ResqueError, ConnectionError):
    """Redis could not be reached; the message names the (password-masked) URL."""

    def __init__(self, url: str, cause: BaseException | None = None) -> None:
        self.url = url
        detail = f": {cause}" if cause else ""
        super().__init__(f"Cannot reach Redis at {url}{detail}")


class UndecodableError(ResqueError, ValueError):
    """A value read from Redis cannot be decoded (bad UTF-8, bad or too deep JSON); carries it."""

    label = "Undecodable value"

    def __init__(self, reason: str, raw: bytes | str) -> None:
        self.reason = reason
        self.raw = raw
        super().__init__(f"{self.label} ({reason}): {_truncated(raw)!r}")


class MalformedPayloadError(UndecodableError):
    """A payload read from Redis is not a Resque job; carries the raw data."""

    label = "Malformed job payload"


class UnknownJobError(ResqueError, LookupError):
    """A payload names a job that this app never registered."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"No job is registered under the name {name!r}. Only functions and classes "
            "decorated with @job (in an installed app's jobs module) can run."
        )


class DuplicateJobError(ResqueConfigurationError):
    """Two different callables were registered under one job name."""


class InvalidQueueNameError(ResqueError, ValueError):
    """A queue name that cannot be used: empty, spaced, a separator, glob or control character."""


class JobArgumentError(ResqueError, TypeError):
    """An argument cannot travel as JSON; raised at the call site."""


class DirtyExitError(ResqueError):
    """A job stopped without reporting: its process died, was killed, or its worker vanished.

    Ruby's ``Resque::DirtyExit``, under which name failure records carry it; built by
    the worker, never raised by job code.
    """

    recorded_name = "Resque::DirtyExit"


class PruneDeadWorkerDirtyExitError(DirtyExitError):
    """A worker whose heartbeat went stale was pruned while holding a job."""

    recorded_name = "Resque::PruneDeadWorkerDirtyExit"


class JobTimeoutError(ResqueError):
    """A job ran past its timeout and was stopped by its worker."""


class JobTerminatedError(ResqueError):
    """A ``--no-fork`` job was stopped because its worker was asked to stop (TERM/INT)."""


class DontPerformError(ResqueError):
    """Raise in a ``before_perform*`` hook to skip the job without recording a failure."""


DontPerform = DontPerformError  # deprecated: the name before every error ended in ``Error``


class InvalidScheduleError(ResqueConfigurationError):
    """A recurring schedule is wrong; the message starts with the schedule's name."""


class FailureAPIError(ResqueError):
    """A failure could not be found, read or retried; the message says which and why."""


class FailureNotFoundError(FailureAPIError, LookupError):
    """No failure at that position (or with that content) in the failed list."""


class StaleFailureError(FailureAPIError):
    """The failed list changed since the caller read it; nothing was changed."""


class PoolConfigError(ResqueConfigurationError):
    """The pool config cannot be used; the message names the file, line or entry at fault."""

    def __init__(self, message: str, entry: object = None) -> None:
        super().__init__(message)
        self.entry = entry  # the key at fault, for finding its line in a file


class DuplicateKeyError(ResqueError, ValueError):
    """A config file names one key twice."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class ForkServerGoneError(ResqueError):
    """The fork server died, or stopped answering."""


def _truncated(raw: bytes | str, limit: int = 200) -> bytes | str:
    if len(raw) <= limit:
        return raw
    return raw[:limit] + (b"..." if isinstance(raw, bytes) else "...")  # type: ignore[operator]
