#!/usr/bin/env bash
# Two awsenv binaries side by side on the prompt's critical path, in one hyperfine run each:
# `awsenv prompt` and a cache-hit `assume` of a role profile, so that a change to how
# profiles resolve or clients are built shows whether the hot paths kept their speed. Each
# binary gets a cache of its own, filled once from a local moto STS.
# Usage: benches/compare.sh BEFORE AFTER   (needs hyperfine, .venv with moto)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
ln -s "$(realpath "$1")" "$work/before"
ln -s "$(realpath "$2")" "$work/after"
moto_pid=
cleanup() {
	[ -z "$moto_pid" ] || kill "$moto_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

export HOME=$work/home
export AWS_CONFIG_FILE=$HOME/.aws/config AWS_SHARED_CREDENTIALS_FILE=$HOME/.aws/credentials
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWSENV_PROFILE
mkdir -p "$HOME/.aws"
cat >"$AWS_CONFIG_FILE" <<'INI'
[profile static]
region = eu-west-1
[profile role]
role_arn = arn:aws:iam::123456789012:role/bench
source_profile = static
region = eu-west-1
INI
cat >"$AWS_SHARED_CREDENTIALS_FILE" <<'INI'
[static]
aws_access_key_id = AKIABENCHEXAMPLE0001
aws_secret_access_key = bench/secret/key/that/is/forty/characters
INI

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
.venv/bin/moto_server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto_pid=$!
for _ in $(seq 100); do
	curl -s -o /dev/null "http://127.0.0.1:$port/" && break
	sleep 0.1
done
for which in before after; do
	AWSENV_CACHE_DIR=$work/cache-$which AWS_ENDPOINT_URL_STS=http://127.0.0.1:$port \
		"$work/$which" assume role --shell bash >/dev/null
done
kill "$moto_pid"
wait "$moto_pid" 2>/dev/null || true
moto_pid=
# The same endpoint (it is part of the cache key), where nothing answers now: a cache hit
# that went to STS would fail the run.
export AWS_ENDPOINT_URL_STS=http://127.0.0.1:$port

# The prompt's input: a session with 42 minutes left.
session="AWSENV_PROFILE=prod AWSENV_EXPIRES_AT=$(($(date +%s) + 2520))"
echo "| command | before [ms] | after [ms] | after/before |"
echo "|:---|---:|---:|---:|"
for cmd in "prompt" "assume role --shell bash"; do
	vars=
	[ "$cmd" != prompt ] || vars=$session
	# shellcheck disable=SC2016 # hyperfine's own parameter, expanded by hyperfine
	hyperfine -N --style none --warmup 20 --runs 400 --export-json "$work/out.json" \
		-L which before,after \
		"env $vars AWSENV_CACHE_DIR=$work/cache-{which} $work/{which} $cmd" \
		>/dev/null 2>"$work/err" || {
		cat "$work/err" >&2
		exit 1
	}
	python3 - "$work/out.json" "$cmd" <<'PY'
import json, statistics, sys
r = json.load(open(sys.argv[1]))["results"]
b, a = (statistics.median(x["times"]) * 1000 for x in r)
print(f"| `awsenv {sys.argv[2]}` | {b:.2f} | {a:.2f} | {a / b:.2f} |")
PY
done
