#!/usr/bin/env bash
# The operators' figures of a fleet, in one run on this machine: anonymous req/s of the cached
# and uncached paths with one server on one database, then with two servers reading from a
# real streaming replica; the replica's lag during a full import; how long a write through one
# server takes to show on the other; and one request as the JSON log shows it.
#
#   bash bench/fleet.sh [path/to/global_oc_index.xlsx]
#
# Runs a primary and a streaming replica of its own (initdb, pg_basebackup -R and pg_ctl of the
# installed Postgres 15, as user postgres, on free ports under a temporary directory), removed
# at the end. BENCH_SECONDS (5) bounds each load cell; BENCH_BIN skips the release build.
# Needs wrk, curl, python3 and runuser. All traffic goes to 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

DATASET=${1:-${OCINDEX_DATASET:-../shared/data/global_oc_index.xlsx}}
DURATION=${BENCH_SECONDS:-5}
PG=/usr/lib/postgresql/15/bin
TOKEN="bench-$(date +%s%N)"
WORK=$(mktemp -d)
chmod 755 "$WORK"
PIDS=()

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
as_postgres() { runuser -u postgres -- "$@"; }
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  as_postgres "$PG/pg_ctl" -D "$WORK/replica" -m immediate stop >/dev/null 2>&1 || true
  as_postgres "$PG/pg_ctl" -D "$WORK/primary" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

bench_needs "$DATASET"
bench_binary

echo "== a primary and a streaming replica of this run's own"
PRIMARY_PORT=$(free_port)
REPLICA_PORT=$(free_port)
chown postgres "$WORK"
as_postgres "$PG/initdb" -D "$WORK/primary" -A trust -U postgres --no-sync >/dev/null
cat >>"$WORK/primary/postgresql.conf" <<CONF
port = $PRIMARY_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$WORK'
wal_level = replica
max_wal_senders = 4
max_connections = 200
CONF
echo "host replication postgres 127.0.0.1/32 trust" >>"$WORK/primary/pg_hba.conf"
as_postgres "$PG/pg_ctl" -D "$WORK/primary" -l "$WORK/primary.log" -w start >/dev/null
as_postgres "$PG/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$WORK/replica" -R -X stream
sed -i "s/^port = .*/port = $REPLICA_PORT/" "$WORK/replica/postgresql.conf"
as_postgres "$PG/pg_ctl" -D "$WORK/replica" -l "$WORK/replica.log" -w start >/dev/null
PRIMARY="postgres://postgres@127.0.0.1:$PRIMARY_PORT/postgres"
REPLICA="postgres://postgres@127.0.0.1:$REPLICA_PORT/postgres"
psql_primary() { psql "$PRIMARY" -qAtc "$1"; }

echo "== importing the official dataset, sampling the replica's lag every 50 ms"
DATABASE_URL=$PRIMARY OCINDEX_SAMPLE=false "$BIN" migrate >/dev/null 2>&1
(
  while true; do
    psql_primary "SELECT coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0),
                         coalesce(extract(epoch FROM replay_lag) * 1000, 0)
                  FROM pg_stat_replication" 2>/dev/null || true
    sleep 0.05
  done
) >"$WORK/lag.txt" &
SAMPLER=$!
started=$(date +%s.%N)
DATABASE_URL=$PRIMARY "$BIN" import "$DATASET" 2>&1 | grep -E "^result"
took=$(python3 -c "import time; print(f'{time.time() - $started:.2f}')")
sleep 1
kill $SAMPLER 2>/dev/null || true
python3 - "$WORK/lag.txt" "$took" <<'PY'
import sys
rows = [l.split("|") for l in open(sys.argv[1]) if "|" in l]
bytes_ = [float(r[0]) for r in rows] or [0]
ms = [float(r[1]) for r in rows] or [0]
print(f"   import {sys.argv[2]} s; replica behind by at most {max(bytes_) / 1024:.0f} KiB of WAL "
      f"and {max(ms):.0f} ms of replay ({len(rows)} samples)")
PY

serve() { # port, extra env... -> starts a server, waits until ready
  local port=$1; shift
  env "$@" DATABASE_URL="$PRIMARY" OCINDEX_BIND="127.0.0.1:$port" OCINDEX_ADMIN_TOKEN="$TOKEN" \
    OCINDEX_SAMPLE=false RUST_LOG=warn "$BIN" serve 2>>"$WORK/servers.log" &
  PIDS+=($!)
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "server on $port did not get ready" >&2; exit 1
}

