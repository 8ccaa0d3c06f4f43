#!/usr/bin/env bash
# The module graph, enforced: every `#include "hposync/<module>/..."` in src/<m>/ or
# include/hposync/<m>/ must name <m> itself or a module that <m> may depend on. The table
# below is the graph the README draws; change both together. Exit 1 on a violation.
#
#   bash tools/check-module-graph.sh              check this tree
#   bash tools/check-module-graph.sh --self-test  prove the check can fail: plant a
#       forbidden include (common -> protocol) and an unknown module in temporary copies
#       of src/ and include/, expect a failure naming each, and a pass on a clean copy
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--self-test" ]; then
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-module-graph.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/tools"
  cp tools/check-module-graph.sh "$tmp/tools/check-module-graph.sh"
  cp -r src include "$tmp/"
  fail() { echo "check-module-graph --self-test: $*"; exit 1; }
  bash "$tmp/tools/check-module-graph.sh" >"$tmp/clean.log" 2>&1 || fail "a clean copy fails: $(cat "$tmp/clean.log")"
  echo '#include "hposync/protocol/layout.hpp"' >> "$tmp/src/common/ids.cpp"
  if bash "$tmp/tools/check-module-graph.sh" >"$tmp/bad.log" 2>&1; then fail "a planted common -> protocol include passed"; fi
  grep -q "src/common/ids.cpp:.*common may not include protocol" "$tmp/bad.log" || fail "the violation is not named: $(cat "$tmp/bad.log")"
  cp src/common/ids.cpp "$tmp/src/common/ids.cpp"
  mkdir -p "$tmp/src/stray"
  if bash "$tmp/tools/check-module-graph.sh" >"$tmp/stray.log" 2>&1; then fail "an unknown module passed"; fi
  grep -q "src/stray/ is not a module" "$tmp/stray.log" || fail "the unknown module is not named: $(cat "$tmp/stray.log")"
  echo "check-module-graph --self-test: ok (a planted violation and an unknown module both fail)"
  exit 0
fi
declare -A allowed=(
  [common]=""
  [data]="common"
  [engine]="common data"
  [search]="common"
  [protocol]="common engine"
  [trainer]="common engine protocol"
  [orchestration]="common data engine search protocol trainer"
  [report]="common data engine protocol search"
)
bad=0
for dir in src include/hposync; do
  for mdir in "$dir"/*/; do
    m=$(basename "$mdir")
    if [ -z "${allowed[$m]+x}" ]; then
      echo "check-module-graph: $mdir is not a module of the graph (add it to tools/check-module-graph.sh and the README)"
      bad=1; continue
    fi
    while IFS=: read -r file line text; do
      dep=$(sed -E 's#.*"hposync/([a-z_]+)/.*#\1#' <<<"$text")
      [ "$dep" = "$m" ] && continue
      case " ${allowed[$m]} " in *" $dep "*) continue ;; esac
      echo "check-module-graph: $file:$line: $m may not include $dep (allowed: ${allowed[$m]:-nothing})"
      bad=1
    done < <(grep -rnE '#include "hposync/[a-z_]+/' "$mdir" || true)
  done
done
[ $bad -eq 0 ] && echo "check-module-graph: ok (${#allowed[@]} modules, every include follows the graph)"
exit $bad
