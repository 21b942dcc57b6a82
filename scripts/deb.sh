#!/usr/bin/env bash
# Builds the Debian package: the release binary, then the assets generated from it (man page,
# completions, example config) into target/assets/, then `cargo deb --no-build`.
#
#   scripts/deb.sh            # → target/debian/twinview_<version>_<arch>.deb
#
# Needs cargo-deb (`cargo install cargo-deb`).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-deb >/dev/null || { echo "cargo-deb is needed: cargo install cargo-deb" >&2; exit 2; }
cargo build --release --locked
scripts/assets.sh target/release/twinview
cargo deb --no-build --locked --strip "$@"
