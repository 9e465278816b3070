#!/usr/bin/env bash
# The questions the answer cache cannot help, asked of the project, of PostGraphile 4.14 on the
# same database and of Postgres itself, in one run: is an uncached question cheaper here than
# in PostGraphile, and how far from its SQL floor is it?
#
#   bash bench/postgraphile.sh [path/to/global_oc_index.xlsx]
#
# Imports the official dataset into a fresh database, starts the server and PostGraphile 4.14
# (with postgraphile-plugin-connection-filter, the usual way to filter on `>` there; both
# installed by npm into this run's temporary folder) on it, checks that the three give the
# same answer to one sample of each question, then runs each question against each:
#   ranking    the ranking of 193 with continent and resilience, c=32 (admin token: uncached)
#   lookup     one country's name and region, c=1 (admin token: uncached)
#   threshold  "changed by more than T since 2021", anonymous, c=32, every request a question
#              never asked before (9 indicators x 30,001 thresholds), so the cache cannot answer
#              (the server's cache-hit counter over the cell is printed to show it)
# and the same question as SQL through `pgbench -M prepared` (the floor). Prints for each cell
# req/s, p99, the server's CPU ms per request (the process and its children, from /proc) and
# Postgres's CPU ms per request (the backends connected to this run's database, read from
# /proc every 50 ms: a backend that exits loses at most its last 50 ms), and the ratios
# project/PostGraphile and project/floor. The three share the machine, so only the ratios of
# one run compare; on a machine busy with other work, CPU per request is the steadier figure
# (req/s also depends on how much of the cores each side's processes win: pgbench runs 32
# backends, the server two worker threads).
#
# Settings: BENCH_SECONDS (5) per cell, BENCH_ROUNDS (1: how many times the whole table runs;
# the ratios take the medians), BENCH_BIN (a prebuilt binary instead of building this tree),
# BENCH_PORT and BENCH_PG_PORT (default: free ports), BENCH_PG_WORKERS (PostGraphile's
# --cluster-workers, default none: one Node process), BENCH_SERVER_LOG (where the server's
# log goes, default nowhere). Needs Postgres at 127.0.0.1:5432, wrk (installed from Debian's
# packages when missing), pgbench, node and npm (the npm registry is the only traffic off the
# machine), curl and python3. Load runs only against 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

DATASET=${1:-${OCINDEX_DATASET:-../shared/data/global_oc_index.xlsx}}
DURATION=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-1}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=${BENCH_PORT:-$(free_port)}
PG_PORT=${BENCH_PG_PORT:-$(free_port)}
DB=ocindex_bench_postgraphile
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
URL="http://127.0.0.1:$PORT"
PG_URL="http://127.0.0.1:$PG_PORT"
TOKEN="bench-$(date +%s%N)"
WORK=$(mktemp -d)
SERVER_PID=
POSTGRAPHILE_PID=

cleanup() {
  [ -n "$POSTGRAPHILE_PID" ] && kill "$POSTGRAPHILE_PID" 2>/dev/null && wait "$POSTGRAPHILE_PID" 2>/dev/null || true
  bench_cleanup
}
trap cleanup EXIT

bench_needs "$DATASET" pgbench
command -v npm >/dev/null || { echo "node and npm are missing (Debian: nodejs npm)" >&2; exit 1; }

bench_binary

echo "== installing PostGraphile 4.14 into this run's folder"
mkdir "$WORK/postgraphile"
(cd "$WORK/postgraphile" && npm install --no-audit --no-fund --silent \
  postgraphile@4.14 postgraphile-plugin-connection-filter@2 >/dev/null)
echo "   postgraphile $("$WORK/postgraphile/node_modules/.bin/postgraphile" --version)"

echo "== importing the official dataset into a fresh database"
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
OCINDEX_SAMPLE=false "$BIN" migrate >/dev/null 2>&1
"$BIN" import "$DATASET" 2>&1 | grep -E "^result"

echo "== starting the server and PostGraphile on it"
OCINDEX_BIND="127.0.0.1:$PORT" OCINDEX_ADMIN_TOKEN="$TOKEN" OCINDEX_SAMPLE=false RUST_LOG=warn \
  "$BIN" serve 2>"${BENCH_SERVER_LOG:-/dev/null}" &
