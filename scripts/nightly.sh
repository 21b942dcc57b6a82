#!/usr/bin/env bash
# The long property runs (issue #14): every property test with many more cases than the
# short runs `cargo test` does (2,000 for tests/hostile.rs, 300 for tests/adversarial.rs,
# 256 / 512 for the statistics and recording-reader properties).
#
#   scripts/nightly.sh            # 200,000 cases each (about half an hour on 2 cores)
#   CASES=20000 scripts/nightly.sh
#
# Exit status: cargo's (non-zero on any failure; proptest prints the minimal failing input
# and stores it in the test's .proptest-regressions file).
set -euo pipefail
cd "$(dirname "$0")/.."
export PROPTEST_CASES="${CASES:-200000}"
echo "property tests with PROPTEST_CASES=$PROPTEST_CASES" >&2
cargo test --release --test hostile
cargo test --release --test adversarial -- contract_net_memory_is_bounded_by_any_sequence
cargo test --release --lib -- statistics_stay_exact_across_magnitudes short_path_agrees_with_serde
