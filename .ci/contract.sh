#!/usr/bin/env bash
# The served OpenAPI document is a contract. Against akua-local as a process:
#   a. the document is valid OpenAPI 3.1 (openapi-spec-validator);
#   b. Schemathesis finds no request the server answers against the document
#      (every phase, every check; exclusions are listed with their reason);
#   c. a client generated from the document (openapi-python-client) walks a
#      workspace token's life: create, use, revoke, refused.
# Usage: .ci/contract.sh VENV AKUA_LOCAL_BINARY
# VENV holds schemathesis, openapi-spec-validator and openapi-python-client.
set -euo pipefail
venv=$1
bin=$2
here=$(cd "$(dirname "$0")" && pwd)
py="$venv/bin/python"

work=$(mktemp -d)
port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" --port "$port" --data-dir "$work/data" >"$work/server.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

base="http://127.0.0.1:$port/v1"
for _ in $(seq 100); do
  if "$py" -c "import urllib.request as u; u.urlopen('$base/openapi.json', timeout=1)" 2>/dev/null; then
    break
  fi
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.2
done
"$py" -c "import urllib.request as u; open('$work/openapi.json', 'wb').write(u.urlopen('$base/openapi.json').read())"

echo "-- a. the document is valid OpenAPI 3.1"
"$venv/bin/openapi-spec-validator" --schema 3.1 "$work/openapi.json"

# A person (a JWT of the local issuer), their workspace, and a workspace API
# token acting on it: the credential Schemathesis sends.
jwt=$("$bin" mint-jwt --sub usr_contract --data-dir "$work/data")
token=$("$py" - "$base" "$jwt" <<'EOF'
import json, sys, urllib.request

base, jwt = sys.argv[1:]

def post(path, body, **headers):
    req = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {jwt}", "Content-Type": "application/json", **headers},
    )
    with urllib.request.urlopen(req) as resp:
        return json.load(resp)

ws = post("/workspaces", {"name": "contract"})["id"]
print(post("/api_tokens", {"name": "schemathesis"}, **{"Akua-Context": ws})["token"])
print(post("/api_tokens", {"name": "schemathesis-roll"}, **{"Akua-Context": ws})["token"])
EOF
)
roll_token=$(echo "$token" | sed -n 2p)
token=$(echo "$token" | sed -n 1p)

echo "-- b. Schemathesis: every phase, every check"
# Every check runs (the default); schemathesis.toml lists the few answers it
# takes beyond the defaults on some operations, each with its reason (a
# --checks option here would override it).
# Revoking and rolling a token are tested last and alone: the run's own token is listed,
# so a revocation the tool makes can end the run's credential, after which
# every request would only test the 401.
schemathesis() {
  # From the temporary folder: Schemathesis keeps its state in ./.schemathesis.
  # One worker: with two threads, Python 3.11's `ast` parser (which
  # Hypothesis calls to describe strategies) now and then fails with
  # "AST constructor recursion depth mismatch", an interpreter race.
  (cd "$work" && "$venv/bin/schemathesis" --config-file "$here/schemathesis.toml" run "$work/openapi.json" \
    --url "$base" \
    --header "Authorization: Bearer ${run_token:-$token}" \
    --phases examples,coverage,fuzzing,stateful \
    --max-examples 25 \
    --seed 1 \
    --workers 1 \
    --warnings off \
    "$@")
}
# Platform introspection takes an AWS signature, which API Gateway verifies
# and akua-local cannot (every call there is API Gateway's 404 for an
# unsigned one): tests/tests/introspection.rs drives it with the event API
# Gateway sends instead.
schemathesis --exclude-operation-id apiTokens.revoke --exclude-operation-id apiTokens.roll \
  --exclude-operation-id platform.introspect
"$py" - "$base" "$token" <<'EOF'
import sys, urllib.error, urllib.request

base, token = sys.argv[1:]
req = urllib.request.Request(base + "/api_tokens", headers={"Authorization": f"Bearer {token}"})
try:
    urllib.request.urlopen(req).close()
except urllib.error.HTTPError as e:
    sys.exit(f"the run's token stopped working ({e.code}): the run tested little beyond 401")
EOF
# Rolling with no grace ends the secret in use: its own run, its own token.
run_token=$roll_token schemathesis --include-operation-id apiTokens.roll
schemathesis --include-operation-id apiTokens.revoke

echo "-- c. a generated Python client: a workspace token's life"
printf 'package_name_override: akua_client\nproject_name_override: akua-client\npost_hooks: []\n' >"$work/client.yaml"
"$venv/bin/openapi-python-client" generate --path "$work/openapi.json" --config "$work/client.yaml" \
  --meta setup --output-path "$work/client" --fail-on-warning
# The client's dependencies (httpx, attrs) are openapi-python-client's own.
"$venv/bin/pip" install -q --force-reinstall --no-deps "$work/client"
"$py" "$here/client_walkthrough.py" "$base" "$("$bin" mint-jwt --sub usr_walkthrough --data-dir "$work/data")"
