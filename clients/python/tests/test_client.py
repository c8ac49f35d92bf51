import random
import unittest

import support
from support import SHORT_DEADLINE_S, Code, FakeServer, closed_port_address

import rrseq
from rrseq import limits
from rrseq.client import backoff_s


class ServersTestCase(unittest.TestCase):
    def servers(self, n):
        out = [FakeServer() for _ in range(n)]
        for s in out:
            self.addCleanup(s.stop)
        return out

    def client(self, servers, **kw):
        kw.setdefault("deadline_s", support.HANG_GUARD_S)
        c = rrseq.Client([s if isinstance(s, str) else s.address for s in servers], **kw)
        self.addCleanup(c.close)
        return c


class CallsTest(ServersTestCase):
    def test_next_range_current_advance_list(self):
        (a,) = self.servers(1)
        c = self.client([a], token="s3cret")
        r = c.next_range("orders", 10)
        self.assertEqual(r, range(1, 11))
        self.assertEqual(c.next_range("orders", 5), range(11, 16))
        self.assertEqual(c.current("orders"), 16)
        self.assertEqual(c.advance("orders", 1000), 1000)
        self.assertEqual(c.advance("orders", 10), 1000)  # never backwards
        self.assertEqual(c.next_range("orders", 1), range(1000, 1001))
        c.next_range("users", 3)
        self.assertEqual(c.list(), {"orders": 1001, "users": 4})

    def test_request_fields(self):
        (a,) = self.servers(1)
        c = self.client([a])
        c.next_range("a.b-c_9", 7)
        (_, req, _), = a.servicer.calls
        self.assertEqual((req.name, req.count), ("a.b-c_9", 7))

    def test_bad_arguments_are_refused_before_any_call(self):
        (a,) = self.servers(1)
        c = self.client([a])
        for name in ("", "x" * (limits.SEQ_NAME_BYTES_MAX + 1), "has space", "é", "a/b", None):
            with self.assertRaises(rrseq.InvalidArgument) as cm:
                c.next_range(name, 1)
            self.assertEqual(cm.exception.status, "invalid_name")
        c.next_range("x" * limits.SEQ_NAME_BYTES_MAX, 1)  # the longest name is fine
        for count in (0, -1, limits.RANGE_IDS_MAX + 1, 1.5, True):
            with self.assertRaises(rrseq.InvalidArgument) as cm:
                c.next_range("a", count)
            self.assertEqual(cm.exception.status, "invalid_count")
        with self.assertRaises(rrseq.InvalidArgument):
            c.advance("a", 0)
        with self.assertRaises(ValueError):  # InvalidArgument is a ValueError too
            c.current("")
        self.assertEqual(a.servicer.count(), 1)

    def test_closed_client_raises(self):
        (a,) = self.servers(1)
        with rrseq.Client([a.address]) as c:
            c.next_range("a", 1)
        with self.assertRaises(rrseq.RRSeqError):
            c.next_range("a", 1)
        c.close()  # idempotent

    def test_servers_as_comma_string(self):
        a, b = self.servers(2)
        c = rrseq.Client(a.address + "," + b.address)
        self.addCleanup(c.close)
        self.assertEqual(c.servers, [a.address, b.address])
        self.assertEqual(c.next_range("a", 2), range(1, 3))


class TokenTest(ServersTestCase):
    def test_token_sent_as_bearer_on_advance_only(self):
        (a,) = self.servers(1)
        c = self.client([a], token="s3cret")
        c.next_range("a", 1)
        c.current("a")
        c.list()
        self.assertEqual(c.advance("a", 50), 50)
        (md,) = a.servicer.metadata("Advance")
        self.assertEqual(md.get("authorization"), "Bearer s3cret")
        for method in ("Next", "Current", "List"):
            for md in a.servicer.metadata(method):
                self.assertNotIn("authorization", md)

    def test_wrong_or_no_token_is_permission_denied_not_retried(self):
        a, b = self.servers(2)
        for token in ("wrong", None):
            c = self.client([a, b], token=token)
            with self.assertRaises(rrseq.PermissionDenied) as cm:
                c.advance("a", 5)
            self.assertEqual(cm.exception.code, Code.PERMISSION_DENIED)
            self.assertEqual(cm.exception.status, "permission_denied")
        self.assertEqual(a.servicer.count("Advance"), 2)
        self.assertEqual(b.servicer.count(), 0)
        self.assertNotIn("authorization", a.servicer.metadata("Advance")[1])


