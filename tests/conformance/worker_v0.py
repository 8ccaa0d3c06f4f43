#!/usr/bin/env python3
# Run with the project's environment: tools/py tests/conformance/worker_v0.py ...
"""The conformance worker (worker.py) as it would be written to an EARLIER text of
docs/PROTOCOL.md: `hposync-job 1` without the keys added later (study_hash, trainer,
resume_from, init_weights), and "unknown keys are errors": it quarantines every job that
holds one of them (reason file, then rename to jobs/quarantine/), as issue 32 (family 13)
found. tests/e2e/format_versions_e2e_test.cpp runs it beside hpo-worker under hpo-master:
the master sees each job quarantined exactly as it wrote it, takes that as a refusal by
an older worker and writes the job to pending again, so the study still completes with
every result. Usage: as worker.py.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import worker as base  # noqa: E402

LATER_KEYS = {"study_hash", "trainer", "resume_from", "init_weights"}


class EarlierTextWorker(base.Worker):
    def serve(self, jid):
        running = self.p("jobs/running", f"{jid}.job@{self.id}")
        try:
            keys = [k for k, _ in base.parse_kv(open(running).read(), running)]
        except (OSError, ValueError):
            keys = []
        unknown = [k for k in keys if k in LATER_KEYS]
        if not unknown:
            return super().serve(jid)
        os.makedirs(self.p("jobs/quarantine"), exist_ok=True)
        base.write_atomic(self.p("jobs/quarantine", f"{jid}.reason"), f"{running}: unknown key '{unknown[0]}'\n")
        try:
            os.rename(running, self.p("jobs/quarantine", f"{jid}.job"))
        except FileNotFoundError:
            pass
        print(f"{jid}: quarantined: unknown key '{unknown[0]}'", flush=True)
        self.release(0)


if __name__ == "__main__":
    base.Worker = EarlierTextWorker
    base.main()
