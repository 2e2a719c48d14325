#!/usr/bin/env python3
"""Runs weft against the process floor, make and ninja (SPEC §8) and writes the results table.

Each row of the table compares two commands, A and B, run in alternating pairs (A B, B A, A B,
...) so that a machine that gets busier or quieter during the run moves both sides alike; the
per-pair ratio A/B is what the SPEC §8 bars are judged on. Wall time is measured around the
whole command and peak RSS is the largest resident set among the command's processes, both
as floor.c reports them for one run of the command.

Called by run.sh; see there for usage.
"""

import argparse
import dataclasses
import datetime
import itertools
import json
import os
import pathlib
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import shapes

REPO = pathlib.Path(__file__).resolve().parent.parent
RUN_TIMEOUT_S = 600  # one command; a hang becomes a failure instead of a stuck benchmark
BEGIN_MARK = "<!-- bench/run.sh: generated from here -->"
END_MARK = "<!-- bench/run.sh: generated up to here -->"


@dataclasses.dataclass
class Sample:
    wall_s: float
    rss_kib: int
    cpu_s: float = 0.0  # user + system time of the command's whole process tree


@dataclasses.dataclass
class Case:
    """One command to time. `prepare` runs before each run and `check` after it, both untimed;
    `check` returns an error text when the run did not do what it should."""

    label: str
    argv: list
    cwd: pathlib.Path
    env: dict
    log: pathlib.Path
    prepare: object = None
    check: object = None


@dataclasses.dataclass
class Bar:
    """A SPEC §8 bar on a row. `kind`: ratio (per-pair A/B median), delta_ms (per-pair A-B
    median), wall_ms (A median), rss_kib (A median) or rss_delta_kib (per-pair A-B median)."""

    kind: str
    limit: float
    text: str

    def met(self, row_result):
        value = {
            "ratio": lambda r: r.ratio_median,
            "delta_ms": lambda r: r.delta_median_s * 1000,
            "wall_ms": lambda r: r.a_wall.median * 1000,
            "rss_kib": lambda r: r.a_rss.median,
            "rss_delta_kib": lambda r: statistics.median(
                a.rss_kib - b.rss_kib for a, b in zip(r.a, r.b)),
        }[self.kind](row_result)
        return value <= self.limit


@dataclasses.dataclass
class Row:
    title: str
    a: Case
    b: Case = None  # None: A alone (absolute bars)
    bars: list = dataclasses.field(default_factory=list)
    skip: str = ""  # "not run: <reason>" when the row cannot run here


@dataclasses.dataclass
class Spread:
    median: float
    low: float
    high: float

    @staticmethod
    def of(values):
        values = list(values)
        return Spread(statistics.median(values), min(values), max(values))


@dataclasses.dataclass
class RowResult:
    row: Row
    a: list
    b: list
    error: str = ""

    @property
    def a_wall(self):
        return Spread.of(s.wall_s for s in self.a)

    @property
    def b_wall(self):
        return Spread.of(s.wall_s for s in self.b)

    @property
    def a_rss(self):
        return Spread.of(s.rss_kib for s in self.a)

    @property
    def b_rss(self):
        return Spread.of(s.rss_kib for s in self.b)

    @property
    def ratios(self):
        return Spread.of(a.wall_s / b.wall_s for a, b in zip(self.a, self.b))

    @property
    def cpu_ratios(self):
        return Spread.of(a.cpu_s / b.cpu_s if b.cpu_s else float("inf")
                         for a, b in zip(self.a, self.b))

    @property
    def ratio_median(self):
        return self.ratios.median

    @property
    def delta_median_s(self):
        return statistics.median(a.wall_s - b.wall_s for a, b in zip(self.a, self.b))


def pair_order(index):
    """Which side runs first in pair `index`: A in even pairs, B in odd ones."""
    return ("a", "b") if index % 2 == 0 else ("b", "a")


class CommandFailed(Exception):
    pass


SUMMARY = re.compile(r"floor: .*: ([0-9.]+) s .*, CPU ([0-9.]+) s, peak RSS ([0-9]+) KiB")


