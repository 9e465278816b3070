# The benchmarks' shared set-up, sourced from the project's root by run.sh, history.sh,
# fleet.sh, postgraphile.sh, telemetry.sh and instructions.sh.

# The whole load comes from one address: the quotas stay on, their cost is part of what is
# measured, with budgets no run can spend (set these to 0 to measure without the limiter).
export OCINDEX_RATE_LIMIT_ANONYMOUS=${OCINDEX_RATE_LIMIT_ANONYMOUS:-1000000000000}
export OCINDEX_RATE_LIMIT_KEY=${OCINDEX_RATE_LIMIT_KEY:-1000000000000}

# Stops unless the dataset is there; installs wrk from Debian's packages when missing; with
# `pgbench` as second argument, requires pgbench too.
bench_needs() { # dataset [pgbench]
  [ -f "$1" ] || { echo "dataset not found: $1" >&2; exit 1; }
  command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
  if [ "${2:-}" = pgbench ]; then
    command -v pgbench >/dev/null || { echo "pgbench is missing (Debian: postgresql-contrib)" >&2; exit 1; }
  fi
}

# Sets BIN: BENCH_BIN (a binary built elsewhere, another commit say, to compare in one
# session), else this tree's release build.
bench_binary() {
  if [ -n "${BENCH_BIN:-}" ]; then
    BIN=$BENCH_BIN
  else
    echo "== building the release binary"
    cargo build --release -q -p ocindex
    BIN=${CARGO_TARGET_DIR:-target}/release/ocindex
  fi
}

# Imports the workbook $1 with $BIN into the database $DB, dropped and created afresh.
bench_fresh_import() {
  echo "== importing the official dataset into a fresh database"
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
  OCINDEX_SAMPLE=false "$BIN" migrate >/dev/null 2>&1
  "$BIN" import "$1" >/dev/null 2>&1
}

# At exit: stops the server $SERVER_PID, drops the database $DB, removes the folder $WORK.
bench_cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}

# Writes $WORK/post.lua, wrk's script for one POST: the JSON body from the file $BODY, with
# `Authorization: Bearer $TOKEN` when TOKEN is set and not empty.
bench_post_lua() {
  cat > "$WORK/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open(os.getenv("BODY"), "r")
wrk.body = f:read("*a")
f:close()
local token = os.getenv("TOKEN")
if token ~= nil and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
LUA
}

# wrk --latency output -> "req/s p50_ms p99_ms errors" (non-2xx answers and socket errors).
bench_summarize() {
  python3 -c '
import re, sys
text = sys.stdin.read()
def ms(v, unit):
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p = dict((k, ms(v, u)) for k, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)", text, re.M))
errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", text))
sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
if sock:
    errors += sum(int(x) for x in sock.groups())
p50, p99 = p.get("50", 0.0), p.get("99", 0.0)
print(f"{rps:.0f} {p50:.2f} {p99:.2f} {errors}")
'
}

# Writes the floors both uncached benchmarks share, $WORK/ranking.sql and $WORK/lookup.sql: the
# same questions as SQL on the project's schema, written as well as we can. The edition and
# indicator ids are scalar subqueries, so that the planner reads the figures by their key
# (joined to `indicators` and `editions` by slug and year instead, it misjudges the single rows
# and reads every figure of every country: 10 to 15 times slower).
bench_floor_sql() {
  cat > "$WORK/ranking.sql" <<'SQL'
SELECT f.rank, f.value, c.name, m.continent, r.value
FROM figures f
JOIN countries c ON c.id = f.country_id
JOIN country_editions m ON (m.edition_id, m.country_id) = (f.edition_id, f.country_id)
JOIN figures r ON (r.edition_id, r.country_id) = (f.edition_id, f.country_id)
  AND r.indicator_id = (SELECT id FROM indicators WHERE slug = 'resilience')
WHERE f.edition_id = (SELECT id FROM editions WHERE year = 2023)
  AND f.indicator_id = (SELECT id FROM indicators WHERE slug = 'criminality')
ORDER BY f.value DESC, c.name LIMIT 200;
SQL
  cat > "$WORK/lookup.sql" <<'SQL'
SELECT c.name, m.region FROM countries c
JOIN country_editions m ON m.country_id = c.id
JOIN editions e ON e.id = m.edition_id AND e.year = 2023
WHERE c.iso3 = 'KGZ';
SQL
}