SERVER_PID=$!
# `figure_changes` is a view: a smart tag (read from the working folder, the database is left
# as the project made it) gives its rows their country, as the foreign key of a table would.
cat > "$WORK/postgraphile/postgraphile.tags.json5" <<'JSON5'
{ version: 1, config: { class: { figure_changes: { tags: {
  foreignKey: "(country_id) references countries (id)" } } } } }
JSON5
workers=()
[ -n "${BENCH_PG_WORKERS:-}" ] && workers=(--cluster-workers "$BENCH_PG_WORKERS")
# run from its folder for the tags file; exec keeps $! the Node process itself
(cd "$WORK/postgraphile" && NODE_ENV=production exec node_modules/.bin/postgraphile \
  --connection "$DATABASE_URL" --schema public --host 127.0.0.1 --port "$PG_PORT" \
  --disable-graphiql --disable-query-log --append-plugins postgraphile-plugin-connection-filter \
  "${workers[@]}" >"$WORK/postgraphile.log" 2>&1) &
POSTGRAPHILE_PID=$!
for _ in $(seq 1 100); do curl -fs "$URL/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
# another server on the port would answer in its place
kill -0 "$SERVER_PID" 2>/dev/null || { echo "the server did not start (port $PORT taken?)" >&2; exit 1; }
ready='{"query":"{ __typename }"}'
for _ in $(seq 1 300); do
  curl -fs "$PG_URL/graphql" -H 'Content-Type: application/json' --data "$ready" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "$PG_URL/graphql" -H 'Content-Type: application/json' --data "$ready" >/dev/null \
  || { echo "PostGraphile did not start: $(cat "$WORK/postgraphile.log")" >&2; exit 1; }
kill -0 "$POSTGRAPHILE_PID" 2>/dev/null || { echo "PostGraphile did not start (port $PG_PORT taken?)" >&2; exit 1; }

# PostGraphile's generated schema speaks in row ids: the ids of the editions and indicators the
# questions name, looked up once as a PostGraphile client would know them.
sql() { psql -h 127.0.0.1 -U postgres -Atq "$DB" -c "$1"; }
E2023=$(sql "SELECT id FROM editions WHERE year = 2023")
E2021=$(sql "SELECT id FROM editions WHERE year = 2021")
SLUGS="human-trafficking human-smuggling arms-trafficking heroin-trade cocaine-trade cannabis-trade synthetic-drug-trade criminality resilience"
IDS=""
for slug in $SLUGS; do IDS="$IDS $(sql "SELECT id FROM indicators WHERE slug = '$slug'")"; done
read -r -a ID <<<"$IDS"
CRIMINALITY=${ID[7]} RESILIENCE=${ID[8]}

# The questions, as each side asks them.
cat > "$WORK/ranking.project.json" <<'JSON'
{"query":"{ ranking(indicator: \"criminality\", edition: 2023, first: 200) { nodes { rank value country { name continent score(indicator: \"resilience\", edition: 2023) { value } } } } }"}
JSON
cat > "$WORK/ranking.postgraphile.json" <<JSON
{"query":"{ allFigures(condition: {editionId: $E2023, indicatorId: $CRIMINALITY}, orderBy: [VALUE_DESC], first: 200) { nodes { rank value countryEditionByEditionIdAndCountryId { continent countryByCountryId { name } figuresByEditionIdAndCountryId(condition: {indicatorId: $RESILIENCE}) { nodes { value } } } } } }"}
JSON
cat > "$WORK/lookup.project.json" <<'JSON'
{"query":"{ country(iso3: \"KGZ\") { name region(edition: 2023) } }"}
JSON
cat > "$WORK/lookup.postgraphile.json" <<JSON
{"query":"{ countryByIso3(iso3: \"KGZ\") { name countryEditionsByCountryId(condition: {editionId: $E2023}) { nodes { region } } } }"}
JSON
threshold_body() { # side slug-index threshold -> JSON body
  local slugs=($SLUGS)
  if [ "$1" = project ]; then
    printf '{"query":"{ scoreChanges(indicator: \\"%s\\", from: 2021, to: 2023, change: { gt: %s }, first: 200) { totalCount nodes { country { iso3 } change } } }"}' "${slugs[$2]}" "$3"
  else
    printf '{"query":"{ allFigureChanges(condition: {indicatorId: %s, fromEditionId: %s, toEditionId: %s}, filter: {change: {greaterThan: \\"%s\\"}}, orderBy: [CHANGE_DESC], first: 200) { totalCount nodes { countryByCountryId { iso3 } change } } }"}' "${ID[$2]}" "$E2021" "$E2023" "$3"
  fi
}
threshold_body project 6 0.5 > "$WORK/threshold.project.json"
threshold_body postgraphile 6 0.5 > "$WORK/threshold.postgraphile.json"

