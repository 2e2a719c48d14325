"""Tests of the shape generators: names, dependency structure and the three file formats."""

import contextlib
import io
import pathlib
import re
import tempfile
import unittest

import shapes


class ParseTest(unittest.TestCase):

    def test_each_form(self):
        self.assertEqual(shapes.parse("chain-7"), shapes.Shape("chain", "chain-7", steps=7, jobs=1))
        self.assertEqual(shapes.parse("fanout-9"), shapes.Shape("fanout", "fanout-9", steps=9))
        self.assertEqual(shapes.parse("fanout-9-m2"),
                         shapes.Shape("fanout", "fanout-9-m2", steps=9, jobs=2))
        self.assertEqual(shapes.parse("layered-3x4"),
                         shapes.Shape("layered", "layered-3x4", steps=12, layers=3, width=4))
        self.assertEqual(shapes.parse("nested-4"),
                         shapes.Shape("nested", "nested-4", levels=4, jobs=1))
        self.assertEqual(shapes.parse("bigout-100"),
                         shapes.Shape("bigout", "bigout-100", out_bytes=100, jobs=1))
        self.assertEqual(shapes.parse("one-step"), shapes.Shape("one-step", "one-step", jobs=1))

    def test_rejects_what_it_cannot_build(self):
        for name, why in (("chain-0", "no steps"), ("fanout-0", "no steps"),
                          ("layered-0x3", "no steps"), ("layered-3x0", "no steps"),
                          ("nested-0", "at least one level"), ("fanout-4-m0", "-m wants"),
                          ("chain", "unknown shape"), ("chain-3x", "unknown shape"),
                          ("ring-3", "expected chain-N")):
            with self.subTest(name=name), self.assertRaisesRegex(ValueError, re.escape(why)):
                shapes.parse(name)


class StepsTest(unittest.TestCase):

    def test_chain_depends_on_the_step_before(self):
        self.assertEqual([(s.name, s.depends) for s in shapes.steps(shapes.parse("chain-3"))],
                         [("s0", ()), ("s1", ("s0",)), ("s2", ("s1",))])

    def test_fanout_steps_are_independent(self):
        body = shapes.steps(shapes.parse("fanout-4-m2"))
        self.assertEqual([s.name for s in body], ["s0", "s1", "s2", "s3"])
        self.assertTrue(all(not s.depends for s in body))

    def test_layered_steps_depend_on_the_whole_layer_before(self):
        body = shapes.steps(shapes.parse("layered-3x2"))
        self.assertEqual([s.name for s in body], ["l0_0", "l0_1", "l1_0", "l1_1", "l2_0", "l2_1"])
        self.assertEqual([s.depends for s in body[:2]], [(), ()])
        self.assertEqual(body[3].depends, ("l0_0", "l0_1"))
        self.assertEqual(body[4].depends, ("l1_0", "l1_1"))
        # 10x100 has (10 - 1) * 100 * 100 = 90,000 edges, as SPEC §8 says.
        edges = sum(len(s.depends) for s in shapes.steps(shapes.parse("layered-10x100")))
        self.assertEqual(edges, 90_000)

    def test_every_step_runs_true_except_bigout(self):
        for name in ("chain-2", "fanout-2", "layered-2x2", "one-step"):
            self.assertEqual({s.command for s in shapes.steps(shapes.parse(name))}, {"true"})
        self.assertEqual([s.command for s in shapes.steps(shapes.parse("bigout-123"))],
                         ["head -c 123 /dev/zero"])

    def test_nested_is_not_flat(self):
        with self.assertRaisesRegex(ValueError, "not flat"):
            shapes.steps(shapes.parse("nested-2"))


class FilesTest(unittest.TestCase):

    def test_weft_dag(self):
        (name, text), = shapes.files("weft", shapes.parse("chain-2")).items()
        self.assertEqual(name, "chain-2.yaml")
        self.assertEqual(text, "name: chain-2\ntype: graph\nshell: sh\nmax_active_steps: 1\n"
                               "steps:\n  - name: s0\n    command: true\n"
                               "  - name: s1\n    depends: [s0]\n    command: true\n")

    def test_weft_max_active_steps_only_when_limited(self):
        limited = shapes.files("weft", shapes.parse("fanout-3-m8"))["fanout-3-m8.yaml"]
        unlimited = shapes.files("weft", shapes.parse("fanout-3"))["fanout-3.yaml"]
        self.assertIn("max_active_steps: 8\n", limited)
        self.assertNotIn("max_active_steps", unlimited)

    def test_makefile_prerequisites_and_recipes(self):
        text = shapes.files("make", shapes.parse("layered-2x2"))["layered-2x2.mk"]
        self.assertIn("all: l0_0 l0_1 l1_0 l1_1\n", text)
        self.assertIn(".PHONY: all l0_0 l0_1 l1_0 l1_1\n", text)
        self.assertIn("l0_0:\n\t@sh -c 'true'\n", text)
        self.assertIn("l1_1: l0_0 l0_1\n\t@sh -c 'true'\n", text)

    def test_ninja_edges(self):
        text = shapes.files("ninja", shapes.parse("chain-2"))["chain-2.ninja"]
        self.assertEqual(text, "rule run\n  command = $cmd\n\nbuild s0: run\n  cmd = true\n"
                               "build s1: run s0\n  cmd = true\n"
                               "build all: phony s0 s1\ndefault all\n")

    def test_nested_levels_call_the_next_one(self):
        shape = shapes.parse("nested-2")
        weft = shapes.files("weft", shape)
        self.assertEqual(list(weft), ["level-0.yaml", "level-1.yaml", "level-2.yaml"])
        self.assertIn("run: level-1\n", weft["level-0.yaml"])
        self.assertIn("run: level-2\n", weft["level-1.yaml"])
        self.assertIn("command: true\n", weft["level-2.yaml"])
        make = shapes.files("make", shape)
        self.assertIn("\t@$(MAKE) -s -f level-1.mk\n", make["level-0.mk"])
        self.assertIn("\t@sh -c 'true'\n", make["level-2.mk"])
        ninja = shapes.files("ninja", shape)
        self.assertIn("cmd = ninja --quiet -f level-2.ninja\n", ninja["level-1.ninja"])
        self.assertIn("cmd = true\n", ninja["level-2.ninja"])

    def test_unknown_format(self):
        with self.assertRaisesRegex(ValueError, "unknown format 'cwl'"):
            shapes.files("cwl", shapes.parse("one-step"))


class WriteTest(unittest.TestCase):

    def test_writes_every_file_and_returns_the_entry(self):
        with tempfile.TemporaryDirectory() as directory:
            target = pathlib.Path(directory) / "new" / "dir"
            entry = shapes.write("weft", shapes.parse("nested-1"), target)
            self.assertEqual(entry, target / "level-0.yaml")
            self.assertEqual(sorted(p.name for p in target.iterdir()),
                             ["level-0.yaml", "level-1.yaml"])

    def test_main_prints_the_entry_and_reports_bad_input(self):
        with tempfile.TemporaryDirectory() as directory:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                self.assertEqual(shapes.main(["shapes.py", "ninja", "one-step", directory]), 0)
            self.assertEqual(out.getvalue().strip(), f"{directory}/one-step.ninja")
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                self.assertEqual(shapes.main(["shapes.py", "ninja", "ring-3", directory]), 2)
                self.assertEqual(shapes.main(["shapes.py", "ninja"]), 2)
            self.assertIn("unknown shape 'ring-3'", err.getvalue())
            self.assertIn("usage: shapes.py FORMAT SHAPE DIR", err.getvalue())


if __name__ == "__main__":
    unittest.main()
