#!/usr/bin/env bash
# The module graph, enforced: every `#include "hposync/<module>/..."` in src/<m>/ or
# include/hposync/<m>/ must name <m> itself or a module that <m> may depend on. The table
# below is the graph the README draws; change both together. Exit 1 on a violation.
set -euo pipefail
cd "$(dirname "$0")/.."
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
