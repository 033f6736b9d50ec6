#!/bin/sh
# `cltrain compare` end to end on a tiny budget: 2 schedules x 2 seeds, a report with a verdict,
# rerun skips finished runs, an interrupted run is resumed, two shards merge into one report.
bin=${CLTRAIN_BIN:-./cltrain}
out=$(mktemp -d /tmp/cltrain-compare-test.XXXXXX)
trap 'rm -rf "$out"' EXIT
fail=0
flags="--epochs 1 --limit-train 128 --limit-valid 128 --bs 64 --progress none"
if ! "$bin" devices >/dev/null 2>&1; then
  [ "${CLTRAIN_REQUIRE_DEVICE:-0}" != 0 ] && { echo "FAIL no device"; exit 1; }
  exit 77
fi
# an interrupted run in the grid's folder: compare must resume it, not start over
"$bin" train --sched one_cycle --seed 0 --out "$out/a/one_cycle/seed0" $flags --stop-after 1 >/dev/null 2>&1
[ -f "$out/a/one_cycle/seed0/train_state.safetensors" ] || { echo "FAIL no checkpoint after --stop-after"; fail=1; }
"$bin" compare --scheds one_cycle,flat_cos --seeds 2 --out "$out/a" $flags >"$out/log1" 2>&1 || { echo "FAIL compare exit $?"; tail -20 "$out/log1"; fail=1; }
grep -q "resuming one_cycle seed 0" "$out/log1" || { echo "FAIL interrupted run not resumed"; fail=1; }
[ "$(grep -c '^compare: training' "$out/log1")" = 3 ] || { echo "FAIL expected 3 fresh runs"; fail=1; }
grep -q "Verdict" "$out/a/report.md" || { echo "FAIL no verdict in report.md"; fail=1; }
grep -q '| `flat_cos` | 2 |' "$out/a/report.md" || { echo "FAIL paired row"; cat "$out/a/report.md"; fail=1; }
[ "$(grep -c finished "$out/a/results.csv")" = 4 ] || { echo "FAIL results.csv rows"; cat "$out/a/results.csv"; fail=1; }
for f in accuracy.png lr.png valid_loss.png results.json; do
  [ -s "$out/a/$f" ] || { echo "FAIL missing $f"; fail=1; }
done
# a rerun trains nothing
"$bin" compare --scheds one_cycle,flat_cos --seeds 2 --out "$out/a" $flags >"$out/log2" 2>&1
[ "$(grep -c 'finished already' "$out/log2")" = 4 ] || { echo "FAIL rerun did not skip"; fail=1; }
grep -q '^compare: training' "$out/log2" && { echo "FAIL rerun trained again"; fail=1; }
# shards: each run exactly once, then --report merges them to the same numbers
"$bin" compare --scheds one_cycle,flat_cos --seeds 2 --out "$out/b" --shard 1/2 $flags >"$out/log3" 2>&1
"$bin" compare --scheds one_cycle,flat_cos --seeds 2 --out "$out/b" --shard 2/2 $flags >"$out/log4" 2>&1
[ "$(cat "$out/log3" "$out/log4" | grep -c '^compare: training')" = 4 ] || { echo "FAIL shards ran other than 4 runs"; fail=1; }
"$bin" compare --report "$out/b" >"$out/log5" 2>&1 || { echo "FAIL --report"; fail=1; }
grep -q "4 finished, 0 not" "$out/log5" || { echo "FAIL merged report"; cat "$out/log5"; fail=1; }
# same seeds, same schedules: the merged report's table equals the unsharded one (bit-exact runs)
grep '^| `' "$out/a/report.md" >"$out/ta"
grep '^| `' "$out/b/report.md" >"$out/tb"
diff "$out/ta" "$out/tb" >/dev/null || { echo "FAIL sharded results differ from the unsharded grid"; diff "$out/ta" "$out/tb"; fail=1; }
"$bin" compare --scheds one_cycle --seeds 2 --shard 3/2 $flags >/dev/null 2>&1; [ $? = 2 ] || { echo "FAIL bad shard"; fail=1; }
[ $fail = 0 ] && echo "test_compare_cli.sh: ok"
exit $fail
