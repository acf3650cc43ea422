#!/usr/bin/env bash
# Regenerates the sample traces in assets/traces/: one NAME.weft per sample program (every
# sample-programs/src/bin/NAME.rs), plus worker_pool_2_workers.weft and worker_pool_8_workers.weft
# for the two-run comparison. The viewer's demo mode and tests read these files.
#
# Usage: sample-programs/record-assets.sh [--release] [--out DIR]
#   --release  record with the release build (timelines closer to production; slower to build)
#   --out DIR  write the traces to DIR instead of assets/traces
# Respects CARGO_TARGET_DIR. Each sample finishes in well under 2 s; the whole set in seconds.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
profile=debug
build_flags=()
out="$root/assets/traces"

while [ $# -gt 0 ]; do
    case "$1" in
        --release) profile=release; build_flags=(--release); shift ;;
        --out) out="${2:?--out needs a directory}"; shift 2 ;;
        -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "record-assets: unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done

cd "$root"
cargo build --quiet -p weft-samples --bins "${build_flags[@]}"
target_dir="$(cargo metadata --format-version 1 --no-deps \
    | grep -o '"target_directory":"[^"]*"' | head -n 1 | cut -d'"' -f4)"
bin_dir="$target_dir/$profile"
mkdir -p "$out"

# record NAME OUTPUT [VAR=VALUE...]: runs sample NAME with WEFT_TRACE set, writing OUTPUT.weft
# only if the run succeeds (a partial file never replaces a good one).
record() {
    local name="$1" output="$2"
    shift 2
    local partial="$out/$output.weft.tmp"
    rm -f "$partial"
    if ! env "$@" WEFT_TRACE="$partial" "$bin_dir/$name" >/dev/null; then
        rm -f "$partial"
        echo "record-assets: $name failed" >&2
        return 1
    fi
    mv "$partial" "$out/$output.weft"
    printf '%-32s %8d bytes\n' "$output.weft" "$(wc -c <"$out/$output.weft")"
}

for source in "$here"/src/bin/*.rs; do
    name="$(basename "$source" .rs)"
    record "$name" "$name"
done
record worker_pool worker_pool_2_workers WORKERS=2
record worker_pool worker_pool_8_workers WORKERS=8

echo "record-assets: $(ls "$out"/*.weft | wc -l) traces, $(du -ch "$out"/*.weft | tail -n 1 | cut -f1) in $out ($profile build)"
