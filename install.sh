#!/usr/bin/env bash
# Build and install awsenv into ~/.cargo/bin. On x86_64 Linux: a static musl binary, not
# position-independent, which starts fastest (benches/builds.sh compares the builds); this
# adds rustup's x86_64-unknown-linux-musl target and, on Debian, the musl-tools package its
# C dependencies build with (with sudo unless root). Elsewhere: `cargo install` as it is.
# Usage: ./install.sh
set -euo pipefail
cd "$(dirname "$0")"

if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
	exec cargo install --locked --path .
fi
target=x86_64-unknown-linux-musl
if ! command -v musl-gcc >/dev/null && command -v apt-get >/dev/null; then
	sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	"${sudo[@]}" apt-get update -qq
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq musl-tools >/dev/null
fi
rustup target list --installed | grep -qx "$target" || rustup target add "$target"
cargo install --locked --path . --target "$target"
