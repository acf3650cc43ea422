#!/usr/bin/env bash
# Runs one of Weft's fuzz targets (the cargo-fuzz project in fuzz/) for a number of executions.
#
# Usage: scripts/fuzz.sh TARGET [RUNS]
#   TARGET  read_bytes    the trace reader on arbitrary bytes
#           read_mutated  the reader on asset traces under structure-aware mutations
#                         (frames stay checksummed, so mutations reach payloads and chunks)
#           model         the viewer's model (building it, reading every lane) on mutated traces
#           analysis      the viewer's analysis and report on top of that model
#   RUNS    executions to run (default 10000000; 0 = until stopped or a crash)
#
# Environment:
#   FUZZ_TARGET_DIR  cargo target directory for the fuzz build (default: fuzz/target)
#   FUZZ_JOBS        parallel fuzzing processes (default 1); RUNS is then per process
#   FUZZ_ARGS        extra libFuzzer flags, e.g. "-max_total_time=3600"
#   FUZZ_SANITIZER   none (default: about 3x faster; the code under test has no unsafe of its
#                    own) or address (AddressSanitizer)
#
# Limits enforced on every input (at most 32 KiB): no panic and no overflow (debug assertions
# are on), no input taking more than 10 s (-timeout), no more than 512 MiB resident
# (-rss_limit_mb), and no single allocation over 128 MiB — that would be an amplification —
# enforced by the targets' own allocator (fuzz/src/alloc_limit.rs) in every build and by
# -malloc_limit_mb under AddressSanitizer. Seeds are assets/traces/*.weft;
# new inputs go to fuzz/corpus/TARGET, crashes to fuzz/artifacts/TARGET/. A crash becomes a
# regression test in recorder/tests/fuzz_regressions.rs. Replay saved inputs (no fuzzing) with:
#   scripts/fuzz.sh TARGET - -- fuzz/artifacts/TARGET/crash-... [more files]
#
# cargo-fuzz needs nightly-only compiler flags (sanitizers); on a stable toolchain this script sets
# RUSTC_BOOTSTRAP=1. Install the runner once with `cargo install cargo-fuzz`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
target="${1:-}"
runs="${2:-10000000}"

case "$target" in
    read_bytes|read_mutated) features=() ;;
    model|analysis) features=(--features model) ;;
    -h|--help|"") sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; [ -n "$target" ]; exit $? ;;
    *) echo "fuzz.sh: unknown target: $target (read_bytes, read_mutated, model or analysis)" >&2; exit 2 ;;
esac
shift $(( $# >= 2 ? 2 : $# ))
extra=()
if [ "${1:-}" = "--" ]; then
    shift
    extra=("$@")
fi

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "fuzz.sh: cargo-fuzz is not installed: run 'cargo install cargo-fuzz'" >&2
    exit 2
fi

cd "$root"
export RUSTC_BOOTSTRAP=1
target_dir="${FUZZ_TARGET_DIR:-$root/fuzz/target}"
sanitizer="${FUZZ_SANITIZER:-none}"
corpus="fuzz/corpus/$target"
artifacts="fuzz/artifacts/$target"
mkdir -p "$corpus" "$artifacts"

# libFuzzer's "no limit" is -1.
[ "$runs" = 0 ] && runs=-1
flags=(
    -runs="$runs"
    -timeout=10
    -rss_limit_mb=512
    -malloc_limit_mb=128
    -max_len=32768
    -dict=fuzz/weft.dict
    -artifact_prefix="$artifacts/"
    -print_final_stats=1
)
if [ "${FUZZ_JOBS:-1}" -gt 1 ]; then
    flags+=(-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS")
fi
# shellcheck disable=SC2206 # FUZZ_ARGS is a list of flags on purpose
flags+=(${FUZZ_ARGS:-})

if [ "${#extra[@]}" -gt 0 ]; then
    # Replay given inputs instead of fuzzing.
    exec cargo fuzz run --fuzz-dir fuzz --target-dir "$target_dir" -s "$sanitizer" "${features[@]}" \
        "$target" "${extra[@]}" -- -runs=1 -rss_limit_mb=512 -malloc_limit_mb=128 -timeout=10
fi
exec cargo fuzz run --fuzz-dir fuzz --target-dir "$target_dir" -s "$sanitizer" "${features[@]}" \
    "$target" "$corpus" assets/traces -- "${flags[@]}"
