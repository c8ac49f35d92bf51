"""Sequence: one ID at a time from a named sequence, double-buffered."""

import copy
import logging
import threading

from . import limits
from .client import Client, check_name
from .errors import InvalidArgument, RRSeqError

log = logging.getLogger("rrseq")


class _Fetch:
    """One Next round for the buffer, run by a background thread."""

    __slots__ = ("done", "error")

    def __init__(self):
        self.done = False
        self.error = None


class Sequence:
    """IDs of the sequence `name`, one per next() call.

    With buffer_size >= 2 it keeps the 2016 client's double buffer: IDs come
    from a range of buffer_size IDs, and once half of it is handed out the
    next range is fetched in the background, so next() waits only when both
    are used up (or on the first call). IDs still buffered when the process
    ends are never handed out: gaps of up to 1.5 * buffer_size per Sequence.
    buffer_size 0 or 1: one Next round per ID, no gaps, no buffer.

    next() is thread-safe. The IDs one Sequence hands out strictly increase:
    a next() call returns an ID above that of every next() call that had
    returned before it began. IDs of all Sequences and Clients are unique.

    `servers`, `deadline_s`, `token`, `attempt_timeout_s` go to the Client
    it makes (see Client for retries); the deadline bounds each round.
    """

    def __init__(self, servers, name, buffer_size=limits.DEFAULT_BUFFER_SIZE,
                 deadline_s=limits.DEFAULT_DEADLINE_S, token=None,
                 attempt_timeout_s=limits.DEFAULT_ATTEMPT_TIMEOUT_S):
        check_name(name)
        if isinstance(buffer_size, bool) or not isinstance(buffer_size, int) \
                or not 0 <= buffer_size <= limits.RANGE_IDS_MAX:
            raise InvalidArgument("invalid buffer_size %r: 0..%d" % (buffer_size, limits.RANGE_IDS_MAX))
        self._name = name
        self._buffer_size = buffer_size
        self._client = Client(servers, deadline_s=deadline_s, token=token,
                              attempt_timeout_s=attempt_timeout_s)
        self._cond = threading.Condition(threading.Lock())
        # The current range [_start, _end); _cur is the next ID to hand out.
        self._start = self._cur = self._end = 0
        self._spare = None        # the range fetched in advance, or None
        self._fetch = None        # the _Fetch in flight, or None
        self._fetch_thread = None
        self._closed = False

    @property
    def name(self):
        return self._name

    @property
    def buffer_size(self):
        return self._buffer_size

    @property
    def client(self):
        """The Client this Sequence uses (for current(), list(), ...)."""
        return self._client

    def next(self):
        """The next ID (an int). Raises RRSeqError (see rrseq.errors)."""
        if self._buffer_size <= 1:
            if self._closed:
                raise RRSeqError("sequence %s is closed" % self._name)
            # One round per ID. Calls overlap freely: a round begun after
            # another one's answer came lies above it (rrseq.v1 Next).
            return self._client.next_range(self._name, 1).start
        with self._cond:
            waited_on = None
            while True:
                if self._closed:
                    raise RRSeqError("sequence %s is closed" % self._name)
                if self._cur < self._end:
                    id_ = self._cur
                    self._cur += 1
                    if self._spare is None and self._fetch is None \
                            and 2 * (self._cur - self._start) >= self._end - self._start:
                        self._start_fetch()  # half used: fetch the next range now
                    return id_
                if self._spare is not None:
                    self._start = self._cur = self._spare.start
                    self._end = self._spare.stop
                    self._spare = None
                    continue
                if waited_on is not None and waited_on.done:
                    if waited_on.error is not None:
                        raise copy.copy(waited_on.error)
                    waited_on = None  # others used its range up: fetch again
                    continue
                if self._fetch is None:
                    self._start_fetch()
                waited_on = self._fetch
                self._cond.wait()

    def _start_fetch(self):
        f = _Fetch()
        self._fetch = f
        t = threading.Thread(target=self._run_fetch, args=(f,), daemon=True,
                             name="rrseq-fetch-" + self._name)
        self._fetch_thread = t
        t.start()

    def _run_fetch(self, f):
        r, err = None, None
        try:
            r = self._client.next_range(self._name, self._buffer_size)
        except RRSeqError as e:
            err = e
        except Exception as e:  # keep the waiters from waiting forever
            err = RRSeqError("fetching a range of %s failed: %r" % (self._name, e))
        with self._cond:
            if r is not None and r.start < self._end:
                err = RRSeqError(
                    "server granted [%d, %d) of %s, not above the range [%d, %d) before it; refused"
                    % (r.start, r.stop, self._name, self._start, self._end))
                r = None
            if r is not None and not self._closed:
                self._spare = r
            if err is not None:
                log.debug("rrseq: buffer fetch failed: %s", err)
            f.done, f.error = True, err
            self._fetch = None
            self._cond.notify_all()

    def close(self):
        """Stops the background fetch and closes the client; later next()
        calls raise RRSeqError. Idempotent."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            t = self._fetch_thread
            self._cond.notify_all()
        self._client.close()
        if t is not None and t is not threading.current_thread():
            t.join(limits.CLOSE_JOIN_TIMEOUT_S)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __iter__(self):
        while True:
            yield self.next()
