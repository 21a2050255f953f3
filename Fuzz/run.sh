#!/usr/bin/env bash
# Runs each libFuzzer target for a while: Fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
# Builds kioskguard-fuzz with -sanitize=fuzzer,address into .build-fuzz, starts from the committed
# corpus (Fuzz/corpus/TARGET), merges new coverage back into it, and keeps any crash reproducer in
# Fuzz/crashes/TARGET so the unit tests replay it. Prints one line per target with CPU seconds
# and crashes, and exits 1 when a target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(event-codec control-codec configuration engine)

swift build --scratch-path .build-fuzz --product kioskguard-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld >&2
binary=.build-fuzz/debug/kioskguard-fuzz
export SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0

failed=0
for target in "${targets[@]}"; do
    corpus="Fuzz/corpus/$target" crashes="Fuzz/crashes/$target" work=".build-fuzz/work/$target"
    mkdir -p "$corpus" "$crashes" "$work"
    rm -rf "$work"/*
    start=$(date +%s)
    status=0
    KIOSKGUARD_FUZZ_TARGET="$target" "$binary" "$work" "$corpus" -max_total_time="$seconds" \
        -max_len=4096 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$crashes/" -print_final_stats=1 \
        >".build-fuzz/$target.log" 2>&1 || status=$?
    elapsed=$(( $(date +%s) - start ))
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' ".build-fuzz/$target.log" | grep -o '[0-9]*$' || echo 0)
    # Keep only inputs that add coverage to the committed corpus.
    KIOSKGUARD_FUZZ_TARGET="$target" "$binary" -merge=1 "$corpus" "$work" >>".build-fuzz/$target.log" 2>&1 || true
    echo "$target: ${elapsed} s on one core, $runs inputs, exit $status, crash reproducers in $crashes: $(ls "$crashes" | wc -l)"
    [ "$status" -eq 0 ] || failed=1
done
exit $failed