bench_floor_sql
threshold_sql() { # indicator-slug-expression threshold-expression -> the floor's SQL
  cat <<SQL
SELECT c.iso3, fc.change, count(*) OVER () FROM figure_changes fc
JOIN countries c ON c.id = fc.country_id
WHERE fc.indicator_id = (SELECT id FROM indicators WHERE slug = $1)
  AND fc.from_edition_id = (SELECT id FROM editions WHERE year = 2021)
  AND fc.to_edition_id = (SELECT id FROM editions WHERE year = 2023)
  AND fc.change > $2 ORDER BY fc.change DESC, c.name LIMIT 200;
SQL
}
# one of the nine indicators and a threshold of 0.00 to 3.00 drawn per transaction
{
  printf '\\set s random(1, 9)\n\\set t random(0, 300)\n'
  threshold_sql "(ARRAY['$(echo "$SLUGS" | sed "s/ /','/g")'])[:s]" ":t / 100.0"
} > "$WORK/threshold.sql"
# and the sample of the answer check
threshold_sql "'synthetic-drug-trade'" 0.5 > "$WORK/threshold.sample.sql"

echo "== the same answer from the three (one sample of each question)"
for q in ranking lookup threshold; do
  curl -fs "$URL/graphql" -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \
    --data-binary @"$WORK/$q.project.json" > "$WORK/$q.project.out"
  curl -fs "$PG_URL/graphql" -H 'Content-Type: application/json' \
    --data-binary @"$WORK/$q.postgraphile.json" > "$WORK/$q.postgraphile.out"
  sample="$WORK/$q.sql"
  [ "$q" = threshold ] && sample="$WORK/threshold.sample.sql"
  psql -h 127.0.0.1 -U postgres -AtqF '|' "$DB" -f "$sample" > "$WORK/$q.sql.out"
done
python3 - "$WORK" <<'PY'
import json, sys
from decimal import Decimal
work = sys.argv[1]
def load(name):
    data = json.load(open(f"{work}/{name}"))
    if "errors" in data:
        sys.exit(f"{name}: {data['errors']}")
    return data["data"]
def dec(v):  # a figure as the decimal it shows: the project sends 7.5, PostGraphile "7.50"
    return Decimal(str(v)).quantize(Decimal("0.01"))
def rows(name):
    return [line.split("|") for line in open(f"{work}/{name}").read().splitlines()]
def same(question, a, b, c, what):
    if not (a == b == c):
        sys.exit(f"{question}: the answers differ\n project {a}\n PostGraphile {b}\n SQL {c}")
    print(f"   {question}: {what}")

project = [(n["rank"], dec(n["value"]), n["country"]["name"], n["country"]["continent"],
            dec(n["country"]["score"]["value"])) for n in load("ranking.project.out")["ranking"]["nodes"]]
graphile = [(n["rank"], dec(n["value"]), m["countryByCountryId"]["name"], m["continent"],
             dec(m["figuresByEditionIdAndCountryId"]["nodes"][0]["value"]))
            for n in load("ranking.postgraphile.out")["allFigures"]["nodes"]
            for m in [n["countryEditionByEditionIdAndCountryId"]]]
floor = [(int(r[0]), dec(r[1]), r[2], r[3], dec(r[4])) for r in rows("ranking.sql.out")]
# equal values may list in another order (PostGraphile cannot order by a joined name): the
# values must come in the same order, and the rows must be the same
same("ranking", [r[1] for r in project], [r[1] for r in graphile], [r[1] for r in floor],
     f"the same {len(project)} values in the same order")
