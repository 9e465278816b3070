#!/usr/bin/env bash
# Benchmark of the four flagship queries against the release server over the official data,
# with the floors measured in the same run: the equivalent SQL through pgbench, and a static
# response of the server's own stack (GET /healthz).
#
#   bash bench/run.sh [path/to/global_oc_index.xlsx]
#
# Settings: BENCH_SECONDS (10) per cell, BENCH_PORT (18080), BENCH_BIN (a prebuilt binary
# instead of building this tree), BENCH_LOG (the server's RUST_LOG, default warn) and
# BENCH_SERVER_LOG (where its log goes, default nowhere).
#
# Needs Postgres at 127.0.0.1:5432 (user postgres), wrk (installed from Debian's packages
# when missing) and pgbench. Load runs only against 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

DATASET=${1:-${OCINDEX_DATASET:-../shared/data/global_oc_index.xlsx}}
# country pages of the 2023 edition, so that Q1 shows narratives (skipped when absent)
NARRATIVES=${BENCH_NARRATIVES:-../shared/seeds/000_34da6d184f89e517.txt}
DURATION=${BENCH_SECONDS:-10}
PORT=${BENCH_PORT:-18080}
DB=ocindex_bench
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
URL="http://127.0.0.1:$PORT"
TOKEN="bench-$(date +%s%N)"
WORK=$(mktemp -d)
SERVER_PID=

trap bench_cleanup EXIT

bench_needs "$DATASET" pgbench

bench_binary

echo "== importing the official dataset into a fresh database"
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
OCINDEX_SAMPLE=false "$BIN" migrate >/dev/null 2>&1
/usr/bin/time -f "import: %e s wall, %M KiB max RSS" "$BIN" import "$DATASET" 2>&1 | grep -E "composites|figures|time|import:"
if [ -f "$NARRATIVES" ]; then
  "$BIN" import-narratives "$NARRATIVES" --edition 2023 2>/dev/null | grep -E "^countries|^result" || true
fi

echo "== starting the server"
# warn by default: the request log (info) is measured on its own with BENCH_LOG=info
OCINDEX_BIND="127.0.0.1:$PORT" OCINDEX_ADMIN_TOKEN="$TOKEN" OCINDEX_SAMPLE=false \
  RUST_LOG=${BENCH_LOG:-warn} "$BIN" serve 2>"${BENCH_SERVER_LOG:-/dev/null}" &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -fs "$URL/readyz" >/dev/null 2>&1 && break; sleep 0.1; done

# The four flagship queries, as JSON bodies.
cat > "$WORK/q1.json" <<'JSON'
{"query":"{ country(iso3: \"KAZ\") { name scores(edition: 2023) { indicator { slug name } value delta rank rankInContinent rankInRegion } narratives(edition: 2023) { heading body } } }"}
JSON
cat > "$WORK/q2.json" <<'JSON'
{"query":"{ scoreChanges(indicator: \"synthetic-drug-trade\", from: 2021, to: 2023, change: { gt: 0 }, orderBy: CHANGE_DESC, first: 200) { totalCount nodes { country { iso3 name } fromValue toValue change } } }"}
JSON
cat > "$WORK/q3.json" <<'JSON'
{"query":"{ ranking(indicator: \"criminality\", edition: 2023, first: 200) { totalCount nodes { rank value delta country { name continent } } } }"}
JSON
cat > "$WORK/q4.json" <<'JSON'
{"query":"{ country(iso3: \"KGZ\") { name region } }"}
JSON
# Q1 without narratives where the server has no narratives yet
if ! curl -fs "$URL/graphql" -H 'Content-Type: application/json' --data @"$WORK/q1.json" | grep -q '"data":{'; then
  sed -i 's/ narratives(edition: 2023) { heading body }//' "$WORK/q1.json"
fi
for q in q1 q2 q3 q4; do
  answer=$(curl -fs "$URL/graphql" -H 'Content-Type: application/json' --data @"$WORK/$q.json")
  if echo "$answer" | grep -q '"errors"'; then echo "$q fails: $answer" >&2; exit 1; fi
done
echo "   all four queries answer without errors (Q2 rows: $(curl -fs "$URL/graphql" -H 'Content-Type: application/json' --data @"$WORK/q2.json" | grep -o '"totalCount":[0-9]*'))"

# The equivalent SQL, for pgbench.
cat > "$WORK/q2.sql" <<'SQL'
SELECT c.iso3, c.name, f.value, t.value,
       round((t.exact_num::numeric * f.exact_den - f.exact_num::numeric * t.exact_den)
             / (t.exact_den::numeric * f.exact_den), 2) AS change
