#!/bin/sh
# Install awsenv @VERSION@ without Rust: picks the release archive for this machine, downloads
# it and SHA256SUMS, refuses any mismatch (exit 1, nothing installed), then puts awsenv into
# AWSENV_INSTALL_DIR and its man pages beside it (DIR/../share/man/man1), and prints the line
# for the shell's rc file. POSIX sh; needs curl or wget, tar, and sha256sum or shasum.
# Usage: curl -fsSL @DOWNLOAD_URL@/awsenv-installer.sh | sh
#   AWSENV_DOWNLOAD_URL  where the archives and SHA256SUMS are [default: @DOWNLOAD_URL@]
#   AWSENV_INSTALL_DIR   the folder awsenv goes into [default: ~/.local/bin]
set -eu

version='@VERSION@'
url=${AWSENV_DOWNLOAD_URL:-'@DOWNLOAD_URL@'}
bindir=${AWSENV_INSTALL_DIR:-${HOME:?HOME is not set}/.local/bin}

fail() {
	printf 'awsenv-installer: %s\n' "$*" >&2
	exit 1
}

machine_target() {
	case "$(uname -s)-$(uname -m)" in
	Linux-x86_64 | Linux-amd64) echo x86_64-unknown-linux-musl ;;
	Linux-aarch64 | Linux-arm64) echo aarch64-unknown-linux-musl ;;
	Darwin-x86_64) echo x86_64-apple-darwin ;;
	Darwin-arm64 | Darwin-aarch64) echo aarch64-apple-darwin ;;
	*) fail "no release archive for $(uname -s) $(uname -m); build from source with ./install.sh" ;;
	esac
}

download() {
	if command -v curl >/dev/null 2>&1; then
		curl -fsSL -o "$2" "$1" || fail "cannot download $1"
	elif command -v wget >/dev/null 2>&1; then
		wget -q -O "$2" "$1" || fail "cannot download $1"
	else
		fail "neither curl nor wget is installed"
	fi
}

sha256() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | cut -d' ' -f1
	elif command -v shasum >/dev/null 2>&1; then
		shasum -a 256 "$1" | cut -d' ' -f1
	else
		fail "neither sha256sum nor shasum is installed, so the download cannot be checked"
	fi
}

# The line that sets awsenv up in the user's shell (and puts the folder on PATH if needed).
rc_line() {
	shell=$(basename "${SHELL:-sh}")
	on_path=yes
	case ":${PATH:-}:" in
	*":$bindir:"*) ;;
	*) on_path=no ;;
	esac
	case $shell in
	bash | zsh)
		rc=".${shell}rc"
		path_part="export PATH=\"$bindir:\$PATH\"; "
		init="eval \"\$(awsenv init $shell)\""
		;;
	fish)
		rc=".config/fish/config.fish"
		path_part="fish_add_path $bindir; "
		init="awsenv init fish | source"
		;;
	*)
		rc=".profile"
		path_part="export PATH=\"$bindir:\$PATH\"; "
		init="eval \"\$(awsenv init sh)\""
		;;
	esac
	[ "$on_path" = yes ] && path_part=
	printf 'Add this line to ~/%s:\n\n    %s%s\n\n' "$rc" "$path_part" "$init"
}

target=$(machine_target)
name="awsenv-$version-$target"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

download "$url/$name.tar.gz" "$tmp/$name.tar.gz"
download "$url/SHA256SUMS" "$tmp/SHA256SUMS"
expected=$(awk -v file="$name.tar.gz" '$2 == file || $2 == "*" file { print $1 }' "$tmp/SHA256SUMS")
[ -n "$expected" ] || fail "SHA256SUMS has no line for $name.tar.gz; nothing installed"
actual=$(sha256 "$tmp/$name.tar.gz")
[ "$actual" = "$expected" ] ||
	fail "$name.tar.gz does not match SHA256SUMS (expected $expected, got $actual); nothing installed"

tar -xzf "$tmp/$name.tar.gz" -C "$tmp"
"$tmp/$name/awsenv" --version >/dev/null 2>&1 || fail "the downloaded awsenv does not run here; nothing installed"

mkdir -p "$bindir"
bindir=$(cd "$bindir" && pwd)
mandir=$(dirname "$bindir")/share/man/man1
mkdir -p "$mandir"
# Replace an existing awsenv in one step, so that a running shell never finds half a file.
cp "$tmp/$name/awsenv" "$bindir/.awsenv.new"
chmod 755 "$bindir/.awsenv.new"
mv -f "$bindir/.awsenv.new" "$bindir/awsenv"
for page in "$tmp/$name"/man/*.1; do
	cp "$page" "$mandir/"
done

printf 'awsenv %s is installed: %s (man pages in %s)\n' "$version" "$bindir/awsenv" "$mandir"
rc_line
