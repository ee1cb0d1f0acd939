#!/usr/bin/env bash
# Linux release builds side by side: the default (dynamic glibc, PIE), non-PIE dynamic,
# static glibc, and static musl (static-pie as Rust builds it, and non-PIE). Each must resolve `localhost` and verify TLS against the
# roots it reads from SSL_CERT_FILE (a fresh assume through a TLS proxy to moto); then
# `awsenv prompt` and a cache-hit `assume` of each are timed in one hyperfine run with
# `/bin/true`. Builds land in target/bench-*/ and are reused.
# Usage: benches/builds.sh   (needs hyperfine, openssl, .venv with moto)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

host=x86_64-unknown-linux-gnu
declare -A flags=(
	[default]=""
	[nopie]="-C relocation-model=static"
	["static-glibc"]="-C target-feature=+crt-static -C relocation-model=static"
)
declare -A bins
for variant in default nopie static-glibc; do
	RUSTFLAGS=${flags[$variant]} cargo build --release --locked --quiet --target $host \
		--target-dir "target/bench-$variant" 2>"$work/$variant.build" || {
		cat "$work/$variant.build" >&2
		exit 1
	}
	bins[$variant]=$root/target/bench-$variant/$host/release/awsenv
done
# Rust's own musl default (static-pie): an empty RUSTFLAGS overrides .cargo/config.toml.
RUSTFLAGS="" cargo build --release --locked --quiet --target x86_64-unknown-linux-musl
bins[musl]=$root/target/x86_64-unknown-linux-musl/release/awsenv
# What install.sh builds, with .cargo/config.toml's flags.
RUSTFLAGS="-C relocation-model=static" cargo build --release --locked --quiet \
	--target x86_64-unknown-linux-musl --target-dir target/bench-musl-nopie
bins["musl-nopie"]=$root/target/bench-musl-nopie/x86_64-unknown-linux-musl/release/awsenv

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
moto_port=$(free_port)
.venv/bin/moto_server -H 127.0.0.1 -p "$moto_port" >/dev/null 2>&1 &
pids+=($!)
# A CA of the bench's own, and a certificate for localhost that it signs.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=awsenv-bench-ca \
	-keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout "$work/key.pem" \
	-out "$work/leaf.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$work/leaf.ext"
openssl x509 -req -in "$work/leaf.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
	-days 1 -extfile "$work/leaf.ext" -out "$work/cert.pem" 2>/dev/null
tls_port=$(free_port)
# A TLS proxy for moto, with a certificate only SSL_CERT_FILE vouches for.
python3 - "$tls_port" "$moto_port" "$work" <<'PY' &
import socket, ssl, sys, threading, time
tls_port, moto_port, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(f"{work}/cert.pem", f"{work}/key.pem")
server = socket.create_server(("127.0.0.1", tls_port))
end = time.time() + 900
def pipe(a, b):
    try:
        while data := a.recv(65536):
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try: s.shutdown(socket.SHUT_RDWR)
            except OSError: pass
while time.time() < end:
    server.settimeout(end - time.time())
    try:
        conn, _ = server.accept()
        tls = ctx.wrap_socket(conn, server_side=True)
    except (OSError, ssl.SSLError):
        continue
    moto = socket.create_connection(("127.0.0.1", moto_port))
    threading.Thread(target=pipe, args=(tls, moto), daemon=True).start()
    threading.Thread(target=pipe, args=(moto, tls), daemon=True).start()
PY
pids+=($!)
for _ in $(seq 100); do
	curl -s -o /dev/null "http://127.0.0.1:$moto_port/" && break
	sleep 0.1
done

export HOME=$work/home AWSENV_CACHE_DIR=$work/cache
export AWS_CONFIG_FILE=$HOME/.aws/config AWS_SHARED_CREDENTIALS_FILE=$HOME/.aws/credentials
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWSENV_PROFILE
mkdir -p "$HOME/.aws"
printf '[profile role]\nrole_arn = arn:aws:iam::123456789012:role/bench\nsource_profile = static\n' >"$AWS_CONFIG_FILE"
printf '[static]\naws_access_key_id = AKIABENCHEXAMPLE0001\naws_secret_access_key = bench/secret\n' \
	>"$AWS_SHARED_CREDENTIALS_FILE"

echo "| build | size [MiB] | localhost + TLS roots from SSL_CERT_FILE |"
echo "|:---|---:|:---|"
for variant in default nopie static-glibc musl musl-nopie; do
	bin=${bins[$variant]}
	if SSL_CERT_FILE=$work/ca.pem AWS_ENDPOINT_URL_STS=https://localhost:$tls_port \
		"$bin" assume role --refresh --shell sh >"$work/out" 2>"$work/err" &&
		grep -q AWS_SESSION_TOKEN "$work/out"; then
		check=ok
	else
		check="FAILS: $(head -c 200 "$work/err")"
	fi
	if grep -qs "statically linked applications requires at runtime" "$work/$variant.build"; then
		check="$check; the linker warns: getaddrinfo needs this very glibc at run time"
	fi
	printf '| %s | %.1f | %s |\n' "$variant" "$(stat -c %s "$bin" | awk '{print $1 / 1048576}')" "$check"
done
echo

export AWS_ENDPOINT_URL_STS=http://127.0.0.1:$moto_port
"${bins[default]}" assume role --shell sh >/dev/null
export AWSENV_PROFILE=prod AWSENV_EXPIRES_AT=$(($(date +%s) + 2520))
commands=(-n /bin/true /bin/true)
for variant in default nopie static-glibc musl musl-nopie; do
	commands+=(-n "prompt, $variant" "${bins[$variant]} prompt")
	commands+=(-n "assume (cache hit), $variant" "${bins[$variant]} assume role --shell bash")
done
hyperfine -N --style none --warmup 20 --runs 300 --export-json "$work/times.json" "${commands[@]}" >/dev/null
python3 - "$work/times.json" <<'PY'
import json, statistics, sys
results = json.load(open(sys.argv[1]))["results"]
floor = statistics.median(results[0]["times"])
print("| command | median [ms] | × /bin/true |")
print("|:---|---:|---:|")
for r in results:
    m = statistics.median(r["times"])
    print(f"| {r['command']} | {m * 1000:.2f} | {m / floor:.2f} |")
PY