same("ranking", sorted(project), sorted(graphile), sorted(floor),
     "and the same rank, country, continent and resilience on each")

p = load("lookup.project.out")["country"]
g = load("lookup.postgraphile.out")["countryByIso3"]
same("lookup", (p["name"], p["region"]),
     (g["name"], g["countryEditionsByCountryId"]["nodes"][0]["region"]), tuple(rows("lookup.sql.out")[0]),
     f"{p['name']}, {p['region']}")

p = load("threshold.project.out")["scoreChanges"]
g = load("threshold.postgraphile.out")["allFigureChanges"]
f = rows("threshold.sql.out")
same("threshold", (p["totalCount"], [dec(n["change"]) for n in p["nodes"]]),
     (g["totalCount"], [dec(n["change"]) for n in g["nodes"]]),
     (int(f[0][2]) if f else 0, [dec(r[1]) for r in f]), f"{p['totalCount']} countries, same changes in the same order")
same("threshold", sorted((n["country"]["iso3"], dec(n["change"])) for n in p["nodes"]),
     sorted((n["countryByCountryId"]["iso3"], dec(n["change"])) for n in g["nodes"]),
     sorted((r[0], dec(r[1])) for r in f), "and the same countries")
PY

bench_post_lua
# Every request a question not asked before in the run: request i of the cell (counted across
# wrk's threads, from START) asks indicator i mod 9 with threshold (i div 9) / 10000.
cat > "$WORK/threshold.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local slugs, ids = {}, {}
for s in string.gmatch(os.getenv("SLUGS"), "%S+") do table.insert(slugs, s) end
for s in string.gmatch(os.getenv("IDS"), "%S+") do table.insert(ids, s) end
local start, stride = tonumber(os.getenv("START")), tonumber(os.getenv("THREADS"))
local project, from, to = os.getenv("SIDE") == "project", os.getenv("EFROM"), os.getenv("ETO")
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
local n = 0
request = function()
  local i = start + n * stride + id
  n = n + 1
  local k = i % #slugs
  local t = string.format("%.4f", (math.floor(i / #slugs) % 30001) / 10000)
  local body
  if project then
    body = '{"query":"{ scoreChanges(indicator: \\"' .. slugs[k + 1] .. '\\", from: 2021, to: 2023, change: { gt: ' ..
           t .. ' }, first: 200) { totalCount nodes { country { iso3 } change } } }"}'
  else
    body = '{"query":"{ allFigureChanges(condition: {indicatorId: ' .. ids[k + 1] .. ', fromEditionId: ' .. from ..
           ', toEditionId: ' .. to .. '}, filter: {change: {greaterThan: \\"' .. t ..
           '\\"}}, orderBy: [CHANGE_DESC], first: 200) { totalCount nodes { countryByCountryId { iso3 } change } } }"}'
  end
  return wrk.format(nil, nil, nil, body)
end
LUA

# Runs a load command while reading the CPU of the server (the process and its children) and
# of this database's Postgres backends from /proc, then prints
# "req/s p99_ms requests errors server_ms/req postgres_ms/req statements/req cache_hits".
cat > "$WORK/cell.py" <<'PY'
import glob, os, re, subprocess, sys, time, urllib.request
db, server, metrics, log_prefix, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:]
tick = os.sysconf("SC_CLK_TCK")

def stat(pid):  # (ppid, utime + stime in ticks) of a process, None when it is gone
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return int(fields[1]), int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None

def backends():  # the pids of the Postgres backends connected to this run's database
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                title = open(f"/proc/{entry}/cmdline", "rb").read().decode(errors="replace").split()
            except OSError:
                continue
            if title[:1] == ["postgres:"] and db in title:
                found.append(int(entry))
    return found

def tree_cpu(root):  # CPU ticks of a process and its children
    total, s = 0, stat(root)
    if s is None:
        return 0
    total += s[1]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            c = stat(entry)
            if c and c[0] == root:
                total += c[1]
    return total

def counters():  # the server's statement and cache-hit counters
    if metrics == "-":
        return None
    text = urllib.request.urlopen(metrics).read().decode()
    def total(name):
        return sum(float(v) for v in re.findall(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M))
    return total("ocindex_db_statements_total"), total("ocindex_response_cache_hits_total")

for name in glob.glob(log_prefix + ".*"):  # a failed attempt's transaction logs
    os.remove(name)
start_pg = {pid: stat(pid)[1] for pid in backends() if stat(pid)}
last_pg = dict(start_pg)
server_before = tree_cpu(server) if server else 0
counted_before = counters()
proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
rounds = 0
while proc.poll() is None:
    if rounds % 10 == 0:  # new connections show up rarely: look for them every 0.5 s
        for pid in backends():
            last_pg.setdefault(pid, 0)
    for pid in list(last_pg):
        s = stat(pid)
        if s:
            last_pg[pid] = s[1]
    rounds += 1
    time.sleep(0.05)
out = proc.stdout.read()
for pid in list(last_pg):
    s = stat(pid)
    if s:
        last_pg[pid] = s[1]
server_after = tree_cpu(server) if server else 0
counted_after = counters()
pg_ticks = sum(last_pg[pid] - start_pg.get(pid, 0) for pid in last_pg)

unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}
if cmd[0] == "sleep":  # no load: CPU ms and statements per second
    seconds = float(cmd[1])
    statements = f"{(counted_after[0] - counted_before[0]) / seconds:.0f}" if counted_before else "-"
    print(f"{(server_after - server_before) * 1000 / tick / seconds:.1f} {pg_ticks * 1000 / tick / seconds:.1f} {statements}")
    sys.exit(0)
if "Requests/sec" in out:  # wrk
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    v, u = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)", out, re.M).groups()
    p99 = float(v) * unit[u]
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", out))
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors += sum(int(x) for x in sock.groups()) if sock else 0
elif "tps =" not in out:
    sys.exit(f"no figures from {cmd[0]} (exit {proc.returncode}): {out[-300:]}")
