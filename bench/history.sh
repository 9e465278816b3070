#!/usr/bin/env bash
# The uncached questions against their SQL floor, with the official two editions and again
# after eight synthetic editions were published through the API, as editors would: does the
# cost of reading and writing grow with the Index's history?
#
#   bash bench/history.sh [path/to/global_oc_index.xlsx]
#
# Prints, for 2 and for 10 editions: req/s, p99 and statements per request of each question
# run uncached (an admin token bypasses the answer cache), the pgbench floor of the same SQL
# (prepared statements, as the server runs them) and the ratio; a PARTNER key against the
# anonymous cached rate; the time of upsertScores (a whole edition, and 100 scores) and
# publishEdition for each synthetic edition; the median time of publishing the latest edition
# again (reopened and published five times) with 2 and with 10 editions; and the ratio of the
# 10-edition figures to the 2-edition ones. Needs Postgres at 127.0.0.1:5432, wrk (installed from Debian's packages when
# missing), pgbench, curl and python3. All traffic goes to 127.0.0.1. BENCH_SECONDS (default 5)
# bounds each cell; BENCH_BIN skips the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

DATASET=${1:-${OCINDEX_DATASET:-../shared/data/global_oc_index.xlsx}}
DURATION=${BENCH_SECONDS:-5}
PORT=${BENCH_PORT:-18081}
DB=ocindex_bench_history
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
"$BIN" import "$DATASET" 2>&1 | grep -E "^result"

echo "== starting the server"
OCINDEX_BIND="127.0.0.1:$PORT" OCINDEX_ADMIN_TOKEN="$TOKEN" OCINDEX_SAMPLE=false RUST_LOG=warn "$BIN" serve &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -fs "$URL/readyz" >/dev/null 2>&1 && break; sleep 0.1; done

gql() { # json body -> response (admin)
  curl -fs "$URL/graphql" -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" --data-binary "$1"
}
PARTNER=$(gql '{"query":"mutation { createApiKey(name: \"bench-partner\", role: PARTNER) { secret } }"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["createApiKey"]["secret"])')

# The questions of issue 13, as JSON bodies; the threshold question varies its threshold per
# request (31,252 distinct questions: thresholds 0.00 to 3.00 over the raw indicators).
cat > "$WORK/ranking.json" <<'JSON'
{"query":"{ ranking(indicator: \"criminality\", edition: 2023, first: 200) { nodes { rank value country { name continent score(indicator: \"resilience\", edition: 2023) { value } } } } }"}
JSON
cat > "$WORK/lookup.json" <<'JSON'
{"query":"{ country(iso3: \"KGZ\") { name region(edition: 2023) } }"}
JSON
cat > "$WORK/history.json" <<'JSON'
{"query":"{ country(iso3: \"KAZ\") { history(indicator: \"criminality\") { value } } }"}
JSON
cat > "$WORK/profile.json" <<'JSON'
{"query":"{ country(iso3: \"KAZ\") { name scores(edition: 2023) { indicator { slug } value delta rank rankInContinent rankInRegion } } }"}
JSON

bench_post_lua
cat > "$WORK/threshold.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
if os.getenv("TOKEN") ~= "" then wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN") end
local slugs = { "human-trafficking", "human-smuggling", "arms-trafficking", "heroin-trade",
                "cocaine-trade", "cannabis-trade", "synthetic-drug-trade", "criminality", "resilience" }
