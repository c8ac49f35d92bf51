"""Python client of RRSeq: unique, increasing 64-bit IDs from named sequences
served by a cluster of rrseq-server nodes over gRPC (rrseq.v1.Sequences).

    import rrseq
    with rrseq.Sequence(["10.0.0.1:19101", "10.0.0.2:19101"], "orders") as seq:
        order_id = seq.next()

Needs the generated stubs on sys.path: clients/python/generate.sh OUTDIR,
then PYTHONPATH=OUTDIR (see README.md).
"""

import pkgutil

# The generated stubs are the package rrseq.v1 (the proto's package) in
# OUTDIR/rrseq/v1/: let this package's path take in every sys.path entry's
# rrseq/ folder, so that `rrseq.v1` is found there.
__path__ = pkgutil.extend_path(__path__, __name__)

from . import limits  # noqa: E402
from .errors import (  # noqa: E402
    Exhausted,
    InvalidArgument,
    PermissionDenied,
    RRSeqError,
    Unavailable,
)
from .client import Client  # noqa: E402
from .sequence import Sequence  # noqa: E402

__all__ = [
    "Client",
    "Sequence",
    "RRSeqError",
    "InvalidArgument",
    "Exhausted",
    "Unavailable",
    "PermissionDenied",
    "limits",
]