else:  # pgbench, with its per-transaction log for the p99
    rps = float(re.search(r"^tps = ([\d.]+)", out, re.M).group(1))
    requests = int(re.search(r"number of transactions actually processed: (\d+)", out).group(1))
    errors = int(m.group(1)) if (m := re.search(r"number of failed transactions: (\d+)", out)) else 0
    latencies = []
    for name in glob.glob(log_prefix + ".*"):
        latencies += [int(line.split()[2]) for line in open(name) if line.strip()]
        os.remove(name)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] / 1000 if latencies else 0.0
per = max(1, requests)
server_ms = f"{(server_after - server_before) * 1000 / tick / per:.2f}" if server else "-"
pg_ms = f"{pg_ticks * 1000 / tick / per:.2f}"
if counted_before:
    statements = f"{(counted_after[0] - counted_before[0]) / per:.1f}"
    hits = f"{counted_after[1] - counted_before[1]:.0f}"
else:
    statements = hits = "-"
print(f"{rps:.0f} {p99:.2f} {requests} {errors} {server_ms} {pg_ms} {statements} {hits}")
PY

cell() { # question side concurrency [seconds] -> the line of cell.py
  local q=$1 side=$2 c=$3 seconds=${4:-$DURATION} threads=$(( $3 < 2 ? 1 : 2 ))
  case $side in
    floor)
      python3 "$WORK/cell.py" "$DB" 0 - "$WORK/pgb" \
        pgbench -h 127.0.0.1 -U postgres -n -M prepared -c "$c" -j "$threads" -T "$seconds" \
        -l --log-prefix="$WORK/pgb" -f "$WORK/$q.sql" "$DB" ;;
    project|postgraphile)
      local pid=$SERVER_PID url=$URL metrics="$URL/metrics" token=$TOKEN script="$WORK/post.lua"
      [ "$side" = postgraphile ] && { pid=$POSTGRAPHILE_PID url=$PG_URL metrics=- token=; }
      # the threshold questions are anonymous: distinct, so the cache cannot answer them
      [ "$q" = threshold ] && { script="$WORK/threshold.lua" token=; }
      BODY="$WORK/$q.$side.json" TOKEN="$token" SIDE="$side" SLUGS="$SLUGS" IDS="$IDS" \
        EFROM="$E2021" ETO="$E2023" THREADS="$threads" START="${START:-0}" \
        python3 "$WORK/cell.py" "$DB" "$pid" "$metrics" - \
        wrk -t"$threads" -c"$c" -d"${seconds}s" --latency -s "$script" "$url/graphql" ;;
  esac
}