local n = 0
request = function()
  n = n + 1
  local slug = slugs[(n % #slugs) + 1]
  local t = string.format("%.2f", (math.floor(n / #slugs) % 301) / 100)
  local body = '{"query":"{ scoreChanges(indicator: \\"' .. slug .. '\\", from: 2021, to: 2023, change: { gt: ' .. t ..
               ' }, first: 200) { totalCount nodes { country { iso3 } change } } }"}'
  return wrk.format(nil, nil, nil, body)
end
LUA

bench_floor_sql
cat > "$WORK/history.sql" <<'SQL'
SELECT e.year, f.value FROM figures f
JOIN editions e ON e.id = f.edition_id AND e.status = 'PUBLISHED'
WHERE f.country_id = (SELECT id FROM countries WHERE iso3 = 'KAZ')
  AND f.indicator_id = (SELECT id FROM indicators WHERE slug = 'criminality')
ORDER BY e.year;
SQL
cat > "$WORK/threshold.sql" <<'SQL'
\set t random(0, 300)
SELECT c.iso3, fc.change FROM figure_changes fc
JOIN countries c ON c.id = fc.country_id
WHERE fc.indicator_id = (SELECT id FROM indicators WHERE slug = 'synthetic-drug-trade')
  AND fc.from_edition_id = (SELECT id FROM editions WHERE year = 2021)
  AND fc.to_edition_id = (SELECT id FROM editions WHERE year = 2023)
  AND fc.change > :t / 100.0 ORDER BY fc.change DESC, c.name LIMIT 200;
SQL

summarize() { # wrk output -> "req/s p99_ms"
  python3 -c '
import re, sys
text = sys.stdin.read()
unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)", text, re.M)
print(f"{rps:.0f} {float(p99.group(1)) * unit[p99.group(2)]:.2f}")
'
}
statements() { # the server's statement counter, from its metrics when exposed
  curl -fs "$URL/metrics" 2>/dev/null | sed -nE 's/^ocindex_db_statements_total(\{[^}]*\})? ([0-9.e+]+)$/\2/p' | head -n1
}
load() { # name concurrency token -> "req/s p99 statements/request"
  local script="$WORK/post.lua" threads=$(( $2 < 2 ? 1 : 2 ))
  [ "$1" = threshold ] && script="$WORK/threshold.lua"
  local before after out
  before=$(statements)
  out=$(BODY="$WORK/$1.json" TOKEN="$3" wrk -t"$threads" -c"$2" -d"${DURATION}s" --latency -s "$script" "$URL/graphql")
  after=$(statements)
  read -r rps p99 < <(echo "$out" | summarize)
  local requests per
  requests=$(echo "$out" | sed -nE 's/^ *([0-9]+) requests in.*/\1/p')
  per=$(python3 -c "print(f'{(float(\"${after:-0}\") - float(\"${before:-0}\")) / max(1, $requests):.1f}' if '$before' else '-')")
  echo "$rps $p99 $per"
}
pgfloor() { # sql concurrency -> tps
  pgbench -h 127.0.0.1 -U postgres -n -M prepared -c "$2" -j "$(( $2 < 2 ? 1 : 2 ))" -T "$DURATION" -f "$WORK/$1.sql" "$DB" 2>/dev/null \
    | sed -nE 's/^tps = ([0-9.]+).*/\1/p' | head -n 1 | cut -d. -f1
}

declare -A RESULT
measure() { # label
  echo "== $1 editions: uncached questions against their SQL floor (${DURATION}s cells)"
  printf '%-26s %4s %9s %8s %7s %9s %7s\n' question conc "req/s" "p99 ms" "stmt/q" floor ratio
  for spec in ranking:8 lookup:1 threshold:8 history:8 profile:8; do
    local q=${spec%%:*} c=${spec##*:}
    read -r rps p99 per < <(load "$q" "$c" "$TOKEN")
    local floor="-" ratio="-"
    if [ -f "$WORK/$q.sql" ]; then
      floor=$(pgfloor "$q" "$c")
      ratio=$(python3 -c "print(f'{$rps / max(1, $floor):.2f}')")
    fi
    RESULT[$1:$q]=$rps
    printf '%-26s %4s %9s %8s %7s %9s %7s\n' "$q" "$c" "$rps" "$p99" "$per" "$floor" "$ratio"
  done
  read -r anon _ _ < <(load lookup 8 "")
  read -r partner _ _ < <(load lookup 8 "$PARTNER")
  echo "   cached lookup, c=8: anonymous $anon req/s, PARTNER key $partner req/s ($(python3 -c "print(f'{$partner / max(1, $anon):.2f}')")x)"
}

# publishEdition of the latest edition, taken back to a draft and published again five times:
# the median, against history (a single publish per synthetic edition below is one sample).
republish() { # year -> median seconds
  local times=() out
  for _ in 1 2 3 4 5; do
    gql "{\"query\":\"mutation { reopenEdition(year: $1) { year } }\"}" >/dev/null
    out=$(curl -fs -o "$WORK/out.json" -w '%{time_total}' "$URL/graphql" -H 'Content-Type: application/json' \
      -H "Authorization: Bearer $TOKEN" --data-binary "{\"query\":\"mutation { publishEdition(year: $1) { year } }\"}")
    grep -q '"errors"' "$WORK/out.json" && { echo "publishing $1 failed: $(cat "$WORK/out.json")" >&2; exit 1; }
    times+=("$out")
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 3p
}

measure 2
RESULT[2:republish]=$(republish 2023)
echo "   publishEdition of the latest edition again (median of 5): ${RESULT[2:republish]} s"

echo "== publishing 8 synthetic editions through the API (2025 to 2039)"
gql '{"query":"{ countries(edition: 2023, first: 500) { nodes { iso3 scores { indicator { slug isComposite } value } } } }"}' > "$WORK/2023.json"
printf '%-6s %14s %14s %12s\n' year "upsert 6k (s)" "upsert 100 (s)" "publish (s)"
for year in 2025 2027 2029 2031 2033 2035 2037 2039; do
  gql "{\"query\":\"mutation { createEdition(input: { year: $year, title: \\\"Synthetic $year\\\", indicatorsFrom: 2023 }) { year } }\"}" >/dev/null
  # every raw score of 2023, moved by -0.5, 0 or +0.5 depending on the year, kept within 1..10
  python3 - "$WORK/2023.json" "$year" "$WORK/scores.json" "$WORK/hundred.json" <<'PY'
import json, sys
data, year = json.load(open(sys.argv[1])), int(sys.argv[2])
scores = []
for n, node in enumerate(data["data"]["countries"]["nodes"]):
    for k, s in enumerate(node["scores"]):
        if s["indicator"]["isComposite"]:
            continue
        step = ((n * 7 + k * 3 + year) % 3 - 1) * 0.5
        scores.append({"country": node["iso3"], "indicator": s["indicator"]["slug"],
                       "value": min(10.0, max(1.0, s["value"] + step))})
query = "mutation($e: Int!, $s: [ScoreInput!]!) { upsertScores(edition: $e, scores: $s) { written } }"
json.dump({"query": query, "variables": {"e": year, "s": scores}}, open(sys.argv[3], "w"))
hundred = [dict(s, value=min(10.0, max(1.0, s["value"] + 0.5))) for s in scores[:100]]
json.dump({"query": query, "variables": {"e": year, "s": hundred}}, open(sys.argv[4], "w"))
PY
  post() { curl -fs -o "$WORK/out.json" -w '%{time_total}' "$URL/graphql" -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" --data-binary @"$1"; }
  full=$(post "$WORK/scores.json")
  small=$(post "$WORK/hundred.json")
  echo "{\"query\":\"mutation { publishEdition(year: $year) { year } }\"}" > "$WORK/publish.json"
  publish=$(post "$WORK/publish.json")
  grep -q '"errors"' "$WORK/out.json" && { echo "publishing $year failed: $(cat "$WORK/out.json")" >&2; exit 1; }
  printf '%-6s %14s %14s %12s\n' "$year" "$full" "$small" "$publish"
done
psql -h 127.0.0.1 -U postgres -qc "ANALYZE" "$DB"

measure 10
RESULT[10:republish]=$(republish 2039)
echo "   publishEdition of the latest edition again (median of 5): ${RESULT[10:republish]} s"

echo "== 10 editions against 2 (throughput ratio; 1.00 = no slower)"
for q in ranking lookup threshold history profile; do
  printf '%-26s %6s\n' "$q" "$(python3 -c "print(f'{${RESULT[10:$q]} / max(1, ${RESULT[2:$q]}):.2f}')")"
done
printf '%-26s %6s\n' "publishEdition (time, 10/2)" "$(python3 -c "print(f'{${RESULT[10:republish]} / ${RESULT[2:republish]}:.2f}')")"
echo "server RSS after the run: $(ps -o rss= -p "$SERVER_PID") KiB"
