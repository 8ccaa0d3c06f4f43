"""hposync's key = value text format in Python: the one reader and writer of trainers/,
bench/ and tests/ (the C++ one is common/keyvalue; docs/PROTOCOL.md, section 2).

    import hposync_keyvalue as kv
    job = kv.read("job.job")                 # {"format": ..., "lr": "0.01", ...}
    text = kv.to_text([("status", "ok"), ("steps", 420)])   # "status = ok\nsteps = 420\n"

The rules, as the C++ reader applies them: blank lines are skipped; a line whose first
non-blank character is '#' is a comment; otherwise `key = value`, both trimmed; in the
value a '#' that is first or follows a space or tab starts a comment (`a#b` stays);
keys are [A-Za-z0-9_.-], 1..128 characters; a duplicate key, a line without '=', a NUL
byte or a line longer than 64 KiB is an error naming the source and line. Standard
library only.
"""

import math
import re

MAX_LINE = 64 * 1024
_KEY = re.compile(r"[A-Za-z0-9_.-]{1,128}\Z")
# parse_double's grammar (common/keyvalue.cpp): optional '+' or '-', digits with an
# optional '.', or a '.' then digits; an optional exponent. No hex, no inf/nan, no spaces.
_NUMBER = re.compile(r"[+]?-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z")
_INTEGER = re.compile(r"[+]?-?\d+\Z")


class KeyValueError(ValueError):
    pass


def _strip_comment(value):
    for i, c in enumerate(value):
        if c == "#" and (i == 0 or value[i - 1] in " \t"):
            return value[:i].strip()
    return value


def parse(text, source):
    """The (key, value, line) entries of `text`, in file order; KeyValueError naming
    `source` and the line for a malformed line or a duplicate key."""
    if "\0" in text:
        line = text[: text.index("\0")].count("\n") + 1
        raise KeyValueError(f"{source}:{line}: NUL byte in file")
    entries, seen = [], {}
    for n, raw in enumerate(text.split("\n"), 1):
        if len(raw.encode("utf-8", "surrogateescape")) > MAX_LINE:
            raise KeyValueError(f"{source}:{n}: line longer than {MAX_LINE} bytes")
        line = raw.strip(" \t\r\f\v")
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise KeyValueError(f"{source}:{n}: expected 'key = value', got {line!r}")
        key, value = line.split("=", 1)
        key, value = key.strip(" \t\r"), _strip_comment(value.strip(" \t\r"))
        if not _KEY.match(key):
            raise KeyValueError(f"{source}:{n}: invalid key {key!r} (letters, digits, '_', '.', '-' only)")
        if key in seen:
            raise KeyValueError(f"{source}:{n}: duplicate key '{key}' (first on line {seen[key]})")
        seen[key] = n
        entries.append((key, value, n))
    return entries


def parse_dict(text, source):
    return {k: v for k, v, _ in parse(text, source)}


def read(path):
    """The file's keys and values as a dict (file order)."""
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return parse_dict(f.read(), path)


def value_text(v):
    """A value as the C++ writer writes it: true/false, shortest round-trip numbers,
    inf / -inf / nan."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        text = repr(v)  # shortest round trip, as format_double; "0", not "0.0"
        return text[:-2] if text.endswith(".0") else text
    return str(v)


def line(key, value):
    """`key = value\\n` as KeyValueWriter::add writes it: newlines, CR and NUL become
    spaces, a '#' first or after a space or tab becomes '?' (it would start a comment)."""
    if not _KEY.match(key):
        raise KeyValueError(f"invalid key {key!r}")
    out = []
    for c in value_text(value):
        prev = out[-1] if out else " "
        if c in "\n\r\0":
            out.append(" ")
        elif c == "#" and prev in " \t":
            out.append("?")
        else:
            out.append(c)
    return f"{key} = {''.join(out)}\n"


def to_text(pairs):
    return "".join(line(k, v) for k, v in pairs)


def as_bool(text):
    """true/false, yes/no, 1/0, on/off, lower case only (as the C++ reader)."""
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off"):
        return False
    raise KeyValueError(f"expected true/false, got {text!r}")


def as_number(text, metric=False):
    """A finite number in the one grammar (+0.5, .5 and 5. are numbers); with `metric`
    also inf, -inf and nan."""
    if metric and text in ("inf", "-inf", "nan", "-nan"):
        return float(text.lstrip("-")) * (-1 if text == "-inf" else 1)
    if not _NUMBER.match(text) or text.startswith("+-"):
        raise KeyValueError(f"not a number: {text!r}")
    v = float(text)
    if not math.isfinite(v):
        raise KeyValueError(f"number out of range: {text!r}")
    return v


def as_integer(text):
    if not _INTEGER.match(text) or text.startswith("+-"):
        raise KeyValueError(f"not an integer: {text!r}")
    return int(text)
