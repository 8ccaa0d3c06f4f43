#!/usr/bin/env python3
# Run with the project's environment: tools/py bench/splice_section.py ...
"""Replaces one section of a markdown file in place, keeping every other section.

    splice_section.py NAME FILE < new-section-text

The section is the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->`; if the file
has no such markers, the section is appended. Each benchmark of `make bench` (engine,
scale, portability) owns one section of bench/results.md, so rerunning one of them
never drops the figures of the others.
"""
import os
import sys


def splice(text, name, body):
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    new = f"{begin}\n{body.strip(chr(10))}\n\n{end}\n"
    b, e = text.find(begin), text.find(end)
    if b >= 0 and e > b:
        rest = text[e + len(end):].lstrip("\n")
        return text[:b] + new + ("\n" + rest if rest else "")
    if not text.strip():
        return new
    return text.rstrip("\n") + "\n\n" + new


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: splice_section.py NAME FILE < section")
    name, path = sys.argv[1], sys.argv[2]
    text = open(path).read() if os.path.exists(path) else ""
    out = splice(text, name, sys.stdin.read())
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(out)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
