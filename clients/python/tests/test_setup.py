"""generate.sh, the ImportError without stubs, and the examples."""

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.parse

import support
from support import HANG_GUARD_S, FakeServer

EXAMPLES = os.path.join(support.REPO, "examples")


def run(args, env_pythonpath):
    env = dict(os.environ)
    env["PYTHONPATH"] = env_pythonpath
    return subprocess.run(args, env=env, capture_output=True, text=True,
                          timeout=HANG_GUARD_S * 3)


class GenerateTest(unittest.TestCase):
    def test_generates_both_modules(self):
        for f in ("sequences_pb2.py", "sequences_pb2_grpc.py"):
            self.assertTrue(os.path.isfile(os.path.join(support.STUBS_DIR, "rrseq", "v1", f)))

    def test_runs_from_any_folder_into_a_relative_outdir(self):
        tmp = tempfile.mkdtemp(prefix="rrseq-gen-")
        self.addCleanup(shutil.rmtree, tmp, True)
        subprocess.run(["bash", support.GENERATE, "out"], cwd=tmp, check=True)
        self.assertTrue(os.path.isfile(os.path.join(tmp, "out", "rrseq", "v1", "sequences_pb2_grpc.py")))

    def test_usage(self):
        r = subprocess.run(["bash", support.GENERATE], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("usage", r.stderr)

    def test_missing_stubs_say_to_run_generate_sh(self):
        r = run([sys.executable, "-c", "import rrseq"], support.PY_CLIENT)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ImportError", r.stderr)
        self.assertIn("generate.sh", r.stderr)
        self.assertIn("PYTHONPATH", r.stderr)

    def test_stubs_on_pythonpath_import(self):
        r = run([sys.executable, "-c", "import rrseq; print(rrseq.Client)"],
                support.PY_CLIENT + os.pathsep + support.STUBS_DIR)
        self.assertEqual(r.returncode, 0, r.stderr)


class ExamplesTest(unittest.TestCase):
    def test_python_next_ids(self):
        a = FakeServer()
        self.addCleanup(a.stop)
        r = run([sys.executable, os.path.join(EXAMPLES, "python", "next_ids.py"),
                 support.closed_port_address() + "," + a.address, "orders", "5"],
                support.STUBS_DIR)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split(), ["1", "2", "3", "4", "5"])

    def test_python_next_ids_error(self):
        a = FakeServer()
        self.addCleanup(a.stop)
        r = run([sys.executable, os.path.join(EXAMPLES, "python", "next_ids.py"),
                 a.address, "bad name", "5"], support.STUBS_DIR)
        self.assertEqual(r.returncode, 1)
        self.assertIn("invalid sequence name", r.stderr)

    @unittest.skipUnless(shutil.which("curl"), "needs curl")
    def test_curl_next_ids(self):
        served = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                u = urllib.parse.urlsplit(self.path)
                served.append(self.path)
                m = re.fullmatch(r"/v1/sequences/([A-Za-z0-9_.-]+)(/next)?", u.path)
                if m and m.group(2):
                    n = int(urllib.parse.parse_qs(u.query)["count"][0])
                    body = {"sequence": m.group(1), "from": 2**64 - 10, "to": 2**64 - 10 + n}
                elif m:
                    body = {"sequence": m.group(1), "upper_bound": 2**64 - 7}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        self.addCleanup(httpd.server_close)
        self.addCleanup(httpd.shutdown)
        addr = "127.0.0.1:%d" % httpd.server_address[1]
        r = run(["bash", os.path.join(EXAMPLES, "curl", "next_ids.sh"), addr, "orders", "3"], "")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split(), [str(2**64 - 10 + i) for i in range(3)])
        self.assertIn('"upper_bound": %d' % (2**64 - 7), r.stderr)
        self.assertEqual(served, ["/v1/sequences/orders/next?count=3", "/v1/sequences/orders"])


if __name__ == "__main__":
    unittest.main()
