"""Client: one call per method of rrseq.v1.Sequences, with deadlines and
retries across the servers."""

import logging
import random
import re
import threading
import time

from . import limits
from ._stubs import grpc, pb, pb_grpc  # first: says what is missing
from .errors import Exhausted, InvalidArgument, PermissionDenied, RRSeqError, Unavailable

log = logging.getLogger("rrseq")

#: Trailing metadata key naming the server's reason for an error.
STATUS_KEY = "rrseq-status"
#: Metadata key of the admin token (value "Bearer TOKEN").
AUTH_KEY = "authorization"

_NAME_RE = re.compile("[%s]+" % limits.SEQ_NAME_CHARS)
_EXHAUSTED_STATUSES = ("exhausted", "too_many_sequences")


def check_name(name):
    """Raises InvalidArgument unless `name` is a valid sequence name."""
    if not isinstance(name, str):
        raise InvalidArgument(
            "sequence name must be a str, not %s" % type(name).__name__,
            code=grpc.StatusCode.INVALID_ARGUMENT, status="invalid_name")
    size = len(name.encode("utf-8"))
    if size == 0 or size > limits.SEQ_NAME_BYTES_MAX or not _NAME_RE.fullmatch(name):
        raise InvalidArgument(
            "invalid sequence name %r: 1..%d bytes of [%s]"
            % (name, limits.SEQ_NAME_BYTES_MAX, limits.SEQ_NAME_CHARS),
            code=grpc.StatusCode.INVALID_ARGUMENT, status="invalid_name")