# What each side costs with no request at all (the Postgres figure counts the backends of
# both servers, the statements are the project's).
read -r idle_server idle_pg idle_statements <<<"$(python3 "$WORK/cell.py" "$DB" "$SERVER_PID" "$URL/metrics" - sleep "$DURATION")"
read -r idle_graphile _ _ <<<"$(python3 "$WORK/cell.py" "$DB" "$POSTGRAPHILE_PID" - - sleep "$DURATION")"
echo "== at idle, ${DURATION}s without requests: server $idle_server CPU ms/s ($idle_statements statements/s), PostGraphile $idle_graphile ms/s, Postgres backends of both $idle_pg ms/s"

# Node compiles its hot paths as they run: PostGraphile keeps getting faster over its first
# seconds of load, so each question runs a whole cell on each server before any is measured.
echo "== warming up (${DURATION}s of each question on each server, not measured)"
for q in ranking lookup threshold; do
  for side in project postgraphile; do START=250000 cell "$q" "$side" 8 >/dev/null; done
done

echo "== load (${DURATION}s cells, $ROUNDS round(s); CPU in ms per request)"
printf '%-10s %-13s %4s %8s %8s %8s %8s %7s %7s %6s\n' \
  question side conc "req/s" "p99 ms" "server" postgres "stmt/q" errors hits
declare -A RPS CPU
for round in $(seq 1 "$ROUNDS"); do
  echo "-- round $round, $(uptime | sed 's/.*load average/load average/')"
  for spec in ranking:32 lookup:1 threshold:32; do
    q=${spec%%:*} c=${spec##*:}
    for side in project postgraphile floor; do
      # each round's threshold questions start where no earlier cell's could have reached
      # Postgres is shared: when other work holds its connections, pgbench cannot open its
      # own, so a cell is tried again after a pause
      line=
      for attempt in 1 2 3; do
        line=$(START=$(( (round - 1) * 50000 )) cell "$q" "$side" "$c") && break
        echo "   ($q $side failed, attempt $attempt of 3)" >&2
        sleep 5
      done
      [ -n "$line" ] || { echo "$q $side failed" >&2; exit 1; }
      read -r rps p99 requests errors server pgcpu statements hits <<<"$line"
      RPS[$q:$side]="${RPS[$q:$side]:-} $rps"
      CPU[$q:$side]="${CPU[$q:$side]:-} $(python3 -c "print(sum(float(x) for x in '$server $pgcpu'.split() if x != '-'))")"
      printf '%-10s %-13s %4s %8s %8s %8s %8s %7s %7s %6s\n' \
        "$q" "$side" "$c" "$rps" "$p99" "$server" "$pgcpu" "$statements" "$errors" "$hits"
    done
  done
done

ratio() { # "values" "values" -> the ratio of their medians
  python3 -c "import statistics as s, sys; print(f'{s.median(map(float, sys.argv[1].split())) / max(0.001, s.median(map(float, sys.argv[2].split()))):.2f}')" "$1" "$2"
}
echo "== ratios of the medians (req/s: above 1 is faster; CPU per request, server + Postgres: below 1 is cheaper)"
printf '%-10s %22s %22s %22s\n' question "req/s project/PG'phile" "CPU project/PG'phile" "req/s project/floor"
for q in ranking lookup threshold; do
  printf '%-10s %22s %22s %22s\n' "$q" "$(ratio "${RPS[$q:project]}" "${RPS[$q:postgraphile]}")" \
    "$(ratio "${CPU[$q:project]}" "${CPU[$q:postgraphile]}")" "$(ratio "${RPS[$q:project]}" "${RPS[$q:floor]}")"
done
echo "RSS after the run: server $(ps -o rss= -p "$SERVER_PID") KiB, PostGraphile $(ps -o rss= -p "$POSTGRAPHILE_PID") KiB"