cat >"$WORK/cached.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"{ country(iso3: \\"KAZ\\") { name scores(edition: 2023) { indicator { slug } value delta rank } } }"}'
LUA
# distinct questions, so the answer cache cannot help: thresholds 0.00 to 3.00 over indicators
cat >"$WORK/uncached.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local slugs = { "human-trafficking", "arms-trafficking", "cocaine-trade", "synthetic-drug-trade",
                "criminality", "resilience" }
local n = math.random(0, 1000000)
request = function()
  n = n + 1
  local slug = slugs[(n % #slugs) + 1]
  local t = string.format("%.3f", (n % 3001) / 1000)
  return wrk.format(nil, nil, nil, '{"query":"{ scoreChanges(indicator: \\"' .. slug ..
    '\\", from: 2021, to: 2023, change: { gt: ' .. t .. ' }, first: 200) { totalCount nodes { country { iso3 } change } } }"}')
end
LUA
rps() { # script url... -> total req/s over the given servers, loaded at once (c=16 each)
  local script=$1; shift
  local outputs=() loads=()
  for url in "$@"; do
    out=$(mktemp -p "$WORK")
    outputs+=("$out")
    wrk -t1 -c16 -d"${DURATION}s" -s "$WORK/$script" "$url/graphql" >"$out" &
    loads+=($!)
  done
  wait "${loads[@]}"
  cat "${outputs[@]}" | python3 -c '
import re, sys
text = sys.stdin.read()
print(round(sum(float(x) for x in re.findall(r"Requests/sec:\s+([\d.]+)", text))))'
}

echo "== one server, one database"
A=$(free_port)
serve "$A"
curl -fs "http://127.0.0.1:$A/graphql" -H 'Content-Type: application/json' \
  --data '{"query":"{ country(iso3: \"KAZ\") { name } }"}' >/dev/null
echo "   cached:   $(rps cached.lua "http://127.0.0.1:$A") req/s"
echo "   uncached: $(rps uncached.lua "http://127.0.0.1:$A") req/s"

echo "== two servers, each reading from the replica"
B=$(free_port)
C=$(free_port)
serve "$B" DATABASE_REPLICA_URLS="$REPLICA"
serve "$C" DATABASE_REPLICA_URLS="$REPLICA"
curl -fs "http://127.0.0.1:$B/readyz"; echo
echo "   cached:   $(rps cached.lua "http://127.0.0.1:$B" "http://127.0.0.1:$C") req/s (both servers)"
echo "   uncached: $(rps uncached.lua "http://127.0.0.1:$B" "http://127.0.0.1:$C") req/s (both servers)"

echo "== a write through one server, read back through the other"
python3 - "http://127.0.0.1:$B" "http://127.0.0.1:$C" "$TOKEN" <<'PY'
import json, sys, time, urllib.request
write_to, read_from, token = sys.argv[1:4]
def post(url, query, auth=None):
    request = urllib.request.Request(url + "/graphql", json.dumps({"query": query}).encode(),
                                     {"Content-Type": "application/json"})
    if auth:
        request.add_header("Authorization", "Bearer " + auth)
    return json.load(urllib.request.urlopen(request, timeout=10))
read = '{ country(iso3: "KAZ") { name } }'
rename = 'mutation { upsertCountry(input: { iso3: "KAZ", name: "%s" }) { name } }'
delays = []
for i in range(5):
    post(read_from, read)  # cached on the reading server
    name = f"Kazakhstan {time.time_ns()}"
    post(write_to, rename % name, token)
    written = time.perf_counter()
    deadline = written + 5
    while time.perf_counter() < deadline:
        if post(read_from, read)["data"]["country"]["name"] == name:
            delays.append((time.perf_counter() - written) * 1000)
            break
    else:
        sys.exit("the other server still served the old answer after 5 s")
post(write_to, rename % "Kazakhstan", token)
print("   seen on the other server after " + ", ".join(f"{d:.1f}" for d in delays) + " ms "
      "(the first read after the write's answer, polling)")
PY

echo "== one request in the JSON log"
D=$(free_port)
DATABASE_URL=$PRIMARY OCINDEX_BIND="127.0.0.1:$D" OCINDEX_SAMPLE=false OCINDEX_LOG_FORMAT=json \
  RUST_LOG=info "$BIN" serve 2>"$WORK/json.log" &
PIDS+=($!)
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$D/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$D/graphql" -H 'Content-Type: application/json' -H 'X-Request-Id: fleet-sample-1' \
  --data '{"query":"query Sample { country(iso3: \"KAZ\") { name } }"}' >/dev/null
sleep 0.3
grep 'fleet-sample-1' "$WORK/json.log" | sed 's/^/   /'
