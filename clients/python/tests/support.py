"""Test support: generates the stubs into a temporary folder (once per
process) and puts it and clients/python on sys.path; a fake in-process
rrseq.v1.Sequences server on 127.0.0.1 port 0.

Import this module before rrseq.
"""

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from concurrent import futures

HERE = os.path.dirname(os.path.abspath(__file__))
PY_CLIENT = os.path.dirname(HERE)                   # clients/python
REPO = os.path.dirname(os.path.dirname(PY_CLIENT))  # the repository root
GENERATE = os.path.join(PY_CLIENT, "generate.sh")

# Every wait in the tests is bounded by this, so that a broken client fails a
# test instead of hanging it; no test asserts how long anything took.
HANG_GUARD_S = 10.0
# The deadline of the tests that expect Unavailable: long enough that every
# server gets tried (and answers) even on a loaded machine.
SHORT_DEADLINE_S = 1.5


def _generate_stubs():
    out = tempfile.mkdtemp(prefix="rrseq-py-stubs-")
    atexit.register(shutil.rmtree, out, True)
    subprocess.run(["bash", GENERATE, out], check=True)
    return out


STUBS_DIR = _generate_stubs()
for _p in (PY_CLIENT, STUBS_DIR):
    if _p not in sys.path:
        sys.path.insert(0, _p)

try:
    import grpc  # noqa: E402
except ImportError as e:
    raise ImportError("the tests need grpc: run them with Debian's /usr/bin/python3 "
                      "(apt-get install python3-grpcio python3-protobuf)") from e

from rrseq.v1 import sequences_pb2 as pb  # noqa: E402
from rrseq.v1 import sequences_pb2_grpc as pb_grpc  # noqa: E402

Code = grpc.StatusCode


def closed_port_address():
    """127.0.0.1:PORT where nothing listens (a port just bound and freed)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return "127.0.0.1:%d" % port


class FakeSequences(pb_grpc.SequencesServicer):
    """An in-memory rrseq.v1.Sequences. Next is linearizable (under a lock):
    a range granted after another one was answered lies above it.

    fail:       (code, rrseq_status) answered to every call while set
    fail_first: that many calls answered with `fail_first_with`
    hang:       every call waits until the client gives up on it
    rewind:     Next always grants from 1 (a broken server)
    on_next:    fn(n) called before the n-th Next (1-based) is answered
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.next_id = {}  # name -> first ID not granted yet
        self.calls = []    # (method, request, {metadata key: value})
        self.nexts_done = 0
        self.fail = None
        self.fail_first = 0
        self.fail_first_with = None
        self.hang = False
        self.rewind = False
        self.on_next = None
        self.call_seen = threading.Event()

    def count(self, method=None):
        with self.lock:
            return sum(1 for m, _, _ in self.calls if method is None or m == method)

    def metadata(self, method):
        with self.lock:
            return [md for m, _, md in self.calls if m == method]

    def _enter(self, method, request, context):
        md = {k: v for k, v in context.invocation_metadata()}
        with self.lock:
            self.calls.append((method, request, md))
            n = sum(1 for m, _, _ in self.calls if m == method)
            failure = self.fail
            if failure is None and self.fail_first > 0:
                self.fail_first -= 1
                failure = self.fail_first_with
            hang = self.hang
        self.call_seen.set()
        if hang:
            gone = threading.Event()
            context.add_callback(gone.set)
            gone.wait(HANG_GUARD_S)
            context.abort(Code.UNAVAILABLE, "fake: hung")
        if failure is not None:
            code, status = failure
            if status is not None:
                context.set_trailing_metadata((("rrseq-status", status),))
            context.abort(code, "fake: %s" % (status or code.name))
        return n

    def Next(self, request, context):
        n = self._enter("Next", request, context)
        if self.on_next is not None:
            self.on_next(n)
        with self.lock:
            first = 1 if self.rewind else self.next_id.get(request.name, 1)
            self.next_id[request.name] = first + request.count
            self.nexts_done += 1
        return pb.Range(name=request.name, from_id=first, to_id=first + request.count)

    def Current(self, request, context):
        self._enter("Current", request, context)
        with self.lock:
            return pb.Bound(name=request.name, upper_bound=self.next_id.get(request.name, 1))

    def Advance(self, request, context):
        md = dict(context.invocation_metadata())
        self._enter("Advance", request, context)
        if md.get("authorization") != "Bearer s3cret":
            context.set_trailing_metadata((("rrseq-status", "permission_denied"),))
            context.abort(Code.PERMISSION_DENIED, "fake: wrong token")
        with self.lock:
            b = max(self.next_id.get(request.name, 1), request.at_least)
            self.next_id[request.name] = b
        return pb.Bound(name=request.name, upper_bound=b)

    def List(self, request, context):
        self._enter("List", request, context)
        with self.lock:
            return pb.ListReply(sequences=[pb.Bound(name=k, upper_bound=v)
                                           for k, v in sorted(self.next_id.items())])


class FakeServer:
    """A grpc.server on 127.0.0.1:0 serving a FakeSequences."""

    def __init__(self, servicer=None):
        self.servicer = servicer or FakeSequences()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
        pb_grpc.add_SequencesServicer_to_server(self.servicer, self.server)
        port = self.server.add_insecure_port("127.0.0.1:0")
        self.address = "127.0.0.1:%d" % port
        self.server.start()

    def stop(self):
        self.server.stop(None)
