#!/usr/bin/env bash
# What the request log costs on the cached path: the same release server answering the same
# cached question, with the request log off (RUST_LOG=warn; metrics stay on, they cannot be
# turned off), on as text and on as JSON, each written to a file as an operator would keep it.
# (At warn a request still keeps its fields, for the warnings logged while it is served, so
# the difference leaves out 1-2% of an answer's instructions; README gives the whole cost.)
# The settings alternate over BENCH_ROUNDS rounds so that a drift of the machine falls on all
# of them alike; the static GET /healthz (logged as well) is measured beside each one. Besides
# req/s it prints the server's CPU time per answer, which a busy machine disturbs far less.
#
#   bash bench/telemetry.sh [path/to/global_oc_index.xlsx]
#
# BENCH_SECONDS (5) per cell, BENCH_ROUNDS (2), BENCH_PORT (18082), BENCH_BIN (a prebuilt
# binary instead of building this tree). Needs Postgres at 127.0.0.1:5432, wrk (installed
# from Debian's packages when missing), curl and python3. Load runs only against 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

DATASET=${1:-${OCINDEX_DATASET:-../shared/data/global_oc_index.xlsx}}
DURATION=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-2}
PORT=${BENCH_PORT:-18082}
DB=ocindex_bench_telemetry
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
URL="http://127.0.0.1:$PORT"
WORK=$(mktemp -d)
SERVER_PID=

trap bench_cleanup EXIT

bench_needs "$DATASET"
bench_binary

bench_fresh_import "$DATASET"

# the country profile of the cached benchmark (bench/run.sh's Q1, without narratives)
cat > "$WORK/q1.json" <<'JSON'
{"query":"{ country(iso3: \"KAZ\") { name scores(edition: 2023) { indicator { slug name } value delta rank rankInContinent rankInRegion } } }"}
JSON
bench_post_lua

start() { # RUST_LOG, OCINDEX_LOG_FORMAT -> a server logging to $WORK/server.log
  OCINDEX_BIND="127.0.0.1:$PORT" OCINDEX_SAMPLE=false RUST_LOG="$1" OCINDEX_LOG_FORMAT="$2" \
    "$BIN" serve 2>"$WORK/server.log" &
  SERVER_PID=$!
  for _ in $(seq 1 100); do curl -fs "$URL/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -fs "$URL/graphql" -H 'Content-Type: application/json' --data @"$WORK/q1.json" | grep -q '"data":{' \
    || { echo "the profile query fails" >&2; exit 1; }
  BODY="$WORK/q1.json" wrk -t1 -c4 -d1s -s "$WORK/post.lua" "$URL/graphql" >/dev/null
}
cpu_ticks() { # the server's user + system CPU time so far, in clock ticks
  awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"
}
stop() {
  kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

declare -A profile healthz lines micros
modes=(off text json)
declare -A filter=([off]=warn [text]=info [json]=info)
declare -A format=([off]=text [text]=text [json]=json)
echo "== cached profile (c=32) and GET /healthz, ${DURATION}s cells, $ROUNDS rounds"
for round in $(seq 1 "$ROUNDS"); do
  for mode in "${modes[@]}"; do
    start "${filter[$mode]}" "${format[$mode]}"
    before=$(cpu_ticks)
    read -r rps _ < <(BODY="$WORK/q1.json" wrk -t2 -c32 -d"${DURATION}s" --latency -s "$WORK/post.lua" "$URL/graphql" | bench_summarize)
    # server CPU per answer: what the log costs whatever else the machine is doing
    cpu=$(python3 -c "print(round(($(cpu_ticks) - $before) * 1e6 / $(getconf CLK_TCK) / ($rps * $DURATION), 1))")
    read -r floor _ < <(wrk -t2 -c32 -d"${DURATION}s" --latency "$URL/healthz" | bench_summarize)
    stop
    profile[$mode]="${profile[$mode]:-} $rps"
    micros[$mode]="${micros[$mode]:-} $cpu"
    healthz[$mode]="${healthz[$mode]:-} $floor"
    lines[$mode]=$(wc -l < "$WORK/server.log")
    echo "   round $round, log $mode: profile $rps req/s ($cpu µs server CPU each), /healthz $floor req/s, ${lines[$mode]} log lines"
  done
done

echo "== request log against none (mean req/s over the rounds)"
python3 - "${profile[off]}" "${profile[text]}" "${profile[json]}" "${micros[off]}" "${micros[text]}" "${micros[json]}" "${healthz[off]}" "${healthz[text]}" "${healthz[json]}" <<'PY'
import sys
mean = lambda s: sum(map(float, s.split())) / len(s.split())
p = [mean(a) for a in sys.argv[1:4]]
u = [mean(a) for a in sys.argv[4:7]]
h = [mean(a) for a in sys.argv[7:10]]
print(f"{'log':<6} {'profile req/s':>14} {'vs off':>8} {'CPU µs/answer':>14} {'vs off':>8} {'/healthz req/s':>15} {'vs off':>8}")
for name, pv, uv, hv in zip(["off", "text", "json"], p, u, h):
    print(f"{name:<6} {pv:>14.0f} {pv / p[0] - 1:>+8.1%} {uv:>14.1f} {uv / u[0] - 1:>+8.1%} {hv:>15.0f} {hv / h[0] - 1:>+8.1%}")
PY
