import threading
import unittest

from support import HANG_GUARD_S, SHORT_DEADLINE_S, Code, FakeServer

import rrseq
from rrseq import limits

THREADS = 8
IDS_PER_THREAD = 300


class SequenceTestCase(unittest.TestCase):
    def setUp(self):
        self.fake = FakeServer()
        self.addCleanup(self.fake.stop)

    def sequence(self, servers=None, **kw):
        kw.setdefault("deadline_s", HANG_GUARD_S)
        s = rrseq.Sequence(servers or [self.fake.address], "orders", **kw)
        self.addCleanup(s.close)
        return s

    def requested_counts(self):
        return [req.count for m, req, _ in self.fake.servicer.calls if m == "Next"]


class IncreasingTest(SequenceTestCase):
    def test_one_thread_strictly_increasing(self):
        for size in (0, 1, 2, 3, 10):
            with self.subTest(buffer_size=size):
                s = self.sequence(buffer_size=size)
                ids = [s.next() for _ in range(50)]
                self.assertEqual(ids, sorted(set(ids)))
                s.close()

    def check_threads(self, size):
        s = self.sequence(buffer_size=size)
        got = [[] for _ in range(THREADS)]
        errors = []

        def take(out):
            try:
                for _ in range(IDS_PER_THREAD):
                    out.append(s.next())
            except Exception as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=take, args=(got[i],)) for i in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(HANG_GUARD_S * 6)
            self.assertFalse(t.is_alive())
        self.assertEqual(errors, [])
        for ids in got:  # each thread sees its IDs strictly increase
            self.assertEqual(len(ids), IDS_PER_THREAD)
            self.assertTrue(all(x < y for x, y in zip(ids, ids[1:])), ids)
        everything = [i for ids in got for i in ids]
        self.assertEqual(len(set(everything)), THREADS * IDS_PER_THREAD)  # no repeats
        # Every ID came from a range the server granted.
        self.assertLess(max(everything), self.fake.servicer.next_id["orders"])
        self.assertGreaterEqual(min(everything), 1)

    def test_eight_threads_buffered(self):
        self.check_threads(16)

    def test_eight_threads_buffer_of_two(self):
        self.check_threads(2)

    def test_eight_threads_unbuffered(self):
        self.check_threads(0)

    def test_unbuffered_is_one_round_per_id(self):
        for size in (0, 1):
            with self.subTest(buffer_size=size):
                before = len(self.requested_counts())
                s = self.sequence(buffer_size=size)
                for _ in range(7):
                    s.next()
                self.assertEqual(self.requested_counts()[before:], [1] * 7)

    def test_buffered_asks_for_buffer_size(self):
        s = self.sequence(buffer_size=10)
        s.next()
        self.assertEqual(self.requested_counts(), [10])

    def test_bad_buffer_size_and_name(self):
        for size in (-1, limits.RANGE_IDS_MAX + 1, 2.5):
            with self.assertRaises(rrseq.InvalidArgument):
                rrseq.Sequence([self.fake.address], "orders", buffer_size=size)
        with self.assertRaises(rrseq.InvalidArgument):
            rrseq.Sequence([self.fake.address], "bad name")
        self.assertEqual(self.fake.servicer.count(), 0)