def measure(case, floor):
    """Runs the case once under `floor -n 1` (see floor.c for why); returns its Sample or
    raises CommandFailed."""
    if case.prepare:
        case.prepare()
    case.log.unlink(missing_ok=True)
    argv = [floor, "-n", "1", "-o", str(case.log), "--"] + [str(arg) for arg in case.argv]
    child = subprocess.Popen(argv, cwd=case.cwd, env=case.env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    timer = threading.Timer(RUN_TIMEOUT_S, os.killpg, (child.pid, signal.SIGKILL))
    timer.start()
    try:
        summary, why = child.communicate()
    except BaseException:  # the benchmark is being stopped: so is the command
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        raise
    finally:
        timer.cancel()
    if child.returncode != 0:
        why = why.strip().removeprefix("floor: ") or f"killed after {RUN_TIMEOUT_S} s"
        raise CommandFailed(f"{case.label}: `{' '.join(argv[6:])}` in {case.cwd} failed "
                            f"({why}); its output:\n{tail(case.log)}")
    if case.check and (problem := case.check()):
        raise CommandFailed(f"{case.label}: {problem}")
    match = SUMMARY.search(summary)
    if not match:
        raise CommandFailed(f"floor printed no summary: {summary!r}")
    return Sample(float(match[1]), int(match[3]), float(match[2]))


def tail(path, lines=15):
    text = pathlib.Path(path).read_text(errors="replace").splitlines()
    return "\n".join("    " + line for line in text[-lines:])


def run_row(row, pairs, floor, warmed):
    """Runs the row's pairs. A command's first run in the session is a warm-up (page cache,
    first-run files) and is not counted; `warmed` holds the commands already run."""
    result = RowResult(row, [], [])
    try:
        for case in (row.a, row.b) if row.b else (row.a,):
            key = (tuple(map(str, case.argv)), tuple(sorted(case.env.items())))
            if key not in warmed:
                measure(case, floor)
                warmed.add(key)
        for index in range(pairs):
            for side in pair_order(index) if row.b else ("a",):
                getattr(result, side).append(measure(getattr(row, side), floor))
    except CommandFailed as failure:
        result.error = str(failure)
    return result


class Receiver:
    """The independent OTLP receiver of the tests (tests/otlp-receiver, Node), for the runs
    with tracing on; stopped when the benchmark ends."""

    def __init__(self, work):
        self.out = work / "receiver.jsonl"
        port_file = work / "receiver-ports.json"
        self.log = open(work / "receiver.log", "wb")
        self.process = subprocess.Popen(
            ["node", str(REPO / "tests/otlp-receiver/receiver.js"), "--out", str(self.out),
             "--port-file", str(port_file), "--record", "counts"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not port_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise CommandFailed("the OTLP receiver did not start; see " + str(work))
            time.sleep(0.05)
        self.grpc_port = json.loads(port_file.read_text())["grpc"]

    def recorded_bytes(self):
        return self.out.stat().st_size if self.out.exists() else 0

    def spans_since(self, offset):
        """The spans received in the requests recorded after byte `offset` of the out file."""
        if not self.out.exists():
            return 0
        with open(self.out, "rb") as lines:
            lines.seek(offset)
            text = lines.read()
        return sum(json.loads(line)["spanCount"] for line in text.splitlines() if line.strip())

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait()
        self.log.close()


class ReceiverGotSpans:
    """The check of a traced run: the receiver got every span of the run, once (the DAG's and
    one per step)."""

    def __init__(self, receiver, expected):
        self.receiver = receiver
        self.expected = expected
        self.offset = 0

    def mark(self):
        self.offset = self.receiver.recorded_bytes()

    def __call__(self):
        got = self.receiver.spans_since(self.offset)
        if got == self.expected:
            return None
        return f"the OTLP receiver got {got} spans from this run, not {self.expected}"


def step_failure(failure):
    """The line of weft's output that says why a step failed, from a CommandFailed text."""
    output = failure.split("its output:\n", 1)[-1]
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return next((line for line in reversed(lines) if "failed" in line), lines[-1] if lines else
                failure.splitlines()[0])


def unused_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Bench:
    """Builds the rows of one benchmark session in a private work directory."""

    def __init__(self, weft, floor, work, smoke):
        self.weft = str(weft)
        self.floor = str(floor)
        self.work = work
        self.smoke = smoke
        self.receiver = None
        # Run directories of earlier runs, deleted with the work directory at the end.
        self.trash = work / "trash"
        self.trash_count = itertools.count()
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("OTEL_", "MAKE", "MFLAGS"))
                    and k not in ("TRACEPARENT", "TRACESTATE", "WEFT_HOME")}
        self.env["LC_ALL"] = "C"

    def shape_dir(self, fmt, shape_name):
        directory = self.work / "shapes" / fmt / shape_name
        if not directory.exists():
            shapes.write(fmt, shapes.parse(shape_name), directory)
        return directory

    def entry(self, fmt, shape_name):
        directory = self.shape_dir(fmt, shape_name)
        return directory / next(iter(shapes.files(fmt, shapes.parse(shape_name))))

    def weft_case(self, shape_name, label="weft", tracing="off", verb="start"):
        """weft running the shape with tracing off, on (exporting to the live receiver over
        gRPC) or down (exporting to a port nobody listens on)."""
        home = self.work / f"home-{tracing}"
        env = dict(self.env, WEFT_HOME=str(home))
        received = None
        if tracing == "on":
            spans = len(shapes.steps(shapes.parse(shape_name))) + 1
            received = ReceiverGotSpans(self.live_receiver(), spans)
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = f"http://127.0.0.1:{received.receiver.grpc_port}"
        elif tracing == "down":
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = f"http://127.0.0.1:{unused_port()}"

        def prepare():
            # Every run starts from the same state: no old run directories, no spooled spans.
            # They are moved aside, not deleted, until the end: on ext4 without a journal (as
            # here) creating a file scans past every inode deleted in the last 1-6 minutes, so
            # deleting the last run's thousands of log files would bill this run for them.
            for name in ("runs", "spool"):
                if (home / name).exists():
                    self.trash.mkdir(exist_ok=True)
                    (home / name).rename(self.trash / f"{name}-{next(self.trash_count)}")
            if received:
                received.mark()

        argv = [self.weft, verb] + (["--quiet"] if verb == "start" else [])
        argv.append(str(self.entry("weft", shape_name)))
        return Case(label, argv, self.shape_dir("weft", shape_name), env,
                    self.work / "logs" / f"weft-{verb}-{tracing}-{shape_name}.log", prepare,
                    received)

    def live_receiver(self):
        if self.receiver is None:
            self.receiver = Receiver(self.work)
        return self.receiver

    def floor_case(self, count, jobs, out_bytes=None):
        argv = [self.floor, "-n", str(count), "-j", str(jobs)]
        prepare = None
        label = f"floor -j{jobs or count}"
        if out_bytes is not None:
            out = self.work / "floor-out.bin"
            argv += ["-o", str(out), "--", "sh", "-c", f"head -c {out_bytes} /dev/zero"]
            prepare = lambda: out.unlink(missing_ok=True)
            label = "floor `cmd > file`"
        return Case(label, argv, self.work, self.env, self.work / "logs" / "floor.log", prepare)

    def make_case(self, shape_name):
        jobs = shapes.parse(shape_name).jobs
        argv = ["make", "-f", str(self.entry("make", shape_name)), f"-j{jobs}" if jobs else "-j"]
        return Case(f"make {argv[-1]}", argv, self.shape_dir("make", shape_name), self.env,
                    self.work / "logs" / f"make-{shape_name}.log")

    def ninja_case(self, shape_name):
        jobs = shapes.parse(shape_name).jobs
        directory = self.shape_dir("ninja", shape_name)
        argv = ["ninja", "-f", str(self.entry("ninja", shape_name)), f"-j{jobs}"]
        # Outputs are never written, so every run reruns every step; the log is removed anyway
        # so that ninja's bookkeeping stays the same size from run to run.
        prepare = lambda: (directory / ".ninja_log").unlink(missing_ok=True)
        return Case(f"ninja -j{jobs}", argv, directory, self.env,
                    self.work / "logs" / f"ninja-{shape_name}.log", prepare)

    def versus_floor_make_ninja(self, shape_name, count, jobs, floor_bars=()):
        rows = [Row(f"{shape_name}: weft vs floor", self.weft_case(shape_name),
                    self.floor_case(count, jobs), list(floor_bars))]
        rows.append(Row(f"{shape_name}: weft vs make", self.weft_case(shape_name),
                        self.make_case(shape_name)))
        rows.append(Row(f"{shape_name}: weft vs ninja", self.weft_case(shape_name),
                        self.ninja_case(shape_name)))
        return rows

    def nesting_unavailable(self):
        """Why weft cannot run sub-DAGs yet ("" when it can): one nested level as a probe."""
        try:
            measure(self.weft_case("nested-1"), self.floor)
            return ""
        except CommandFailed as failure:
            return "not run: weft cannot run a sub-DAG yet (" + step_failure(str(failure)) + ")"

    def rows(self):
        n = 5 if self.smoke else 1000
        layers, width = (2, 3) if self.smoke else (10, 100)
        big = 1 << 20 if self.smoke else 100 << 20
        small = 1 << 10 if self.smoke else 1 << 20
        levels = 2 if self.smoke else 10
        validate_steps = 100 if self.smoke else 100_000

        chain, layered = f"chain-{n}", f"layered-{layers}x{width}"
        same_width = f"fanout-{layers * width}-m{width}"
        rows = self.versus_floor_make_ninja(
            chain, n, 1, [Bar("ratio", 1.15, "overhead ≤ 15% of the floor")])
        for jobs in (1, 2, 8, 0):
            shape = f"fanout-{n}-m{jobs}" if jobs else f"fanout-{n}"
            bars = [Bar("ratio", 1.20, "≤ 20% above the 2-at-a-time floor")] if jobs == 2 else []
            rows += self.versus_floor_make_ninja(shape, n, jobs, bars)
        rows.append(Row(f"{layered} vs {same_width}: weft vs weft", self.weft_case(layered),
                        self.weft_case(same_width),
                        [Bar("ratio", 1.10, "≤ 10% above a fan-out of the same width")]))
        rows.append(Row(f"{layered}: weft vs make", self.weft_case(layered),
                        self.make_case(layered)))
        rows.append(Row(f"{layered}: weft vs ninja", self.weft_case(layered),
                        self.ninja_case(layered)))
        rows += self.versus_floor_make_ninja("one-step", 1, 1,
                                             [Bar("wall_ms", 10, "< 10 ms without tracing")])

        bigout = f"bigout-{big}"
        rows.append(Row(f"{bigout}: weft vs `cmd > file`", self.weft_case(bigout),
                        self.floor_case(1, 1, out_bytes=big),
                        [Bar("ratio", 1.5, "≤ 1.5× `cmd > file`")]))
        rows.append(Row(f"{bigout}: weft vs make", self.weft_case(bigout),
                        self.make_case(bigout)))
        rows.append(Row(f"{bigout}: weft vs ninja", self.weft_case(bigout),
                        self.ninja_case(bigout)))
        rows.append(Row(f"{bigout} vs bigout-{small}: weft vs weft (memory)",
                        self.weft_case(bigout), self.weft_case(f"bigout-{small}"),
                        [Bar("rss_delta_kib", 2048,
                             "memory does not grow with output (Δ RSS ≤ 2 MiB)")]))

        nested = f"nested-{levels}"
        unavailable = self.nesting_unavailable()
        for runner in (self.make_case, self.ninja_case):
            row = Row(f"{nested}: weft vs {runner.__name__.split('_')[0]}",
                      self.weft_case(nested), runner(nested), skip=unavailable)
            rows.append(row)
        rows.append(Row("nested-1 vs one-step: weft vs weft", self.weft_case("nested-1"),
                        self.weft_case("one-step"),
                        [Bar("delta_ms", 15, "one level of nesting adds ≤ ~15 ms")],
                        skip=unavailable))

        tracing_bar = [Bar("ratio", 1.05, "tracing costs < 5%")]
        for shape in (chain, f"fanout-{n}-m2", layered):
            rows.append(Row(f"{shape}: tracing on vs off",
                            self.weft_case(shape, "weft traced", tracing="on"),
                            self.weft_case(shape), list(tracing_bar)))
        rows.append(Row(f"{chain}: collector down vs tracing off",
                        self.weft_case(chain, "weft, collector down", tracing="down"),
                        self.weft_case(chain),
                        [Bar("delta_ms", 300, "a dead collector adds < 300 ms")]))

        validate = f"chain-{validate_steps}"
        rows.append(Row(f"{validate}: weft validate (load + validate)",
                        self.weft_case(validate, "weft validate", verb="validate"),
                        bars=[Bar("wall_ms", 1000, "< 1 s"),
                              Bar("rss_kib", 2 * validate_steps, "< 2 KiB per step")]))
        return rows

    def close(self):
        if self.receiver:
            self.receiver.stop()


def fmt_time(seconds):
    if seconds >= 10:
        return f"{seconds:.1f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1000:.1f} ms" if seconds < 0.1 else f"{seconds * 1000:.0f} ms"


def fmt_spread(spread, unit=fmt_time):
    return f"{unit(spread.median)} ({unit(spread.low)}–{unit(spread.high)})"


def fmt_mib(kib):
    return f"{kib / 1024:.1f} MiB"


def table(results):
    lines = ["| benchmark | A | B | A wall: median (min–max) | B wall: median (min–max) | "
             "A/B wall per pair: median (min–max) | A/B CPU per pair: median (min–max) | "
             "A peak RSS | B peak RSS | SPEC §8 bar | met |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for result in results:
        row = result.row
        b_label = row.b.label if row.b else "—"
        head = f"| {row.title} | {row.a.label} | {b_label} |"
        bar_text = "; ".join(bar.text for bar in row.bars) or ""
        if row.skip or result.error:
            reason = row.skip or "failed: " + result.error.splitlines()[0]
            lines.append(f"{head} {reason} | | | | | | {bar_text} | — |")
            continue
        if row.b:
            ratio_of = "{:.3f}".format
            b_wall, b_rss = fmt_spread(result.b_wall), fmt_mib(result.b_rss.median)
            ratio = fmt_spread(result.ratios, ratio_of)
            cpu_ratio = fmt_spread(result.cpu_ratios, ratio_of)
        else:
            b_wall = ratio = cpu_ratio = b_rss = "—"
        verdict = ", ".join("yes" if bar.met(result) else "**no**" for bar in row.bars)
        lines.append(f"{head} {fmt_spread(result.a_wall)} | {b_wall} | {ratio} | {cpu_ratio} | "
                     f"{fmt_mib(result.a_rss.median)} | {b_rss} | {bar_text} | "
                     f"{verdict or '—'} |")
    return "\n".join(lines)


def machine_info(pairs, started, load_before, weft_commit):
    cpu = next((line.split(":", 1)[1].strip() for line in
                pathlib.Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kib = int(re.search(r"MemTotal:\s+(\d+)", pathlib.Path("/proc/meminfo").read_text())[1])
    commit = weft_commit or subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True,
        text=True).stdout.strip() or "unknown"

    def version(argv):
        out = subprocess.run(argv, capture_output=True, text=True).stdout.splitlines()
        return out[0] if out else "?"

    minutes = (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds() / 60
    return "\n".join([
        f"- Date: {started:%Y-%m-%d %H:%M} UTC, {minutes:.1f} minutes; weft at `{commit}`; "
        f"{pairs} pairs per row (plus one unrecorded warm-up run of each command).",
        f"- Machine: {cpu}, {os.cpu_count()} cores, {mem_kib / 1024 / 1024:.1f} GiB RAM, "
        f"{platform.system()} {platform.release()}.",
        f"- Load average before / after: {load_before} / {os.getloadavg()[0]:.2f}.",
        f"- {version(['make', '--version'])}; ninja {version(['ninja', '--version'])}; "
        f"{version(['sh', '-c', 'readlink -f /bin/sh'])} as `sh`.",
    ])


def write_report(path, results, info, smoke):
    generated = f"{BEGIN_MARK}\n{info}\n\n{table(results)}\n{END_MARK}\n"
    path = pathlib.Path(path)
    old = path.read_text() if path.exists() and not smoke else ""
    if BEGIN_MARK in old and END_MARK in old:
        before, rest = old.split(BEGIN_MARK, 1)
        after = rest.split(END_MARK, 1)[1].lstrip("\n")
        text = before + generated + ("\n" + after if after else "")
    else:
        text = "# Benchmarks\n\n" + generated if not old else old.rstrip("\n") + "\n\n" + generated
    path.write_text(text)


def main(argv):
    parser = argparse.ArgumentParser(prog="bench/run.sh", description=__doc__.split("\n\n")[0])
    parser.add_argument("--weft", required=True, help="the weft binary")
    parser.add_argument("--floor", required=True, help="the floor binary (bench/floor.c)")
    parser.add_argument("--pairs", type=int, default=None,
                        help="A/B pairs per row (default 3; 1 with --smoke)")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes, one pair; checks that everything runs")
    parser.add_argument("--only", default="", help="run only rows whose title matches this regex")
    parser.add_argument("--out", help="where to write the table (default docs/benchmarks.md; "
                        "with --smoke, printed)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--weft-commit", default="",
                        help="what the weft binary was built from, for the report (default: "
                        "`git describe --dirty` of this checkout)")
    args = parser.parse_args(argv)
    pairs = args.pairs if args.pairs is not None else (1 if args.smoke else 3)
    if pairs < 1:
        parser.error("--pairs wants at least 1")
    for tool in ("make", "ninja", "node", args.weft, args.floor):
        if not shutil.which(tool):
            parser.error(f"{tool} is not an executable here (the benchmarks need make, "
                         "ninja, node and the built weft and floor)")

    # A stopped benchmark still stops the receiver it started (the `finally` below).
    signal.signal(signal.SIGTERM, lambda signo, frame: sys.exit(128 + signo))
    work = pathlib.Path(tempfile.mkdtemp(prefix="weft-bench-"))
    (work / "logs").mkdir()
    out = pathlib.Path(args.out) if args.out else (
        work / "benchmarks.md" if args.smoke else REPO / "docs/benchmarks.md")
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = f"{os.getloadavg()[0]:.2f}"
    bench = Bench(pathlib.Path(args.weft).resolve(), pathlib.Path(args.floor).resolve(), work,
                  args.smoke)
    results = []
    warmed = set()
    try:
        for row in bench.rows():
            if args.only and not re.search(args.only, row.title):
                continue
            print(f"{row.title} ...", end=" ", flush=True)
            result = RowResult(row, [], []) if row.skip else run_row(row, pairs, bench.floor,
                                                                     warmed)
            results.append(result)
            print(row.skip or ("FAILED" if result.error else fmt_spread(result.a_wall)),
                  flush=True)
    except CommandFailed as failure:
        print(f"bench: {failure}\nwork directory kept: {work}", file=sys.stderr)
        return 1
    except SystemExit:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        bench.close()
    info = machine_info(pairs, started, load_before, args.weft_commit)
    write_report(out, results, info, args.smoke)
    if args.smoke and not args.out:
        print(out.read_text())  # the work directory and the table in it go away below
    else:
        print(f"table written to {out}")
    failed = [r for r in results if r.error]
    for result in failed:
        print(f"bench: {result.row.title}: {result.error}", file=sys.stderr)
    if args.keep or failed:
        print(f"work directory kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