def check_count(count):
    """Raises InvalidArgument unless 1 <= count <= RANGE_IDS_MAX."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= limits.RANGE_IDS_MAX:
        raise InvalidArgument(
            "invalid count %r: 1..%d IDs per call" % (count, limits.RANGE_IDS_MAX),
            code=grpc.StatusCode.INVALID_ARGUMENT, status="invalid_count")


def backoff_s(pass_number, rng=random):
    """Sleep before pass `pass_number` (1, 2, ...) over the servers: capped
    exponential, jittered down by up to BACKOFF_JITTER of itself."""
    exp = min(max(pass_number - 1, 0), 32)
    base = min(limits.BACKOFF_MAX_S, limits.BACKOFF_INITIAL_S * (2 ** exp))
    return base * (1.0 - limits.BACKOFF_JITTER * rng.random())


def _normalize_servers(servers):
    if isinstance(servers, str):
        servers = servers.split(",")
    out = []
    for s in servers:
        s = s.strip()
        if not s:
            continue
        if s.startswith(":"):  # ":port" means loopback, as in the C++ client
            s = "127.0.0.1" + s
        out.append(s)
    if not out:
        raise InvalidArgument("no servers given")
    return out


def _status_of(err):
    """The rrseq-status trailing metadata of a grpc.RpcError, or None."""
    try:
        md = err.trailing_metadata() or ()
    except Exception:  # not a grpc.Call
        return None
    for key, value in md:
        if key.lower() == STATUS_KEY:
            return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return None


class Client:
    """Calls rrseq.v1.Sequences on a list of servers ("host:port"; a
    comma-separated str works too; ":port" means 127.0.0.1).

    Every call has a total deadline (`deadline_s`, or the call's own
    `deadline_s=`) and each attempt at one server `attempt_timeout_s` of it.
    Calls start at the server that answered last (at first: servers[0]); on a
    retryable error (UNAVAILABLE; RESOURCE_EXHAUSTED with rrseq-status
    overloaded; an attempt past its timeout) they move to the next server,
    and after every server of a pass failed they back off (BACKOFF_*) before
    the next pass, until the deadline: then Unavailable. Other errors raise
    at once (InvalidArgument, Exhausted, PermissionDenied, RRSeqError).

    `token` is sent as "authorization: Bearer TOKEN" on admin calls
    (advance) only. Thread-safe; close() or use as a context manager.
    """

    def __init__(self, servers, deadline_s=limits.DEFAULT_DEADLINE_S, token=None,
                 attempt_timeout_s=limits.DEFAULT_ATTEMPT_TIMEOUT_S, channel_options=()):
        self._servers = _normalize_servers(servers)
        if not deadline_s > 0:
            raise InvalidArgument("deadline_s must be > 0, not %r" % (deadline_s,))
        if not attempt_timeout_s > 0:
            raise InvalidArgument("attempt_timeout_s must be > 0, not %r" % (attempt_timeout_s,))
        self._deadline_s = float(deadline_s)
        self._attempt_timeout_s = float(attempt_timeout_s)
        self._token = token
        options = [
            ("grpc.min_reconnect_backoff_ms", limits.RECONNECT_BACKOFF_MIN_MS),
            ("grpc.initial_reconnect_backoff_ms", limits.RECONNECT_BACKOFF_MIN_MS),
            ("grpc.max_reconnect_backoff_ms", limits.RECONNECT_BACKOFF_MAX_MS),
        ] + list(channel_options)
        self._channels = [grpc.insecure_channel(s, options=options) for s in self._servers]
        self._stubs = [pb_grpc.SequencesStub(c) for c in self._channels]
        self._lock = threading.Lock()
        self._preferred = 0
        self._closed = threading.Event()

    @property
    def servers(self):
        return list(self._servers)

    # --- The API ------------------------------------------------------------

    def next_range(self, name, count, deadline_s=None):
        """A fresh range of `count` IDs, as a Python range(from, to)."""
        check_name(name)
        check_count(count)
        reply = self._call("Next", pb.NextRequest(name=name, count=count), deadline_s=deadline_s)
        first, end = reply.from_id, reply.to_id
        if not first < end:
            raise RRSeqError("server granted an empty range [%d, %d) of %s" % (first, end, name))
        return range(first, end)

    def current(self, name, deadline_s=None):
        """The sequence's upper bound (a quorum round): every ID granted
        before this call is below it."""
        check_name(name)
        return self._call("Current", pb.CurrentRequest(name=name), deadline_s=deadline_s).upper_bound

    def advance(self, name, at_least, deadline_s=None):
        """Admin: moves the sequence so every later ID is >= `at_least`
        (never backwards). Returns the upper bound after the call."""
        check_name(name)
        if isinstance(at_least, bool) or not isinstance(at_least, int) or not 1 <= at_least <= limits.UINT64_MAX:
            raise InvalidArgument(
                "invalid at_least %r: 1..%d" % (at_least, limits.UINT64_MAX),
                code=grpc.StatusCode.INVALID_ARGUMENT, status="invalid_value")
        metadata = None
        if self._token is not None:
            metadata = ((AUTH_KEY, "Bearer " + self._token),)
        reply = self._call("Advance", pb.AdvanceRequest(name=name, at_least=at_least),
                           metadata=metadata, deadline_s=deadline_s)
        return reply.upper_bound

    def list(self, deadline_s=None):
        """{name: upper_bound} of the sequences one server holds, as it last
        accepted them (that node's local view, not a quorum round)."""
        reply = self._call("List", pb.ListRequest(), deadline_s=deadline_s)
        return {b.name: b.upper_bound for b in reply.sequences}

    def close(self):
        """Closes the channels; calls in flight end with an error, later
        calls raise RRSeqError. Idempotent."""
        if self._closed.is_set():
            return
        self._closed.set()
        for c in self._channels:
            c.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- Retries ------------------------------------------------------------

    def _call(self, method, request, metadata=None, deadline_s=None):
        deadline_s = self._deadline_s if deadline_s is None else float(deadline_s)
        if not deadline_s > 0:
            raise InvalidArgument("deadline_s must be > 0, not %r" % (deadline_s,))
        end = time.monotonic() + deadline_s
        n = len(self._servers)
        with self._lock:
            i = self._preferred
        tried, attempts, last = [], 0, None
        while True:
            if self._closed.is_set():
                raise RRSeqError("rrseq client is closed")
            server = self._servers[i]
            timeout = min(self._attempt_timeout_s, end - time.monotonic())
            if attempts > 0 and timeout <= 0:
                break
            if server not in tried:
                tried.append(server)
            attempts += 1
            try:
                reply = getattr(self._stubs[i], method)(request, timeout=max(timeout, 0.001),
                                                         metadata=metadata)
            except grpc.RpcError as e:
                retryable, err = self._classify(method, server, e)
                if not retryable:
                    raise err from None
                last = err
                log.debug("rrseq: %s; trying the next server", err)
            except ValueError:  # grpc: "Cannot invoke RPC on closed channel!"
                if self._closed.is_set():
                    raise RRSeqError("rrseq client is closed") from None
                raise
            else:
                with self._lock:
                    self._preferred = i
                return reply
            i = (i + 1) % n
            with self._lock:
                self._preferred = i
            if attempts % n == 0:  # a whole pass failed: back off
                pause = min(backoff_s(attempts // n), end - time.monotonic())
                if pause > 0 and self._closed.wait(pause):
                    raise RRSeqError("rrseq client is closed")
            if time.monotonic() >= end:
                break
        raise Unavailable(
            "no RRSeq server answered %s within %g s (tried %s; %d attempts); last error: %s"
            % (method, deadline_s, ", ".join(tried), attempts, last),
            servers_tried=tried, last_error=last)

    def _classify(self, method, server, e):
        """(retryable, RRSeqError) for a failed attempt."""
        code, status = e.code(), _status_of(e)
        details = e.details() if hasattr(e, "details") else str(e)
        msg = "%s at %s: %s%s: %s" % (
            method, server, code.name if code else "error",
            " (rrseq-status %s)" % status if status else "", details)
        kw = dict(code=code, status=status, details=details, server=server)
        if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            return True, RRSeqError(msg, **kw)
        if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
            if status in ("overloaded", "too_many_requests"):
                return True, RRSeqError(msg, **kw)
            if status in _EXHAUSTED_STATUSES:
                return False, Exhausted(msg, **kw)
            return False, RRSeqError(msg, **kw)
        if code == grpc.StatusCode.INVALID_ARGUMENT:
            return False, InvalidArgument(msg, **kw)
        if code in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED):
            return False, PermissionDenied(msg, **kw)
        return False, RRSeqError(msg, **kw)
