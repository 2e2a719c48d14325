"""Tests of the floor program (floor.c), the binary named by $WEFT_BENCH_FLOOR."""

import os
import pathlib
import re
import subprocess
import tempfile
import unittest

FLOOR = os.environ.get("WEFT_BENCH_FLOOR", "")


def run_floor(*args):
    return subprocess.run([FLOOR, *args], capture_output=True, text=True, timeout=60)


@unittest.skipUnless(FLOOR, "set WEFT_BENCH_FLOOR to the floor binary (CTest does)")
class FloorTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.out = pathlib.Path(self.dir.name) / "out"

    def test_runs_the_command_count_times_and_reports(self):
        result = run_floor("-n", "4", "-o", str(self.out), "--", "sh", "-c", "echo ran")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.out.read_text(), "ran\n" * 4)
        self.assertRegex(result.stdout, r"^floor: 4 processes, 1 at a time: [0-9.]+ s "
                                        r"\([0-9.]+ us per process\), CPU [0-9.]+ s, "
                                        r"peak RSS [1-9][0-9]* KiB\n$")

    def test_default_command_is_sh_c_true(self):
        result = run_floor("-n", "2")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("floor: 2 processes, 1 at a time", result.stdout)

    def test_parallel_zero_or_above_count_means_all_at_once(self):
        self.assertIn("3 at a time", run_floor("-n", "3", "-j", "0").stdout)
        self.assertIn("3 at a time", run_floor("-n", "3", "-j", "9").stdout)
        self.assertIn("2 at a time", run_floor("-n", "3", "-j", "2").stdout)

    def test_parallel_children_overlap(self):
        # Each child waits until all three have started: only -j3 lets this finish.
        barrier = pathlib.Path(self.dir.name) / "started"
        script = (f"echo >> {barrier}; "
                  f"while [ $(wc -l < {barrier}) -lt 3 ]; do :; done")
        result = run_floor("-n", "3", "-j", "3", "--", "sh", "-c", script)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_output_goes_to_the_file_with_stderr_and_appends(self):
        self.out.write_text("before\n")
        result = run_floor("-n", "1", "-o", str(self.out), "--", "sh", "-c", "echo o; echo e >&2")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.out.read_text(), "before\no\ne\n")

    def test_cpu_is_the_childrens(self):
        # A child that spins for a while of CPU reports at least that much.
        result = run_floor("-n", "1", "--", "python3", "-c",
                           "import time\nend = time.process_time() + 0.2\n"
                           "while time.process_time() < end: pass")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertGreaterEqual(float(re.search(r"CPU ([0-9.]+) s", result.stdout)[1]), 0.2)

    def test_peak_rss_is_the_childs(self):
        # A child that touches 64 MiB reports at least that much; floor itself is small.
        result = run_floor("-n", "1", "--", "python3", "-c", "b = bytearray(64 << 20)")
        self.assertEqual(result.returncode, 0, result.stderr)
        rss = int(re.search(r"peak RSS (\d+) KiB", result.stdout)[1])
        self.assertGreaterEqual(rss, 64 << 10)

    def test_failing_child_stops_new_starts_and_exits_1(self):
        result = run_floor("-n", "5", "-o", str(self.out), "--", "sh", "-c", "echo x; exit 3")
        self.assertEqual(result.returncode, 1)
        self.assertRegex(result.stderr, r"floor: child \d+ exited 3")
        self.assertEqual(self.out.read_text(), "x\n")
        self.assertEqual(result.stdout, "")

    def test_killed_child_is_reported(self):
        result = run_floor("-n", "1", "--", "sh", "-c", "kill -9 $$")
        self.assertEqual(result.returncode, 1)
        self.assertRegex(result.stderr, r"killed by signal 9")

    def test_missing_command(self):
        result = run_floor("-n", "2", "--", "/nonexistent/program")
        self.assertEqual(result.returncode, 1)
        self.assertIn("cannot start '/nonexistent/program'", result.stderr)

    def test_bad_usage_exits_2_with_usage(self):
        for args in (("-n", "x"), ("-n", "-3"), ("-j", "2x"), ("-q",)):
            with self.subTest(args=args):
                result = run_floor(*args)
                self.assertEqual(result.returncode, 2)
                self.assertIn("usage: floor", result.stderr)


if __name__ == "__main__":
    unittest.main()
