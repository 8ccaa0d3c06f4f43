#!/usr/bin/env python3
# Run with the project's environment: tools/py tests/conformance/worker_v2.py ...
"""The conformance worker (worker.py) as a worker of a NEWER job format would be: it reads
`hposync-job 1`, `hposync-job 2` and a hypothetical `hposync-job 3` (the same keys, a later
version: tests/e2e/format_versions_e2e_test.cpp writes it), and
follows the version rule of docs/PROTOCOL.md "Format versions": a job of a version it does
not know is left in pending/ untouched (looked at before claiming, like the trainer key)
or, if one slips through, renamed back to pending/ unchanged; never quarantined.

tests/e2e/format_versions_e2e_test.cpp runs it beside hpo-worker (which reads version 1
only) on a study directory holding jobs of both versions: every job gets its result, none
is quarantined, and hpo-worker hands the newer ones back. Usage: as worker.py.
"""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import worker as base  # noqa: E402

KNOWN = ("hposync-job 1", "hposync-job 2", "hposync-job 3")  # 3: hypothetical (tests/e2e/format_versions)


def job_format(path):
    """The job file's format value, or None if it cannot be read (the claim decides)."""
    try:
        return dict(base.parse_kv(open(path).read(), path)).get("format")
    except (OSError, ValueError):
        return None


class VersionedWorker(base.Worker):
    def claim(self):
        names = sorted(n for n in os.listdir(self.p("jobs/pending")) if n.endswith(".job") and not n.startswith("."))
        if not names:
            return None
        start = random.randrange(len(names))
        for name in names[start:] + names[:start]:
            fmt = job_format(self.p("jobs/pending", name))
            if fmt is not None and fmt not in KNOWN:
                continue  # a newer job: left untouched for a worker that knows it
            try:
                os.rename(self.p("jobs/pending", name), self.p("jobs/running", f"{name[:-4]}.job@{self.id}"))
            except FileNotFoundError:
                continue  # another worker won
            with self.lock:
                self.held = name[:-4]
            self.beat()
            return name[:-4]
        return None

    def serve(self, jid):
        running = self.p("jobs/running", f"{jid}.job@{self.id}")
        fmt = job_format(running)
        if fmt is not None and fmt not in KNOWN and fmt.startswith("hposync-job "):
            os.rename(running, self.p("jobs/pending", f"{jid}.job"))  # back, unchanged
            print(f"{jid}: handed back untouched: format '{fmt}' is newer than this worker", flush=True)
            return self.release(0)
        return super().serve(jid)


if __name__ == "__main__":
    base.Worker = VersionedWorker
    base.main()
