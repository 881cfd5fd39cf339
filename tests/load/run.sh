#!/usr/bin/env bash
# Load on akua-local: wrk at 64 connections for DURATION seconds (default 60)
# against a mix of authorized reads, creates and rejected credentials.
# Prints throughput, latency, errors and the server's memory before/after.
# Usage: tests/load/run.sh [DURATION]   (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-60}
cargo build -q --release -p akua-local
data=$(mktemp -d)
port=18788
target/release/akua-local --port $port --data-dir "$data" 2>"$data/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/v1/openapi.json" >/dev/null && break; sleep 0.1; done
api="http://127.0.0.1:$port/v1"
jwt=$(target/release/akua-local mint-jwt --sub usr_load --data-dir "$data")
ws=$(curl -sf -X POST "$api/workspaces" -H "Authorization: Bearer $jwt" -H 'Content-Type: application/json' \
  -d '{"name":"load"}' | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
token=$(curl -sf -X POST "$api/api_tokens" -H "Authorization: Bearer $jwt" -H "Akua-Context: $ws" \
  -H 'Content-Type: application/json' -d '{"name":"load"}' | python3 -c 'import sys,json; print(json.load(sys.stdin)["token"])')
# A well-formed token (valid checksum) that was never issued.
unknown=$(python3 - <<'PY'
import binascii, secrets, string
alphabet = string.digits + string.ascii_uppercase + string.ascii_lowercase
body = "sk_akua_" + "".join(secrets.choice(alphabet) for _ in range(26))
crc = binascii.crc32(body.encode())
tail = ""
for _ in range(6):
    tail = alphabet[crc % 62] + tail
    crc //= 62
print(body + tail)
PY
)
rss() { awk '/VmRSS/ {print $2 " kB"}' /proc/$pid/status; }
# Warm up, then measure.
TOKEN=$token UNKNOWN=$unknown wrk -t2 -c64 -d5s -s tests/load/mix.lua "http://127.0.0.1:$port" >/dev/null
echo "server RSS before: $(rss)"
TOKEN=$token UNKNOWN=$unknown wrk -t2 -c64 -d"${duration}s" --latency -s tests/load/mix.lua "http://127.0.0.1:$port"
echo "server RSS after:  $(rss)"
echo "server errors logged: $(grep -c -E '"level":"ERROR"|ERROR' "$data/server.log" || true)"