class DoubleBufferTest(SequenceTestCase):
    def test_background_fetch_at_half_use(self):
        fake = self.fake.servicer
        second_started, second_release = threading.Event(), threading.Event()
        third_started = threading.Event()

        def on_next(n):
            if n == 2:
                second_started.set()
                second_release.wait(HANG_GUARD_S)
            if n == 3:
                third_started.set()

        fake.on_next = on_next
        s = self.sequence(buffer_size=10)

        self.assertEqual([s.next() for _ in range(4)], [1, 2, 3, 4])
        self.assertEqual(fake.count("Next"), 1)  # 4 of 10 used: no fetch yet
        self.assertEqual(s.next(), 5)           # half used: the fetch starts
        self.assertTrue(second_started.wait(HANG_GUARD_S))
        # The rest of the first range is handed out while that fetch is
        # still held by the server: next() does not wait for it.
        self.assertEqual([s.next() for _ in range(5)], [6, 7, 8, 9, 10])
        self.assertEqual(fake.nexts_done, 1)
        self.assertEqual(fake.count("Next"), 2)

        # Both ranges used up: next() waits for the fetch in flight, and
        # starts no second one.
        got = []
        waiter = threading.Thread(target=lambda: got.append(s.next()))
        waiter.start()
        second_release.set()
        waiter.join(HANG_GUARD_S)
        self.assertEqual(got, [11])
        self.assertEqual(fake.count("Next"), 2)

        self.assertEqual([s.next() for _ in range(3)], [12, 13, 14])
        self.assertEqual(fake.count("Next"), 2)  # 4 of [11, 21) used
        self.assertEqual(s.next(), 15)
        self.assertTrue(third_started.wait(HANG_GUARD_S))
        # 16..20 end [11, 21); 21..24 use 4 of [21, 31): no fourth fetch.
        self.assertEqual([s.next() for _ in range(9)], list(range(16, 25)))
        self.assertEqual(self.requested_counts(), [10, 10, 10])

    def test_failed_fetch_raises_then_recovers(self):
        fake = self.fake.servicer
        fake.fail = (Code.UNAVAILABLE, "not_ready")
        s = self.sequence(buffer_size=4, deadline_s=SHORT_DEADLINE_S)
        with self.assertRaises(rrseq.Unavailable) as cm:
            s.next()
        self.assertEqual(cm.exception.status, "not_ready")
        fake.fail = None
        ids = [s.next() for _ in range(9)]
        self.assertEqual(ids, sorted(set(ids)))

    def test_exhausted_reaches_the_caller(self):
        self.fake.servicer.fail = (Code.RESOURCE_EXHAUSTED, "exhausted")
        for size in (0, 8):
            s = self.sequence(buffer_size=size)
            with self.assertRaises(rrseq.Exhausted) as cm:
                s.next()
            self.assertEqual(cm.exception.code, Code.RESOURCE_EXHAUSTED)

    def test_range_not_above_the_last_is_refused(self):
        self.fake.servicer.rewind = True  # every Next grants [1, 1 + count)
        s = self.sequence(buffer_size=4)
        got = []
        with self.assertRaises(rrseq.RRSeqError) as cm:
            for _ in range(10):
                got.append(s.next())
        self.assertIn("not above", str(cm.exception))
        self.assertEqual(got, [1, 2, 3, 4])

    def test_close_wakes_a_waiting_next(self):
        fake = self.fake.servicer
        fake.hang = True
        s = self.sequence(buffer_size=4)
        errors = []

        def take():
            try:
                s.next()
            except rrseq.RRSeqError as e:
                errors.append(e)

        t = threading.Thread(target=take)
        t.start()
        self.assertTrue(fake.call_seen.wait(HANG_GUARD_S))
        s.close()
        t.join(HANG_GUARD_S)
        self.assertFalse(t.is_alive())
        self.assertEqual(len(errors), 1)
        with self.assertRaises(rrseq.RRSeqError):
            s.next()

    def test_context_manager_and_iteration(self):
        with rrseq.Sequence([self.fake.address], "orders", buffer_size=3) as s:
            it = iter(s)
            self.assertEqual([next(it) for _ in range(7)], list(range(1, 8)))
        with self.assertRaises(rrseq.RRSeqError):
            s.next()

    def test_moves_to_the_second_server(self):
        b = FakeServer()
        self.addCleanup(b.stop)
        self.fake.servicer.fail = (Code.UNAVAILABLE, "not_ready")
        s = self.sequence([self.fake.address, b.address], buffer_size=5)
        self.assertEqual([s.next() for _ in range(12)], list(range(1, 13)))
        self.assertEqual(self.fake.servicer.count(), 1)


if __name__ == "__main__":
    unittest.main()
