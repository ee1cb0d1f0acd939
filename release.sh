#!/usr/bin/env bash
# Build awsenv's release artifacts, for the version in Cargo.toml, into OUTDIR (default
# target/dist): an archive per target (awsenv-VERSION-TARGET.tar.gz, or .zip for Windows)
# holding the binary, README, licences, man pages, completions and init scripts; a .deb per
# Linux target (cargo-deb); awsenv-installer.sh; awsenv.rb (Homebrew) and awsenv.json (Scoop)
# with this build's hashes; SHA256SUMS over all of them.
#
# Here it builds x86_64-unknown-linux-musl (the static, non-PIE build install.sh makes, with
# .cargo/config.toml's flags) and x86_64-pc-windows-gnu. The release workflow sets
# AWSENV_RELEASE_TARGETS to each machine's own target, then runs `--manifests` once over
# every machine's archives.
#
# Two runs on one commit give identical bytes: SOURCE_DATE_EPOCH is the commit's time,
# entries are sorted, owned by 0:0 with fixed modes, gzip stores no name or time, and the
# source and cargo home paths are remapped in the binaries.
# Usage: ./release.sh [OUTDIR]    ./release.sh --manifests DIR
set -euo pipefail
umask 022
export LC_ALL=C TZ=UTC
# These would replace .cargo/config.toml's flags instead of joining them (see rustflags).
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
cd "$(dirname "$0")"
root=$PWD

# The shells awsenv writes completion files for, one word each (file names: completion_file).
shells="bash zsh fish powershell nu elvish xonsh tcsh"

completion_file() {
	case $1 in
	bash) echo awsenv.bash ;;
	zsh) echo _awsenv ;;
	fish) echo awsenv.fish ;;
	powershell) echo _awsenv.ps1 ;;
	nu) echo awsenv.nu ;;
	elvish) echo awsenv.elv ;;
	xonsh) echo awsenv.xsh ;;
	tcsh) echo awsenv.tcsh ;;
	*)
		echo "release: no completion file name for $1" >&2
		return 1
		;;
	esac
}

manifest_field() {
	sed -n "s/^$1 = \"\\([^\"]*\\)\"$/\\1/p" Cargo.toml | head -n1
}
version=$(manifest_field version)
repository=$(manifest_field repository)
description=$(manifest_field description)
release_url="$repository/releases/download/v$version"
targets=${AWSENV_RELEASE_TARGETS:-x86_64-unknown-linux-musl x86_64-pc-windows-gnu}
target_dir=$root/target
assets=$target_dir/release-assets

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)
fi
export SOURCE_DATE_EPOCH
commit=$(git rev-parse HEAD)
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	echo "release: the tree has uncommitted changes; this build is not commit $commit" >&2
	commit="$commit-dirty"
fi
# cargo-deb, where .ci/run installs it when no other is on PATH.
PATH=$PATH:$root/.tools/cargo-deb/bin

archive_name() {
	echo "awsenv-$version-$1"
}

exe_suffix() {
	case $1 in
	*-windows-*) echo .exe ;;
	*) echo ;;
	esac
}

# Flags on top of .cargo/config.toml's for TARGET (cargo joins the two lists), as TOML.
rustflags() {
	local cargo_home=${CARGO_HOME:-$HOME/.cargo}
	local flags=("--remap-path-prefix=$root=/awsenv" "--remap-path-prefix=$cargo_home=/cargo")
	case $1 in
	*-windows-gnu) flags+=("-Clink-arg=-Wl,--no-insert-timestamp") ;;
	*-windows-msvc) flags+=(-Ctarget-feature=+crt-static -Clink-arg=/Brepro) ;;
	esac
	local toml='' flag
	for flag in "${flags[@]}"; do
		toml+="${toml:+, }\"$flag\""
	done
	echo "[$toml]"
}

build() {
	echo "release: cargo build --release --target $1" >&2
	AWSENV_COMMIT=$commit cargo build --locked --release --target "$1" \
		--config "target.$1.rustflags=$(rustflags "$1")"
}

