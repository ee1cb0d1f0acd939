#!/usr/bin/env bash
# The prompt hook's fast path: µs per `_awsenv_hook` call in bash and zsh (10,000 calls in
# one shell), fish, nushell, elvish and xonsh (1,000) and tcsh (200), with a session far
# from expiry, and the forks 100 calls make (strace). Then `awsenv prompt` as a process
# (hyperfine), and the prompt during an AWSENV_AUTO=refresh renewal against an STS that
# answers after 4 s. Prints tables. A shell that is not installed is left out.
# Usage: benches/hook.sh [path/to/awsenv]   (default: builds target/release/awsenv)
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${1:-}
if [ -z "$bin" ]; then
	cargo build --release --locked --quiet
	bin=$PWD/target/release/awsenv
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" init bash >"$work/init.bash"
"$bin" init zsh >"$work/init.zsh"
"$bin" init fish >"$work/init.fish"
"$bin" init nu >"$work/init.nu"
"$bin" init xonsh >"$work/init.xsh"
"$bin" init tcsh >"$work/init.tcsh"
# elvish's line editor exists only in an interactive shell: the functions alone, without
# the lines that register them with it.
awk '/^edit:add-var awsenv~/ { skip = 1 } skip && /^}/ { skip = 0; next }
	/^edit:add-var _awsenv_hook~/ { exit } !skip' <("$bin" init elvish) >"$work/init.elv"
nu=$PWD/.tools/npm/node_modules/.bin/nu
xonsh=$PWD/.venv/bin/xonsh

export AWSENV_PROFILE=prod AWSENV_EXPIRES_AT=$(($(date +%s) + 7200)) AWSENV_AUTO=warn
unset AWSENV_WARN

# Seconds for N calls, measured inside the shell itself.
loop_bash() {
	bash --norc --noprofile -c "source '$work/init.bash'
		s=\$EPOCHREALTIME; for ((i = 0; i < $1; i++)); do _awsenv_hook; done
		echo \"\$s \$EPOCHREALTIME\""
}
loop_zsh() {
	zsh -f -c "source '$work/init.zsh'
		s=\$EPOCHREALTIME; for ((i = 0; i < $1; i++)); do _awsenv_hook; done
		echo \"\$s \$EPOCHREALTIME\""
}
loop_fish() {
	fish --no-config -c "source '$work/init.fish'
		set s (date +%s.%N); for i in (seq $1); _awsenv_hook; end
		echo \$s (date +%s.%N)"
}
loop_nu() {
	"$nu" -n --no-std-lib -c "source '$work/init.nu'
		let s = (date now | into int); for i in 0..<$1 { _awsenv_hook }
		print \$'(\$s / 1e9) ((date now | into int) / 1e9)'"
}
loop_elvish() {
	{
		cat "$work/init.elv"
		echo "time &on-end={|d| echo 0 \$d } { for i [(range $1)] { _awsenv_hook } }"
	} >"$work/loop.elv"
	elvish -norc "$work/loop.elv"
}
loop_xonsh() {
	"$xonsh" --no-rc -c "execx(open('$work/init.xsh').read(), 'exec', __xonsh__.ctx, filename='awsenv')
import time
s = time.time()
for i in range($1):
    _awsenv_hook()
print(s, time.time())"
}
loop_tcsh() {
	# tcsh code, expanded by tcsh:
	# shellcheck disable=SC2016
	printf '%s\n' "set awsenv_init = '$work/init.tcsh'" "source '$work/init.tcsh'" \
		'set s = `date +%s.%N`' '@ i = 0' "while (\$i < $1)" '_awsenv_hook' '@ i++' 'end' \
		'echo $s `date +%s.%N`' >"$work/loop.tcsh"
	tcsh -f "$work/loop.tcsh"
}

# "forks / execs" of 100 calls, less those of the same shell making no call.
forks() {
	local shell=$1 with=() without=()
	read -ra with <<<"$(count "$shell" 100)"
	read -ra without <<<"$(count "$shell" 0)"
	echo "$((with[0] - without[0])) / $((with[1] - without[1]))"
}
count() {
	strace -f -c -e trace=clone,clone3,fork,vfork,execve -o "$work/strace" \
		bash -c "$(declare -f "loop_$1"); work='$work' nu='$nu' xonsh='$xonsh'; loop_$1 $2" >/dev/null
	awk '$NF ~ /^(clone|clone3|fork|vfork)$/ { f += $4 } $NF == "execve" { e += $4 }
		END { print f + 0, e + 0 }' "$work/strace"
}

per_call() {
	local n=$2 times
	times=$("loop_$1" "$n")
	awk -v n="$n" '{ printf "%.1f", ($2 - $1) * 1e6 / n }' <<<"$times"
}

