#!/usr/bin/env bash
# One process of bench/search_run.sh: `bash bench/search_one.sh TIMEOUT COMMAND`. Runs
# COMMAND under `timeout`, cut at TIMEOUT seconds or at SEARCH_DEADLINE (Unix seconds, if
# set), whichever comes first; past the deadline it does not start (the table counts the
# complete runs of the traces written so far).
set -u
limit=$1
cmd=$2
if [ -n "${SEARCH_DEADLINE:-}" ]; then
  left=$(( SEARCH_DEADLINE - $(date +%s) ))
  if [ "$left" -le 5 ]; then
    echo "bench-search: past SEARCH_DEADLINE, not started: $cmd" >&2
    exit 0
  fi
  [ "$left" -lt "$limit" ] && limit=$left
fi
exec timeout "$limit" bash -c "$cmd"