FROM figures t
JOIN indicators i ON i.id = t.indicator_id AND i.slug = 'synthetic-drug-trade'
JOIN editions et ON et.id = t.edition_id AND et.year = 2023
JOIN editions ef ON ef.year = 2021
JOIN figures f ON (f.edition_id, f.indicator_id, f.country_id) = (ef.id, t.indicator_id, t.country_id)
JOIN countries c ON c.id = t.country_id
WHERE round((t.exact_num::numeric * f.exact_den - f.exact_num::numeric * t.exact_den)
            / (t.exact_den::numeric * f.exact_den), 2) > 0
ORDER BY change DESC, c.name LIMIT 200;
SQL
cat > "$WORK/q3.sql" <<'SQL'
SELECT f.rank, f.value, f.delta, c.name, m.continent
FROM figures f
JOIN indicators i ON i.id = f.indicator_id AND i.slug = 'criminality'
JOIN editions e ON e.id = f.edition_id AND e.year = 2023
JOIN countries c ON c.id = f.country_id
JOIN country_editions m ON (m.edition_id, m.country_id) = (f.edition_id, f.country_id)
ORDER BY f.value DESC, c.name LIMIT 200;
SQL

bench_post_lua

load() { # body concurrency [token]
  local threads=$(( $2 < 2 ? 1 : 2 ))
  BODY="$1" TOKEN="${3:-}" wrk -t"$threads" -c"$2" -d"${DURATION}s" --latency -s "$WORK/post.lua" "$URL/graphql" | bench_summarize
}

# Prepared statements, as the server's driver uses: planning these joins costs more than
# running them (50 ms against 2 ms on the project's machines), so an unprepared floor would
# measure the planner, not the query.
pgfloor() { # sql file -> tps at concurrency 32
  pgbench -h 127.0.0.1 -U postgres -n -M prepared -c 32 -j 2 -T "$DURATION" -f "$1" "$DB" 2>/dev/null \
    | sed -nE 's/^tps = ([0-9.]+).*/\1/p' | head -n 1 | cut -d. -f1
}

echo "== warming up"
for q in q1 q2 q3 q4; do BODY="$WORK/$q.json" wrk -t1 -c4 -d2s -s "$WORK/post.lua" "$URL/graphql" >/dev/null; done

echo "== floors"
static=$(wrk -t2 -c32 -d"${DURATION}s" --latency "$URL/healthz" | bench_summarize | cut -d' ' -f1)
q2floor=$(pgfloor "$WORK/q2.sql")
q3floor=$(pgfloor "$WORK/q3.sql")
echo "   static GET /healthz: $static req/s; pgbench Q2 SQL: $q2floor tps; Q3 SQL: $q3floor tps (c=32)"

declare -A target=([q1]=3000 [q2]=1500 [q3]=1500 [q4]=20000)
declare -A floor=([q1]=$static [q2]=$q2floor [q3]=$q3floor [q4]=$static)
declare -A label=([q1]="Q1 country profile" [q2]="Q2 rising synthetic drugs" [q3]="Q3 criminality ranking" [q4]="Q4 name and region")

echo "== load (${DURATION}s each)"
printf '%-27s %4s %9s %8s %8s %7s %9s %8s %7s\n' query conc "req/s" "p50 ms" "p99 ms" errors floor ratio target
for q in q1 q2 q3 q4; do
  for c in 1 32; do
    read -r rps p50 p99 errors < <(load "$WORK/$q.json" "$c")
    ratio=$(python3 -c "print(f'{$rps / ${floor[$q]}:.2f}')")
    mark=""
    [ "$c" = 32 ] && { [ "$rps" -ge "${target[$q]}" ] && mark="${target[$q]} ok" || mark="${target[$q]} MISS"; }
    printf '%-27s %4s %9s %8s %8s %7s %9s %8s %7s\n' "${label[$q]}" "$c" "$rps" "$p50" "$p99" "$errors" "${floor[$q]}" "$ratio" "$mark"
  done
done

echo "== uncached (an admin token bypasses the response cache: every request runs its SQL)"
for q in q1 q2 q3 q4; do
  read -r rps p50 p99 errors < <(load "$WORK/$q.json" 32 "$TOKEN")
  printf '%-27s %4s %9s %8s %8s %7s\n' "${label[$q]}" 32 "$rps" "$p50" "$p99" "$errors"
done
echo "server RSS after the run: $(ps -o rss= -p "$SERVER_PID") KiB"
