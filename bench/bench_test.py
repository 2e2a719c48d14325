"""Tests of the benchmark driver's bookkeeping: pairing, statistics, bars, the table and the
report file, and measuring a command through the floor ($WEFT_BENCH_FLOOR)."""

import os
import pathlib
import tempfile
import unittest

import bench

FLOOR = os.environ.get("WEFT_BENCH_FLOOR", "")


def case(label="a", argv=("true",), directory="/"):
    return bench.Case(label, list(argv), pathlib.Path(directory), dict(os.environ),
                      pathlib.Path(directory) / f"{label}.log")


def result(a_walls, b_walls=None, a_rss=None, b_rss=None, bars=(), skip="", error=""):
    """A RowResult whose CPU times are half the wall times."""
    a_rss = a_rss or [1024] * len(a_walls)
    row = bench.Row("shape: a vs b", case("a"), case("b") if b_walls else None, list(bars), skip)
    r = bench.RowResult(row, [bench.Sample(w, m, w / 2) for w, m in zip(a_walls, a_rss)], [],
                        error)
    if b_walls:
        b_rss = b_rss or [1024] * len(b_walls)
        r.b = [bench.Sample(w, m, w / 2) for w, m in zip(b_walls, b_rss)]
    return r


class PairingTest(unittest.TestCase):

    def test_sides_alternate_which_runs_first(self):
        self.assertEqual([bench.pair_order(i) for i in range(4)],
                         [("a", "b"), ("b", "a"), ("a", "b"), ("b", "a")])


class StatisticsTest(unittest.TestCase):

    def test_spread(self):
        self.assertEqual(bench.Spread.of([3, 1, 2]), bench.Spread(2, 1, 3))
        self.assertEqual(bench.Spread.of([4, 1, 2, 3]), bench.Spread(2.5, 1, 4))

    def test_ratios_and_deltas_are_per_pair(self):
        # Medians of each side give 2.0 / 1.0; the pairs say 4, 1 and 1.5.
        r = result([4.0, 2.0, 1.5], [1.0, 2.0, 1.0])
        self.assertEqual(r.ratios, bench.Spread(1.5, 1.0, 4.0))
        self.assertEqual(r.ratio_median, 1.5)
        self.assertEqual(r.delta_median_s, 0.5)
        self.assertEqual(r.a_wall, bench.Spread(2.0, 1.5, 4.0))
        self.assertEqual(r.cpu_ratios, bench.Spread(1.5, 1.0, 4.0))
        self.assertEqual(r.b_wall, bench.Spread(1.0, 1.0, 2.0))


class StepFailureTest(unittest.TestCase):

    def test_the_last_failed_line_of_the_output(self):
        failure = ("weft: `weft start x.yaml` in /d failed (child 7 exited 1); its output:\n"
                   "    step s0: failed 1ms (step has nothing to run)\n"
                   "    DAG x  run 0192  failed in 2ms\n"
                   "      !! s0    failed   1ms   step has nothing to run\n"
                   "    trace 1234\n")
        self.assertEqual(bench.step_failure(failure),
                         "!! s0    failed   1ms   step has nothing to run")

    def test_without_such_a_line_the_last_line_or_the_headline(self):
        self.assertEqual(bench.step_failure("w: failed (x); its output:\n  boom\n  end\n"), "end")
        self.assertEqual(bench.step_failure("w: failed (x); its output:\n"),
                         "w: failed (x); its output:")


class BarTest(unittest.TestCase):

    def test_each_kind_against_its_limit(self):
        r = result([1.5, 3.0, 0.75], [1.0, 2.0, 0.25], a_rss=[3000, 3000, 3000],
                   b_rss=[1000, 1000, 1000])
        # per-pair ratios 1.5, 1.5, 3 (median 1.5); deltas 0.5, 1, 0.5 s; A median 1.5 s
        cases = (("ratio", 1.5, True), ("ratio", 1.49, False),
                 ("delta_ms", 500, True), ("delta_ms", 499, False),
                 ("wall_ms", 1500, True), ("wall_ms", 1499, False),
                 ("rss_kib", 3000, True), ("rss_kib", 2999, False),
                 ("rss_delta_kib", 2000, True), ("rss_delta_kib", 1999, False))
        for kind, limit, met in cases:
            with self.subTest(kind=kind, limit=limit):
                self.assertEqual(bench.Bar(kind, limit, "").met(r), met)


