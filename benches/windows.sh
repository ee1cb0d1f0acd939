#!/usr/bin/env bash
# awsenv.exe under wine: `assume` of a static profile beside `--version`, in many alternating
# runs (a warm wine starts a Rust .exe in 20–170 ms depending on load, so the two are timed
# in turn and compared by median). Prints one table.
# Usage: benches/windows.sh [path/to/awsenv.exe]   (default: builds the release awsenv.exe)
set -euo pipefail
cd "$(dirname "$0")/.."

exe=${1:-}
if [ -z "$exe" ]; then
	cargo build --release --locked --quiet --target x86_64-pc-windows-gnu
	exe=$PWD/target/x86_64-pc-windows-gnu/release/awsenv.exe
fi
.ci/wine --setup
export WINEPREFIX=$PWD/target/wine WINEDEBUG=-all
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '[static]\naws_access_key_id = AKIABENCHEXAMPLE0001\naws_secret_access_key = bench/secret\n' \
	>"$work/credentials"
: >"$work/config"
export AWS_SHARED_CREDENTIALS_FILE="Z:${work//\//\\}\\credentials"
export AWS_CONFIG_FILE="Z:${work//\//\\}\\config"

python3 - "$exe" "${WINE_RUNS:-200}" <<'PY'
import statistics, subprocess, sys, time
exe, runs = sys.argv[1], int(sys.argv[2])
commands = {
    "awsenv.exe --version": ["wine", exe, "--version"],
    "awsenv.exe assume static --shell powershell": ["wine", exe, "assume", "static", "--shell", "powershell"],
}
times = {name: [] for name in commands}
with open("/dev/null", "wb") as null:
    for name, argv in commands.items():  # warm up
        subprocess.run(argv, stdout=null, stderr=null, check=True)
    for _ in range(runs):
        for name, argv in commands.items():
            start = time.perf_counter()
            subprocess.run(argv, stdout=null, stderr=null, check=True)
            times[name].append((time.perf_counter() - start) * 1000)
print(f"| under wine, {runs} alternating runs | median [ms] | p25 [ms] | p75 [ms] |")
print("|:---|---:|---:|---:|")
for name, ms in times.items():
    q = statistics.quantiles(ms, n=4)
    print(f"| {name} | {statistics.median(ms):.1f} | {q[0]:.1f} | {q[2]:.1f} |")
names = list(times)
pairs = [b - a for a, b in zip(times[names[0]], times[names[1]])]
print(f"| difference (assume − --version), median of pairs | {statistics.median(pairs):.1f} | | |")
PY
