#!/usr/bin/python3
"""Prints COUNT IDs of the sequence NAME, one a line.

    clients/python/generate.sh /tmp/rrseq-stubs
    PYTHONPATH=/tmp/rrseq-stubs /usr/bin/python3 examples/python/next_ids.py \
        10.0.0.1:19101,10.0.0.2:19101 orders 10
"""
import os
import sys

# The rrseq package, from this checkout (the stubs come from PYTHONPATH).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))
import rrseq  # noqa: E402

if len(sys.argv) != 4:
    sys.exit("usage: next_ids.py SERVER[,SERVER...] NAME COUNT")
servers, name, count = sys.argv[1].split(","), sys.argv[2], int(sys.argv[3])
try:
    with rrseq.Client(servers) as client:
        while count > 0:  # one round per RANGE_IDS_MAX IDs at most
            ids = client.next_range(name, min(count, rrseq.limits.RANGE_IDS_MAX))
            print("\n".join(map(str, ids)))
            count -= len(ids)
except rrseq.RRSeqError as e:
    sys.exit("next_ids: %s" % e)