binary() {
	echo "$target_dir/$1/release/awsenv$(exe_suffix "$1")"
}

# Man pages, completion files and init scripts, written by BINARY into DIR.
generate_assets() {
	local bin=$1 dir=$2 shell
	rm -rf "$dir"
	mkdir -p "$dir/completions" "$dir/shell"
	"$bin" generate-man "$dir/man"
	for shell in $shells; do
		"$bin" completions "$shell" >"$dir/completions/$(completion_file "$shell")"
	done
	cp shell/* "$dir/shell/"
}

# Give every file and folder under DIR the commit's time and a fixed mode.
normalize() {
	find "$1" -type d -exec chmod 755 {} +
	find "$1" -type f -exec chmod 644 {} +
	find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}

# The archive's folder for TARGET in STAGE: binary, README, licences, and what is fit for
# its platform of the generated assets.
stage() {
	local target=$1 stage=$2 bin top
	bin=$(binary "$target")
	top=$stage/$(archive_name "$target")
	rm -rf "$stage"
	mkdir -p "$top/completions"
	cp "$bin" README.md LICENSE-MIT LICENSE-APACHE "$top/"
	case $target in
	*-windows-*)
		cp "$assets/completions/_awsenv.ps1" "$top/completions/"
		;;
	*)
		cp -R "$assets/man" "$assets/shell" "$top/"
		cp "$assets"/completions/* "$top/completions/"
		;;
	esac
	normalize "$stage"
	chmod 755 "$top/$(basename "$bin")"
}

package() {
	local target=$1 out=$2 stage=$target_dir/release-stage name
	name=$(archive_name "$target")
	stage "$target" "$stage"
	case $target in
	*-windows-*)
		rm -f "$out/$name.zip"
		(cd "$stage" && find "$name" | sort | zip -X -q -9 -@ "$out/$name.zip")
		;;
	*)
		tar -C "$stage" --sort=name --format=gnu --owner=0 --group=0 --numeric-owner \
			--mtime="@$SOURCE_DATE_EPOCH" -cf - "$name" | gzip -n -9 >"$out/$name.tar.gz"
		;;
	esac
	rm -rf "$stage"
}

deb() {
	local target=$1 out=$2
	# cargo-deb's assets point at target/release-assets (Cargo.toml); it gzips the man pages.
	cat >"$assets/changelog" <<-EOF
		awsenv ($version-1) unstable; urgency=medium

		  * awsenv $version, commit $commit.

		 -- $(manifest_field maintainer)  $(date -u -R -d "@$SOURCE_DATE_EPOCH")
	EOF
	touch -d "@$SOURCE_DATE_EPOCH" "$assets/changelog"
	# --fast: xz at a lower level, and gzip instead of zopfli for the man pages: a minute less
	# on two cores, for a .deb a fifth larger.
	cargo deb --fast --no-build --no-strip --target "$target" --output "$out/" >&2
}

sha256() {
	if command -v sha256sum >/dev/null; then
		sha256sum "$1" | cut -d' ' -f1
	else
		shasum -a 256 "$1" | cut -d' ' -f1
	fi
}

installer() {
	sed -e "s|@VERSION@|$version|g" -e "s|@DOWNLOAD_URL@|$release_url|g" \
		packaging/awsenv-installer.sh >"$1/awsenv-installer.sh"
	chmod 755 "$1/awsenv-installer.sh"
}

# The `url`/`sha256` pair of the formula for TARGET's archive in OUT, if it is there.
formula_platform() {
	local out=$1 target=$2 file
	file=$(archive_name "$target").tar.gz
	[ -f "$out/$file" ] || return 0
	printf '      url "%s/%s"\n      sha256 "%s"\n' "$release_url" "$file" "$(sha256 "$out/$file")"
}

formula_block() {
	local out=$1 os=$2 arm=$3 intel=$4 arm_lines intel_lines
	arm_lines=$(formula_platform "$out" "$arm")
	intel_lines=$(formula_platform "$out" "$intel")
	[ -n "$arm_lines$intel_lines" ] || return 0
	echo "  on_$os do"
	[ -z "$arm_lines" ] || printf '    on_arm do\n%s\n    end\n' "$arm_lines"
	[ -z "$intel_lines" ] || printf '    on_intel do\n%s\n    end\n' "$intel_lines"
	echo "  end"
	echo
}

formula() {
	local out=$1
	{
		echo "# Homebrew formula for awsenv $version, written by release.sh with this build's hashes."
		echo "class Awsenv < Formula"
		echo "  desc \"$description\""
		echo "  homepage \"$repository\""
		echo "  version \"$version\""
		echo "  license any_of: [\"MIT\", \"Apache-2.0\"]"
		echo
		formula_block "$out" macos aarch64-apple-darwin x86_64-apple-darwin
		formula_block "$out" linux aarch64-unknown-linux-musl x86_64-unknown-linux-musl
		cat <<-'EOF'
			  def install
			    bin.install "awsenv"
			    man1.install Dir["man/*.1"]
			    generate_completions_from_executable(bin/"awsenv", "completions")
			  end

			  test do
			    assert_match "awsenv #{version}", shell_output("#{bin}/awsenv --version")
			  end
			end
		EOF
	} >"$out/awsenv.rb"
}

scoop() {
	local out=$1 target=x86_64-pc-windows-msvc
	[ -f "$out/$(archive_name "$target").zip" ] || target=x86_64-pc-windows-gnu
	local file
	file=$(archive_name "$target").zip
	[ -f "$out/$file" ] || return 0
	cat >"$out/awsenv.json" <<-EOF
		{
		    "version": "$version",
		    "description": "$description",
		    "homepage": "$repository",
		    "license": "MIT|Apache-2.0",
		    "architecture": {
		        "64bit": {
		            "url": "$release_url/$file",
		            "hash": "$(sha256 "$out/$file")",
		            "extract_dir": "$(archive_name "$target")"
		        }
		    },
		    "bin": "awsenv.exe",
		    "checkver": "github",
		    "autoupdate": {
		        "architecture": {
		            "64bit": {
		                "url": "$repository/releases/download/v\$version/awsenv-\$version-$target.zip",
		                "extract_dir": "awsenv-\$version-$target"
		            }
		        },
		        "hash": {
		            "url": "\$baseurl/SHA256SUMS"
		        }
		    }
		}
	EOF
}

# The installer, formula, manifest and SHA256SUMS for the archives and packages in OUT.
manifests() {
	local out=$1
	installer "$out"
	formula "$out"
	scoop "$out"
	(
		cd "$out"
		rm -f SHA256SUMS
		sums=
		for file in *; do
			[ -f "$file" ] && sums+="$(sha256 "$file")  $file"$'\n'
		done
		printf '%s' "$sums" >SHA256SUMS
	)
}

if [ "${1:-}" = --manifests ]; then
	manifests "$(cd "${2:?usage: ./release.sh --manifests DIR}" && pwd)"
	exit 0
fi

out=${1:-target/dist}
mkdir -p "$out"
out=$(cd "$out" && pwd)
# Only this run's artifacts in OUTDIR, and so in SHA256SUMS.
rm -f "$out"/awsenv-* "$out"/awsenv_*.deb "$out"/awsenv.rb "$out"/awsenv.json "$out"/SHA256SUMS

for target in $targets; do
	build "$target"
done
# The assets come from whichever of this build's binaries runs on this machine.
docs_bin=
for target in $targets; do
	if "$(binary "$target")" --version >/dev/null 2>&1; then
		docs_bin=$(binary "$target")
		break
	fi
done
if [ -z "$docs_bin" ]; then
	echo "release: none of the binaries for $targets runs here to write the man pages" >&2
	exit 1
fi
generate_assets "$docs_bin" "$assets"
normalize "$assets"

for target in $targets; do
	package "$target" "$out"
	case $target in
	*-linux-*) deb "$target" "$out" ;;
	esac
done
manifests "$out"
echo "release: awsenv $version ($commit) in $out:" >&2
(cd "$out" && ls -l)
