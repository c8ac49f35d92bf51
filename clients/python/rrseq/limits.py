"""Every limit and default of the rrseq client, by name.

The first group mirrors the server's limits (core/limits.h) so that a bad
argument is refused here, before a round trip; the server checks them again.
"""

# --- The server's limits, as rrseq.v1 states them ---------------------------

#: Longest sequence name, in bytes (UTF-8).
SEQ_NAME_BYTES_MAX = 64
#: Characters a sequence name may use.
SEQ_NAME_CHARS = "A-Za-z0-9_.-"
#: Most IDs one Next call may ask for (NextRequest.count is 1..this).
RANGE_IDS_MAX = 1 << 20
#: Largest ID a sequence ever grants; it never wraps.
ID_MAX = 2**64 - 2
#: Largest value a uint64 field carries.
UINT64_MAX = 2**64 - 1

# --- Time -------------------------------------------------------------------

#: Total time one call (all its attempts and backoffs) may take, seconds.
DEFAULT_DEADLINE_S = 5.0
#: Time one attempt at one server may take, seconds (capped by what is left
#: of the total deadline): above the server's own 1 s limit on a queued
#: request, so a server that reaches no quorum says so before we move on.
DEFAULT_ATTEMPT_TIMEOUT_S = 2.0
#: Backoff before each new pass over the servers, after every server of the
#: previous pass failed retryably: INITIAL * 2**(pass-1), capped at MAX, then
#: jittered down by up to JITTER of itself, and never past the deadline.
BACKOFF_INITIAL_S = 0.005
BACKOFF_MAX_S = 0.1
BACKOFF_JITTER = 0.5
#: gRPC's own reconnect backoff for a channel whose server is down (the
#: library default starts at 1 s, long next to a 5 s deadline).
RECONNECT_BACKOFF_MIN_MS = 100
RECONNECT_BACKOFF_MAX_MS = 1000
#: How long close() waits for a background fetch to end, seconds.
CLOSE_JOIN_TIMEOUT_S = 1.0

# --- Buffering --------------------------------------------------------------

#: IDs a Sequence asks for per round (0 or 1: one round per ID, no buffer).
DEFAULT_BUFFER_SIZE = 1024
