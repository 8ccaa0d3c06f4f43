#!/usr/bin/env bash
# Regenerates the key tables of docs/PROTOCOL.md from the code's tables: every block
#   <!-- generated: hpo-train --schema markdown:KIND -->
#   ...
#   <!-- end generated -->
# is replaced by that command's output. Usage: tools/protocol-tables.sh [BIN_DIR]
# (default build/bin). Unit tests (protocol_schema_test, result_fields_test,
# protocol_job_schema_test) fail when the document and the tables differ.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-build/bin}/hpo-train"
[ -x "$bin" ] || { echo "protocol-tables: no $bin (make first)" >&2; exit 1; }
doc=docs/PROTOCOL.md
tmp=$(mktemp "$doc.XXXXXX")
trap 'rm -f "$tmp"' EXIT
awk -v bin="$bin" '
  /^<!-- generated: hpo-train --schema markdown:[a-z-]+ -->$/ {
    print
    kind = $0; sub(/.*markdown:/, "", kind); sub(/ -->$/, "", kind)
    cmd = bin " --schema markdown:" kind
    while ((cmd | getline line) > 0) print line
    if (close(cmd) != 0) { print "protocol-tables: " cmd " failed" > "/dev/stderr"; exit 1 }
    skipping = 1
    next
  }
  /^<!-- end generated -->$/ { skipping = 0 }
  !skipping { print }
' "$doc" >"$tmp"
cat "$tmp" >"$doc"
echo "protocol-tables: $doc regenerated from $bin"