class TableTest(unittest.TestCase):

    def test_measured_row(self):
        r = result([0.012, 0.010, 0.011], [0.010, 0.010, 0.010], a_rss=[20480] * 3,
                   b_rss=[1536] * 3, bars=[bench.Bar("ratio", 1.15, "≤ 15%")])
        line = bench.table([r]).splitlines()[2]
        self.assertEqual(line, "| shape: a vs b | a | b | 11.0 ms (10.0 ms–12.0 ms) | "
                               "10.0 ms (10.0 ms–10.0 ms) | 1.100 (1.000–1.200) | "
                               "1.100 (1.000–1.200) | 20.0 MiB | 1.5 MiB | ≤ 15% | yes |")

    def test_unmet_bar_is_bold_and_single_rows_have_no_b(self):
        r = result([1.5, 2.5], bars=[bench.Bar("wall_ms", 1000, "< 1 s"),
                                     bench.Bar("rss_kib", 2048, "small")])
        line = bench.table([r]).splitlines()[2]
        self.assertEqual(line, "| shape: a vs b | a | — | 2.00 s (1.50 s–2.50 s) | — | — | — | "
                               "1.0 MiB | — | < 1 s; small | **no**, yes |")

    def test_skipped_and_failed_rows_say_why(self):
        skipped = result([], skip="not run: no nesting yet")
        failed = result([], [], error="a: `weft start x` failed (1); its output:\n  boom")
        lines = bench.table([skipped, failed]).splitlines()
        self.assertIn("| not run: no nesting yet |", lines[2])
        self.assertIn("| failed: a: `weft start x` failed (1); its output: |", lines[3])

    def test_time_units(self):
        self.assertEqual(bench.fmt_time(0.0042), "4.2 ms")
        self.assertEqual(bench.fmt_time(0.42), "420 ms")
        self.assertEqual(bench.fmt_time(4.2), "4.20 s")
        self.assertEqual(bench.fmt_time(42), "42.0 s")


class ReportTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.path = pathlib.Path(self.dir.name) / "benchmarks.md"
        self.results = [result([0.5], [0.25])]

    def test_new_file_gets_a_title_and_the_generated_part(self):
        bench.write_report(self.path, self.results, "- info", smoke=False)
        text = self.path.read_text()
        self.assertTrue(text.startswith("# Benchmarks\n\n" + bench.BEGIN_MARK + "\n- info\n\n"))
        self.assertTrue(text.endswith(bench.END_MARK + "\n"))
        self.assertIn("| shape: a vs b |", text)

    def test_only_the_generated_part_is_replaced(self):
        self.path.write_text(f"# B\n\nintro\n\n{bench.BEGIN_MARK}\nold table\n{bench.END_MARK}\n\n"
                             "## Analysis\n\nkept\n")
        bench.write_report(self.path, self.results, "- new info", smoke=False)
        text = self.path.read_text()
        self.assertTrue(text.startswith(f"# B\n\nintro\n\n{bench.BEGIN_MARK}\n- new info\n"))
        self.assertNotIn("old table", text)
        self.assertTrue(text.endswith(f"{bench.END_MARK}\n\n## Analysis\n\nkept\n"))

    def test_a_file_without_marks_gets_the_table_appended(self):
        self.path.write_text("# Notes\n")
        bench.write_report(self.path, self.results, "- info", smoke=False)
        self.assertTrue(self.path.read_text().startswith(f"# Notes\n\n{bench.BEGIN_MARK}\n"))

    def test_smoke_overwrites(self):
        self.path.write_text("# Notes\n")
        bench.write_report(self.path, self.results, "- info", smoke=True)
        self.assertTrue(self.path.read_text().startswith("# Benchmarks\n"))


