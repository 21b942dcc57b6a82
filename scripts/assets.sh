#!/usr/bin/env bash
# Generates the release artefacts that come from the command-line definition itself into
# target/assets/: the man page, bash / zsh / fish completions, and the example config.
#
#   scripts/assets.sh [path/to/twinview]      # default: target/release/twinview
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-target/release/twinview}"
mkdir -p target/assets
"$BIN" man > target/assets/twinview.1
"$BIN" completions bash > target/assets/twinview.bash
"$BIN" completions zsh > target/assets/_twinview
"$BIN" completions fish > target/assets/twinview.fish
"$BIN" config --example > target/assets/config.example.toml
ls -l target/assets >&2
