"""Imports grpc and the generated rrseq.v1 stubs, or says how to get them.

The stubs are not committed: clients/python/generate.sh OUTDIR writes
OUTDIR/rrseq/v1/sequences_pb2{,_grpc}.py, and OUTDIR goes on PYTHONPATH.
They live in the package rrseq.v1 (from the proto's package), under the same
top-level name as this package; rrseq/__init__.py extends its __path__ over
every sys.path entry so that rrseq.v1 is found in OUTDIR.
"""

try:
    import grpc  # noqa: F401
except ImportError as e:  # e.g. a Python without Debian's dist-packages
    raise ImportError(
        "rrseq needs grpc: use Debian's /usr/bin/python3 with "
        "'apt-get install python3-grpcio python3-protobuf'"
    ) from e

_MISSING = ("rrseq.v1", "rrseq.v1.sequences_pb2", "rrseq.v1.sequences_pb2_grpc")

try:
    from rrseq.v1 import sequences_pb2 as pb  # noqa: F401
    from rrseq.v1 import sequences_pb2_grpc as pb_grpc  # noqa: F401
except ModuleNotFoundError as e:
    if e.name not in _MISSING:
        raise
    raise ImportError(
        "rrseq: the generated gRPC stubs (rrseq/v1/sequences_pb2.py, "
        "sequences_pb2_grpc.py) are not on sys.path. Run "
        "'clients/python/generate.sh OUTDIR' and put OUTDIR on PYTHONPATH "
        "(before 'import rrseq')."
    ) from e

__all__ = ["grpc", "pb", "pb_grpc"]