class RetryTest(ServersTestCase):
    def check_moves_on(self, code, status):
        a, b = self.servers(2)
        a.servicer.fail = (code, status)
        c = self.client([a, b])
        self.assertEqual(c.next_range("a", 3), range(1, 4))
        self.assertEqual(a.servicer.count(), 1)
        self.assertEqual(b.servicer.count(), 1)
        # The next call starts at the server that answered.
        c.current("a")
        self.assertEqual(a.servicer.count(), 1)
        self.assertEqual(b.servicer.count(), 2)

    def test_unavailable_not_ready_moves_to_the_second_server(self):
        self.check_moves_on(Code.UNAVAILABLE, "not_ready")

    def test_unavailable_timeout_moves_to_the_second_server(self):
        self.check_moves_on(Code.UNAVAILABLE, "timeout")

    def test_overloaded_moves_to_the_second_server(self):
        self.check_moves_on(Code.RESOURCE_EXHAUSTED, "overloaded")

    def test_retries_the_same_server_after_a_pass(self):
        (a,) = self.servers(1)
        a.servicer.fail_first, a.servicer.fail_first_with = 3, (Code.UNAVAILABLE, "not_ready")
        c = self.client([a])
        self.assertEqual(c.next_range("a", 1), range(1, 2))
        self.assertEqual(a.servicer.count(), 4)

    def check_not_retried(self, code, status, exc):
        a, b = self.servers(2)
        a.servicer.fail = (code, status)
        c = self.client([a, b])
        with self.assertRaises(exc) as cm:
            c.next_range("a", 1)
        e = cm.exception
        self.assertEqual((e.code, e.status, e.server), (code, status, a.address))
        self.assertIn(a.address, str(e))
        self.assertEqual(a.servicer.count(), 1)
        self.assertEqual(b.servicer.count(), 0)
        return e

    def test_invalid_argument_is_not_retried(self):
        for status in ("invalid_name", "invalid_count", "invalid_value"):
            with self.subTest(status=status):
                e = self.check_not_retried(Code.INVALID_ARGUMENT, status, rrseq.InvalidArgument)
                self.assertIn(status, str(e))

    def test_exhausted_is_not_retried(self):
        self.check_not_retried(Code.RESOURCE_EXHAUSTED, "exhausted", rrseq.Exhausted)

    def test_too_many_sequences_is_exhausted_not_retried(self):
        self.check_not_retried(Code.RESOURCE_EXHAUSTED, "too_many_sequences", rrseq.Exhausted)

    def test_resource_exhausted_without_status_is_not_retried(self):
        e = self.check_not_retried(Code.RESOURCE_EXHAUSTED, None, rrseq.RRSeqError)
        self.assertNotIsInstance(e, rrseq.Exhausted)

    def test_permission_denied_is_not_retried(self):
        self.check_not_retried(Code.PERMISSION_DENIED, "permission_denied", rrseq.PermissionDenied)

    def test_other_codes_are_not_retried(self):
        e = self.check_not_retried(Code.INTERNAL, None, rrseq.RRSeqError)
        self.assertEqual(type(e), rrseq.RRSeqError)

    def test_unavailable_after_the_deadline_when_every_server_refuses(self):
        a, b = self.servers(2)
        a.servicer.fail = (Code.UNAVAILABLE, "not_ready")
        b.servicer.fail = (Code.RESOURCE_EXHAUSTED, "overloaded")
        c = self.client([a, b], deadline_s=SHORT_DEADLINE_S)
        with self.assertRaises(rrseq.Unavailable) as cm:
            c.next_range("a", 1)
        e = cm.exception
        self.assertEqual(e.servers_tried, [a.address, b.address])
        self.assertIn(a.address, str(e))
        self.assertIn(b.address, str(e))
        self.assertIsInstance(e.last_error, rrseq.RRSeqError)
        self.assertIn(str(e.last_error), str(e))
        self.assertIn(e.status, ("not_ready", "overloaded"))
        self.assertGreaterEqual(a.servicer.count(), 1)
        self.assertGreaterEqual(b.servicer.count(), 1)

    def test_unavailable_after_the_deadline_on_closed_ports(self):
        dead = [closed_port_address(), closed_port_address()]
        c = self.client(dead, deadline_s=SHORT_DEADLINE_S)
        with self.assertRaises(rrseq.Unavailable) as cm:
            c.next_range("a", 1)
        e = cm.exception
        self.assertEqual(e.code, Code.UNAVAILABLE)
        self.assertIsNone(e.status)
        self.assertEqual(sorted(e.servers_tried), sorted(set(dead)))
        for addr in dead:
            self.assertIn(addr, str(e))

    def test_closed_port_then_a_live_server(self):
        (a,) = self.servers(1)
        c = self.client([closed_port_address(), a])
        self.assertEqual(c.next_range("a", 2), range(1, 3))

    def test_a_server_that_never_answers_is_left_after_the_attempt_timeout(self):
        a, b = self.servers(2)
        a.servicer.hang = True
        c = self.client([a, b], attempt_timeout_s=0.2)
        self.assertEqual(c.next_range("a", 1), range(1, 2))
        self.assertEqual(a.servicer.count(), 1)

    def test_a_server_that_never_answers_gives_unavailable(self):
        (a,) = self.servers(1)
        a.servicer.hang = True
        c = self.client([a], deadline_s=SHORT_DEADLINE_S, attempt_timeout_s=0.1)
        with self.assertRaises(rrseq.Unavailable) as cm:
            c.current("a")
        self.assertEqual(cm.exception.code, Code.DEADLINE_EXCEEDED)
        self.assertEqual(cm.exception.servers_tried, [a.address])

    def test_backoff_is_capped_and_jittered(self):
        rng = random.Random(7)
        seen = set()
        for p in range(1, 60):
            b = backoff_s(p, rng)
            full = min(limits.BACKOFF_MAX_S, limits.BACKOFF_INITIAL_S * 2 ** (p - 1))
            self.assertLessEqual(b, full)
            self.assertGreaterEqual(b, full * (1 - limits.BACKOFF_JITTER))
            seen.add(b)
        self.assertGreater(len(seen), 50)


if __name__ == "__main__":
    unittest.main()
