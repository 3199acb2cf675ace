#!/usr/bin/env python3
"""Runs README.md's examples in order, as a new user would after the set-up, at small sizes.

    tests/readme_examples.py README.md BUILD_DIR [--full]

Every line of a ```sh block that starts with build/apps/hebb is a command (a trailing backslash
continues it). A comment on a command may say "(test: --flag value ...)": the test gives those flags
those values (adding the ones the command lacks), so the example runs in seconds; --full runs the
commands as written. They run one after another in a scratch folder whose build/ is BUILD_DIR, so an
example finds what the ones before it wrote, as in the README; each must exit 0. Prints each command,
how long it took and the end of what it printed.
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

from markdown_blocks import fenced_blocks

MARK = re.compile(r"\(test: ([^)]*)\)")


def commands(readme):
    """(command words, test flags) for each build/apps/hebb line of README's sh blocks, in order."""
    out = []
    for lang, text in fenced_blocks(readme):
        if lang != "sh":
            continue
        for line in text.replace("\\\n", " ").split("\n"):  # a trailing backslash continues a line
            if not line.startswith("build/apps/hebb"):
                continue
            code, _, comment = line.partition("#")
            mark = MARK.search(comment)
            out.append((shlex.split(code), shlex.split(mark.group(1)) if mark else []))
    return out


def with_flags(words, flags):
    """words with each --flag in flags set to the value after it (or added, when words lack it)."""
    words = list(words)
    i = 0
    while i < len(flags):
        flag = flags[i]
        value = flags[i + 1] if i + 1 < len(flags) and not flags[i + 1].startswith("--") else None
        i += 2 if value is not None else 1
        if flag in words:
            at = words.index(flag)
            if value is not None:
                words[at + 1] = value
        else:
            words += [flag] + ([value] if value is not None else [])
    return words


def main():
    readme, build = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    full = "--full" in sys.argv[3:]
    examples = commands(readme)
    if len(examples) < 5:
        print(f"{readme}: found {len(examples)} build/apps/hebb commands; expected the README's examples")
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        os.symlink(build, os.path.join(scratch, "build"))
        for n, (words, flags) in enumerate(examples, 1):
            run = words if full else with_flags(words, flags)
            print(f"\n[{n}/{len(examples)}] $ {shlex.join(run)}", flush=True)
            start = time.monotonic()
            done = subprocess.run(run, cwd=scratch, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            lines = done.stdout.rstrip("\n").split("\n")
            # The result lines, wherever they are, then the end.
            shown = [l for l in lines[:-6] if re.match(r"(test )?accuracy \d|\| (parameters|test accuracy) ", l)]
            print("\n".join("    " + l for l in shown + lines[-6:]))
            print(f"    exit {done.returncode} in {time.monotonic() - start:.1f} s", flush=True)
            if done.returncode != 0:
                print(f"README example {n} failed: {shlex.join(run)}")
                return 1
    print(f"\nall {len(examples)} README examples ran")
    return 0


if __name__ == "__main__":
    sys.exit(main())