class ReceiverCheckTest(unittest.TestCase):
    """A traced run counts only the spans recorded after its mark, and wants each exactly once."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.receiver = object.__new__(bench.Receiver)  # its out file alone, no Node process
        self.receiver.out = pathlib.Path(self.dir.name) / "receiver.jsonl"

    def append(self, *counts):
        with open(self.receiver.out, "a") as out:
            for count in counts:
                out.write(f'{{"request": 1, "answer": "ok", "spanCount": {count}}}\n')

    def test_spans_before_the_mark_do_not_count(self):
        check = bench.ReceiverGotSpans(self.receiver, 5)
        check.mark()  # no file yet
        self.append(5)
        check.mark()
        self.assertEqual(check(), "the OTLP receiver got 0 spans from this run, not 5")
        self.append(3, 2)
        self.assertIsNone(check())

    def test_missing_and_duplicated_spans_fail(self):
        check = bench.ReceiverGotSpans(self.receiver, 5)
        check.mark()
        self.append(4)
        self.assertEqual(check(), "the OTLP receiver got 4 spans from this run, not 5")
        self.append(2)
        self.assertEqual(check(), "the OTLP receiver got 6 spans from this run, not 5")


@unittest.skipUnless(FLOOR, "set WEFT_BENCH_FLOOR to the floor binary (CTest does)")
class MeasureTest(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def test_a_run_gives_wall_time_and_rss_and_runs_prepare_before(self):
        events = []
        c = case("ok", ["sh", "-c", "echo hello"], self.dir.name)
        c.prepare = lambda: events.append("prepare")
        c.check = lambda: events.append("check") and None
        sample = bench.measure(c, FLOOR)
        self.assertEqual(events, ["prepare", "check"])
        self.assertGreater(sample.wall_s, 0)
        self.assertGreater(sample.rss_kib, 0)
        self.assertGreaterEqual(sample.cpu_s, 0)
        self.assertEqual(c.log.read_text(), "hello\n")

    def test_a_failing_command_raises_with_its_output(self):
        c = case("bad", ["sh", "-c", "echo why it broke; exit 4"], self.dir.name)
        with self.assertRaisesRegex(bench.CommandFailed, r"(?s)bad: `sh -c echo why it broke; "
                                    r"exit 4` in .* failed \(child \d+ exited 4\).*why it broke"):
            bench.measure(c, FLOOR)

    def test_a_failed_check_raises(self):
        c = case("unchecked", ["true"], self.dir.name)
        c.check = lambda: "no spans arrived"
        with self.assertRaisesRegex(bench.CommandFailed, "unchecked: no spans arrived"):
            bench.measure(c, FLOOR)

    def test_run_row_alternates_and_records_a_failure(self):
        order = pathlib.Path(self.dir.name) / "order"
        a = case("a", ["sh", "-c", f"echo a >> {order}"], self.dir.name)
        b = case("b", ["sh", "-c", f"echo b >> {order}"], self.dir.name)
        warmed = set()
        r = bench.run_row(bench.Row("t", a, b), 3, FLOOR, warmed)
        # One warm-up run each, then A B, B A, A B.
        self.assertEqual(order.read_text().split(), ["a", "b", "a", "b", "b", "a", "a", "b"])
        self.assertEqual((len(r.a), len(r.b), r.error), (3, 3, ""))
        order.unlink()
        bench.run_row(bench.Row("t", b, a), 1, FLOOR, warmed)
        self.assertEqual(order.read_text().split(), ["b", "a"], "no second warm-up")
        broken = bench.run_row(bench.Row("t", a, case("b", ["false"], self.dir.name)), 3, FLOOR,
                               warmed)
        self.assertIn("b: `false`", broken.error)


if __name__ == "__main__":
    unittest.main()