echo "## prompt hook fast path (session 2 h from expiry)"
echo
echo "| shell | calls | µs per call | forks / execs per 100 calls |"
echo "|---|---:|---:|---:|"
for shell in bash zsh fish nu elvish xonsh tcsh; do
	exe=$shell
	case "$shell" in
	nu) exe=$nu ;;
	xonsh) exe=$xonsh ;;
	esac
	command -v "$exe" >/dev/null || continue
	version=--version
	[ "$shell" != elvish ] || version=-version
	n=10000
	case "$shell" in
	bash | zsh) ;;
	tcsh) n=200 ;;
	*) n=1000 ;;
	esac
	printf '| %s %s | %d | %s | %s |\n' "$shell" \
		"$("$exe" "$version" | head -n 1 | grep -oE '[0-9]+\.[0-9]+(\.[0-9]+)?' | head -n 1)" \
		"$n" "$(per_call "$shell" "$n")" "$(forks "$shell")"
done
echo
if command -v hyperfine >/dev/null; then
	hyperfine -N --warmup 20 --min-runs 300 --style basic --export-json "$work/prompt.json" \
		-n 'awsenv prompt (2 h left)' "$bin prompt" \
		-n 'awsenv prompt --shell bash' "$bin prompt --shell bash" >/dev/null 2>&1
	echo "| command | median [ms] | mean [ms] | min [ms] |"
	echo "|---|---:|---:|---:|"
	python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print("| %s | %.2f | %.2f | %.2f |" % (r["command"], r["median"] * 1e3, r["mean"] * 1e3, r["min"] * 1e3))
' "$work/prompt.json"
fi

# The prompt while a renewal runs (AWSENV_AUTO=refresh) against an STS that answers after
# 4 s: the hook call that starts the renewal, the slowest of those after it (one every 50 ms,
# the one that applies the new keys included), and how long until the keys changed.
echo
echo "## prompt during a renewal (AWSENV_AUTO=refresh, STS answers after 4 s)"
echo
mkdir -p "$work/aws"
printf '[profile dev]\nregion = eu-west-1\n[profile ops]\nrole_arn = arn:aws:iam::123456789012:role/ops\nsource_profile = dev\n' >"$work/aws/config"
printf '[dev]\naws_access_key_id = AKIDBENCH\naws_secret_access_key = s\n' >"$work/aws/credentials"
python3 benches/slow_sts.py 4 >"$work/sts.port" &
sts_pid=$!
trap 'kill "$sts_pid" 2>/dev/null; rm -rf "$work"' EXIT
until [ -s "$work/sts.port" ]; do sleep 0.05; done
# One line per hook call, "start end" in seconds: the first starts the renewal, the calls
# after it (every 50 ms) run until the new keys are in.
renewing() (
	PATH="$(dirname "$bin"):$PATH"
	AWS_ENDPOINT_URL_STS=http://127.0.0.1:$(cat "$work/sts.port")
	export PATH AWS_ENDPOINT_URL_STS AWS_CONFIG_FILE=$work/aws/config AWSENV_AUTO=refresh
	export AWS_SHARED_CREDENTIALS_FILE=$work/aws/credentials AWSENV_CACHE_DIR=$work/cache-$1
	export AWSENV_PROFILE=ops AWS_ACCESS_KEY_ID=ASIAOLD AWSENV_EXPIRES_AT=$(($(date +%s) + 120))
	unset XDG_RUNTIME_DIR AWSENV_STS_TIMEOUT
	case "$1" in
	bash) bash --norc --noprofile -c "source '$work/init.bash'
		t() { local s=\$EPOCHREALTIME; _awsenv_hook; echo \"\$s \$EPOCHREALTIME\"; }
		t; while [ \"\$AWS_ACCESS_KEY_ID\" = ASIAOLD ]; do sleep 0.05; t; done" ;;
	zsh) zsh -f -c "source '$work/init.zsh'
		t() { local s=\$EPOCHREALTIME; _awsenv_hook; echo \"\$s \$EPOCHREALTIME\"; }
		t; while [ \"\$AWS_ACCESS_KEY_ID\" = ASIAOLD ]; do sleep 0.05; t; done" ;;
	fish) fish --no-config -c "source '$work/init.fish'
		function t; set -l s (date +%s.%N); _awsenv_hook; echo \$s (date +%s.%N); end
		t; while test \"\$AWS_ACCESS_KEY_ID\" = ASIAOLD; sleep 0.05; t; end" ;;
	esac
)
echo "| shell | hook that starts it [ms] | slowest hook while it runs [ms] | new keys after [s] |"
echo "|---|---:|---:|---:|"
for shell in bash zsh fish; do
	renewing "$shell" | awk -v shell="$shell" '
		NR == 1 { first = ($2 - $1) * 1e3; t0 = $1 }
		NR > 1 && ($2 - $1) * 1e3 > max { max = ($2 - $1) * 1e3 }
		{ t1 = $2 }
		END { printf "| %s | %.1f | %.1f | %.2f |\n", shell, first, max, t1 - t0 }'
done
echo
echo "(Before the renewal ran in the background, that prompt waited for STS: 4.04 s. fish's"
echo "times include the two \`date\` processes that measure them.)"
