#!/usr/bin/env python3
"""Checks docs/tutorial.md and README.md against examples/, and runs the examples.

    tests/tutorial_test.py SOURCE_ROOT BUILD_ROOT

A tutorial code block whose first line names a file ("// examples/autograd.cpp", "# examples/x.py")
must hold exactly that file; the next ```text block is what the program prints: every line must
match, numbers to within 5 % (or 0.05), since another build may round differently. README.md's C++
block must be examples/readme.cpp. The programs run in order in one scratch folder (a later one may
read what an earlier one wrote); a Python program runs only where a python3 with torch is found (else it is
reported as not run). Exits 1 on the first difference.
"""
import os
import re
import subprocess
import sys
import tempfile

from markdown_blocks import fenced_blocks

NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def same_output(expected, actual):
    """None when actual matches expected line by line (numbers within 5 % or 0.05), else why not."""
    want, got = expected.rstrip("\n").split("\n"), actual.rstrip("\n").split("\n")
    if len(want) != len(got):
        return f"{len(got)} lines printed, {len(want)} expected"
    for w, g in zip(want, got):
        if NUMBER.sub("#", w) != NUMBER.sub("#", g):
            return f"printed {g!r}, expected {w!r}"
        for a, b in zip(NUMBER.findall(w), NUMBER.findall(g)):
            if abs(float(a) - float(b)) > max(0.05, 0.05 * abs(float(a))):
                return f"printed {g!r}, expected {w!r} ({b} is not {a})"
    return None


def main():
    source, build = map(os.path.abspath, sys.argv[1:3])
    # This interpreter, or Debian's (python3-torch), whichever has torch.
    torch_python = next((p for p in (sys.executable, "/usr/bin/python3")
                         if os.path.exists(p) and subprocess.run([p, "-c", "import torch"], capture_output=True).returncode == 0),
                        None)
    tutorial = fenced_blocks(os.path.join(source, "docs", "tutorial.md"))
    programs = []  # (file, expected output)
    for i, (lang, text) in enumerate(tutorial):
        first, _, body = text.partition("\n")
        named = re.fullmatch(r"(?://|#) (examples/\S+)", first.strip())
        if lang not in ("cpp", "python") or not named:
            continue
        path = os.path.join(source, named.group(1))
        if not os.path.exists(path) or open(path, encoding="utf-8").read() != body:
            print(f"docs/tutorial.md block {i + 1} is not {named.group(1)} as it is; copy the file into it")
            return 1
        expected = tutorial[i + 1][1] if i + 1 < len(tutorial) and tutorial[i + 1][0] == "text" else None
        if expected is None:
            print(f"docs/tutorial.md: {named.group(1)} has no ```text block of its output after it")
            return 1
        programs.append((named.group(1), expected))
    readme = [text for lang, text in fenced_blocks(os.path.join(source, "README.md")) if lang == "cpp"]
    if len(readme) != 1 or readme[0] != open(os.path.join(source, "examples", "readme.cpp"), encoding="utf-8").read():
        print("README.md's C++ block is not examples/readme.cpp as it is")
        return 1
    programs.append(("examples/readme.cpp", None))
    if len(programs) < 5:
        print(f"docs/tutorial.md shows {len(programs) - 1} example programs; expected the tutorial's")
        return 1

    with tempfile.TemporaryDirectory() as scratch:
        for name, expected in programs:
            stem = os.path.splitext(os.path.basename(name))[0]
            if name.endswith(".py"):
                if torch_python is None:
                    print(f"{name}: not run (python3 has no torch here; apt-get install python3-torch)")
                    continue
                command = [torch_python, os.path.join(source, name)]
            else:
                command = [os.path.join(build, "examples", stem)]
            done = subprocess.run(command, cwd=scratch, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            print(f"$ {name}\n{done.stdout}", end="" if done.stdout.endswith("\n") else "\n")
            if done.returncode != 0:
                print(f"{name} exited {done.returncode}")
                return 1
            why = same_output(expected, done.stdout) if expected is not None else (
                None if "test accuracy" in done.stdout else "no test accuracy printed")
            if why:
                print(f"{name}: {why}")
                return 1
    print(f"{len(programs)} programs of docs/tutorial.md and README.md are examples/ as they are, and print what they show")
    return 0


if __name__ == "__main__":
    sys.exit(main())
