#!/usr/bin/env python3
"""The DAG shapes of the benchmarks, written as weft DAG files, Makefiles and ninja files.

Each shape runs the same processes whichever runner runs it, so that the runners can be
compared with each other and with the floor program (floor.c):

  chain-N        N steps, each depending on the one before
  fanout-N       N independent steps; fanout-N-mM runs at most M at a time (weft's
                 max_active_steps, make/ninja -jM); without -mM there is no limit
  layered-LxW    L layers of W steps; each step depends on every step of the layer before
  nested-K       K levels of sub-DAGs: level i has one step calling level i+1 (`run:` in weft,
                 a recursive make or ninja); the last level runs the command
  bigout-B       one step writing B bytes to stdout
  one-step       one step

Every step runs `true` (bigout: `head -c B /dev/zero`) through `sh -c`, as make and ninja do,
so each step costs one shell like the floor's `sh -c true`. Steps are named s<i> (layered:
l<layer>_<i>).

usage: shapes.py FORMAT SHAPE DIR   writes the files into DIR and prints the entry file's path
"""

import dataclasses
import pathlib
import re
import sys

FORMATS = ("weft", "make", "ninja")
TRUE_COMMAND = "true"


@dataclasses.dataclass(frozen=True)
class Shape:
    """A parsed shape name. `jobs` is how many steps may run at once (0 = no limit)."""

    kind: str
    name: str
    steps: int = 1
    jobs: int = 0
    layers: int = 0
    width: int = 0
    levels: int = 0
    out_bytes: int = 0


def parse(name):
    """The Shape a name describes; ValueError naming what is wrong otherwise."""
    if name == "one-step":
        return Shape("one-step", name, jobs=1)
    if match := re.fullmatch(r"chain-(\d+)", name):
        shape = Shape("chain", name, steps=int(match[1]), jobs=1)
    elif match := re.fullmatch(r"fanout-(\d+)(?:-m(\d+))?", name):
        if match[2] is not None and int(match[2]) < 1:
            raise ValueError(f"shape {name!r}: -m wants at least 1 (leave it out for no limit)")
        shape = Shape("fanout", name, steps=int(match[1]), jobs=int(match[2] or 0))
    elif match := re.fullmatch(r"layered-(\d+)x(\d+)", name):
        layers, width = int(match[1]), int(match[2])
        shape = Shape("layered", name, steps=layers * width, layers=layers, width=width)
    elif match := re.fullmatch(r"nested-(\d+)", name):
        shape = Shape("nested", name, levels=int(match[1]), jobs=1)
        if shape.levels < 1:
            raise ValueError(f"shape {name!r} needs at least one level")
    elif match := re.fullmatch(r"bigout-(\d+)", name):
        shape = Shape("bigout", name, out_bytes=int(match[1]), jobs=1)
    else:
        raise ValueError(f"unknown shape {name!r}; expected chain-N, fanout-N, fanout-N-mM, "
                         "layered-LxW, nested-K, bigout-B or one-step")
    if shape.steps < 1:
        raise ValueError(f"shape {name!r} has no steps")
    return shape


@dataclasses.dataclass(frozen=True)
class Step:
    name: str
    command: str
    depends: tuple = ()


def steps(shape):
    """The steps of a flat shape (every kind but nested), in file order."""
    if shape.kind == "chain":
        return [Step(f"s{i}", TRUE_COMMAND, (f"s{i - 1}",) if i else ())
                for i in range(shape.steps)]
    if shape.kind == "fanout":
        return [Step(f"s{i}", TRUE_COMMAND) for i in range(shape.steps)]
    if shape.kind == "layered":
        result = []
        for layer in range(shape.layers):
            before = tuple(f"l{layer - 1}_{i}" for i in range(shape.width)) if layer else ()
            result += [Step(f"l{layer}_{i}", TRUE_COMMAND, before) for i in range(shape.width)]
        return result
    if shape.kind == "bigout":
        return [Step("s0", f"head -c {shape.out_bytes} /dev/zero")]
    if shape.kind == "one-step":
        return [Step("s0", TRUE_COMMAND)]
    raise ValueError(f"shape {shape.name!r} is not flat")


def _weft_dag(name, body, max_active_steps):
    lines = [f"name: {name}", "type: graph", "shell: sh"]
    if max_active_steps:
        lines.append(f"max_active_steps: {max_active_steps}")
    lines.append("steps:")
    for step in body:
        lines.append(f"  - name: {step.name}")
        if step.depends:
            lines.append(f"    depends: [{', '.join(step.depends)}]")
        lines.append(f"    command: {step.command}")
    return "\n".join(lines) + "\n"


def _makefile(body):
    names = " ".join(step.name for step in body)
    # No built-in rules to search for; every target is phony so make never stats a file.
    lines = ["MAKEFLAGS += -r", ".SUFFIXES:", f".PHONY: all {names}", f"all: {names}"]
    for step in body:
        lines.append(f"{step.name}: {' '.join(step.depends)}".rstrip())
        # `sh -c` spelled out: make would exec a plain `true` without any shell.
        lines.append(f"\t@sh -c '{step.command}'")
    return "\n".join(lines) + "\n"


def _ninja_file(body):
    lines = ["rule run", "  command = $cmd", ""]
    for step in body:
        inputs = "".join(f" {name}" for name in step.depends)
        lines += [f"build {step.name}: run{inputs}", f"  cmd = {step.command}"]
    lines += [f"build all: phony {' '.join(step.name for step in body)}", "default all"]
    return "\n".join(lines) + "\n"


def _nested_files(fmt, shape):
    """level-0 (the entry) to level-K; level i < K has one step calling level i+1."""
    result = {}
    for level in range(shape.levels + 1):
        last = level == shape.levels
        if fmt == "weft":
            action = f"command: {TRUE_COMMAND}" if last else f"run: level-{level + 1}"
            result[f"level-{level}.yaml"] = (f"name: level-{level}\nshell: sh\nsteps:\n"
                                             f"  - name: s0\n    {action}\n")
        elif fmt == "make":
            recipe = f"sh -c '{TRUE_COMMAND}'" if last else f"$(MAKE) -s -f level-{level + 1}.mk"
            result[f"level-{level}.mk"] = f"MAKEFLAGS += -r\n.PHONY: all\nall:\n\t@{recipe}\n"
        else:
            command = TRUE_COMMAND if last else f"ninja --quiet -f level-{level + 1}.ninja"
            result[f"level-{level}.ninja"] = _ninja_file([Step("s0", command)])
    return result


def files(fmt, shape):
    """{file name: text} of the shape in FORMAT; the entry file comes first."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if shape.kind == "nested":
        return _nested_files(fmt, shape)
    body = steps(shape)
    if fmt == "weft":
        return {f"{shape.name}.yaml": _weft_dag(shape.name, body, shape.jobs)}
    if fmt == "make":
        return {f"{shape.name}.mk": _makefile(body)}
    return {f"{shape.name}.ninja": _ninja_file(body)}


def write(fmt, shape, directory):
    """Writes the shape's files into `directory` (created); returns the entry file's path."""
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = files(fmt, shape)
    for name, text in written.items():
        (directory / name).write_text(text)
    return directory / next(iter(written))


def main(argv):
    if len(argv) != 4:
        sys.stderr.write("usage: " + __doc__.split("usage: ")[1])
        return 2
    try:
        print(write(argv[1], parse(argv[2]), argv[3]))
    except (ValueError, OSError) as error:
        sys.stderr.write(f"shapes.py: {error}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
