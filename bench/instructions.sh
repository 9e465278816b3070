#!/usr/bin/env bash
# What one request costs the server, in CPU instructions counted by valgrind's callgrind.
# Unlike req/s or CPU time, the count does not move with whatever else the machine is doing,
# so two binaries (two commits) compare exactly, one after the other, even on a busy machine.
#
#   BENCH_BIN=path/to/ocindex [BENCH_BASE=path/to/an/older/ocindex] bash bench/instructions.sh [xlsx]
#
# For each binary the server runs under callgrind on its own fresh import of the official dataset.
# Each question is asked 20 times to warm the server up, the counters are zeroed, the question
# is asked BENCH_REQUESTS (default 50) times more, one at a time, and the counters dumped:
# instructions per request = the dump's total / BENCH_REQUESTS (every thread of the server
# counts, background work included). The uncached questions carry an admin token, which the
# answer cache never answers: the ranking of 193 with continent and resilience, a "changed by
# more than T since 2021" question and the one-country lookup (history.sh's questions); the
# country profile is asked anonymously, answered from the cache. Postgres' share is not
# counted here: history.sh measures it. BENCH_LOG (default warn) is the server's RUST_LOG and
# BENCH_LOG_FORMAT (default text) its OCINDEX_LOG_FORMAT: the request log's cost is the
# difference between BENCH_LOG=info and warn. Its lines go to a file; requests come one at a
# time, so the log's writer thread wakes for nearly every line (under load it writes blocks).
# A run's count moves by a few thousand instructions per request from one run to the next
# (whether a connection's read buffer grows in place or is copied, background ticks): compare
# small differences over several runs.
# Needs valgrind (with callgrind_control), curl and Postgres at 127.0.0.1:5432; all traffic
# goes to 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

DATASET=${1:-${OCINDEX_DATASET:-../shared/data/global_oc_index.xlsx}}
REQUESTS=${BENCH_REQUESTS:-50}
PORT=${BENCH_PORT:-18083}
DB=ocindex_bench_instructions
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
URL="http://127.0.0.1:$PORT"
TOKEN="bench-$(date +%s%N)"
WORK=$(mktemp -d)
SERVER_PID=

trap bench_cleanup EXIT

[ -f "$DATASET" ] || { echo "dataset not found: $DATASET" >&2; exit 1; }
command -v callgrind_control >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
bench_binary
binaries=("$BIN")
[ -n "${BENCH_BASE:-}" ] && binaries=("$BENCH_BASE" "$BIN")


cat > "$WORK/ranking.json" <<'JSON'
{"query":"{ ranking(indicator: \"criminality\", edition: 2023, first: 200) { nodes { rank value country { name continent score(indicator: \"resilience\", edition: 2023) { value } } } } }"}
JSON
cat > "$WORK/threshold.json" <<'JSON'
{"query":"{ scoreChanges(indicator: \"synthetic-drug-trade\", from: 2021, to: 2023, change: { gt: 0.5 }, first: 200) { totalCount nodes { country { iso3 } change } } }"}
JSON
cat > "$WORK/lookup.json" <<'JSON'
{"query":"{ country(iso3: \"KGZ\") { name region(edition: 2023) } }"}
JSON
cat > "$WORK/profile.json" <<'JSON'
{"query":"{ country(iso3: \"KAZ\") { name scores(edition: 2023) { indicator { slug name } value delta rank rankInContinent rankInRegion } } }"}
JSON
questions=(ranking:admin threshold:admin lookup:admin profile:anonymous)

ask() { # question who
  local auth=()
  [ "$2" = admin ] && auth=(-H "Authorization: Bearer $TOKEN")
  curl -fs "$URL/graphql" -H 'Content-Type: application/json' "${auth[@]}" --data @"$WORK/$1.json"
}

declare -A COUNT
for bin in "${binaries[@]}"; do
  # each binary on a database of its own making: an older one refuses a newer one's migrations
  BIN=$bin bench_fresh_import "$DATASET"
  OCINDEX_BIND="127.0.0.1:$PORT" OCINDEX_ADMIN_TOKEN="$TOKEN" OCINDEX_SAMPLE=false RUST_LOG="${BENCH_LOG:-warn}" \
    OCINDEX_LOG_FORMAT="${BENCH_LOG_FORMAT:-text}" valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.%p" "$bin" serve 2>"$WORK/server.log" &
  SERVER_PID=$!
  for _ in $(seq 1 600); do curl -fs "$URL/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  for spec in "${questions[@]}"; do
    q=${spec%%:*} who=${spec##*:}
    ask "$q" "$who" | grep -q '"data":{' || { echo "$q fails on $bin" >&2; exit 1; }
    for _ in $(seq 1 20); do ask "$q" "$who" >/dev/null; done
    callgrind_control -z "$SERVER_PID" >/dev/null 2>&1
    for _ in $(seq 1 "$REQUESTS"); do ask "$q" "$who" >/dev/null; done
    callgrind_control -d "$SERVER_PID" >/dev/null 2>&1
    dump=$(ls -t "$WORK"/callgrind."$SERVER_PID".* | head -n 1)
    total=$(sed -nE 's/^(summary|totals): ([0-9]+).*/\2/p' "$dump" | head -n 1)
    COUNT[$bin:$q]=$(( total / REQUESTS ))
    rm -f "$WORK"/callgrind."$SERVER_PID".*
  done
  kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
done

echo "== server instructions per request (${REQUESTS} requests each, callgrind)"
if [ ${#binaries[@]} -eq 2 ]; then
  printf '%-32s %14s %14s %7s\n' question base this ratio
  for spec in "${questions[@]}"; do
    q=${spec%%:*}
    base=${COUNT[$BENCH_BASE:$q]} this=${COUNT[$BIN:$q]}
    printf '%-32s %14s %14s %7s\n' "$q (${spec##*:})" "$base" "$this" \
      "$(python3 -c "print(f'{$this / $base:.2f}')")"
  done
else
  for spec in "${questions[@]}"; do
    q=${spec%%:*}
    printf '%-32s %14s\n' "$q (${spec##*:})" "${COUNT[$BIN:$q]}"
  done
fi
