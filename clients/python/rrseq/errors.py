"""The exceptions of the rrseq client.

Every exception keeps what the server said: ``code`` (a grpc.StatusCode, or
None when no call was made or the failure was not a gRPC status),
``status`` (the ``rrseq-status`` trailing metadata, e.g. ``"exhausted"``, or
None), ``details`` (the status message) and ``server`` (the address).
"""


class RRSeqError(Exception):
    """Base of every error the rrseq client raises."""

    def __init__(self, message, code=None, status=None, details=None, server=None):
        super().__init__(message)
        self.code = code
        self.status = status
        self.details = details
        self.server = server


class InvalidArgument(RRSeqError, ValueError):
    """A bad name, count or value (INVALID_ARGUMENT). Never retried."""


class Exhausted(RRSeqError):
    """The sequence would pass its last ID, or the node holds too many
    sequences (RESOURCE_EXHAUSTED with rrseq-status ``exhausted`` or
    ``too_many_sequences``). Never retried."""


class Unavailable(RRSeqError):
    """No server answered in time. ``servers_tried`` lists the servers in the
    order first tried; ``last_error`` is the last attempt's RRSeqError, whose
    code and status this one carries."""

    def __init__(self, message, servers_tried=(), last_error=None):
        super().__init__(
            message,
            code=getattr(last_error, "code", None),
            status=getattr(last_error, "status", None),
            details=getattr(last_error, "details", None),
            server=getattr(last_error, "server", None),
        )
        self.servers_tried = list(servers_tried)
        self.last_error = last_error


class PermissionDenied(RRSeqError):
    """An admin call without the right token (PERMISSION_DENIED). Never
    retried."""
