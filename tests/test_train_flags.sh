#!/bin/sh
# The data and optimizer flags of `cltrain train` reach the run: --presize, --strict,
# --labels-csv/--label-col, --l2, --beta, --la-k/--la-alpha (recorded in summary.json), and a
# bad labels file is a clear error naming it.
bin=${CLTRAIN_BIN:-./cltrain}
tmp=$(mktemp -d /tmp/cltrain-flags-test.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
if ! "$bin" devices >/dev/null 2>&1; then
  [ "${CLTRAIN_REQUIRE_DEVICE:-0}" != 0 ] && { echo "FAIL no device"; exit 1; }
  exit 77
fi
fail=0
"$bin" make-dataset shapes --out "$tmp/shapes" --n-train 40 --n-val 20 --size 40 --seed 1 >/dev/null || exit 99
# a noisy-label CSV in fastai's layout: every training image relabelled to the first class
first=$(ls "$tmp/shapes/train" | sort | head -1)
{ echo "path,noisy_labels_0,noisy_labels_5,is_valid"
  (cd "$tmp/shapes" && find train -type f | sort | while read -r f; do
     c=$(basename "$(dirname "$f")"); echo "$f,$c,$first,False"; done
   cd "$tmp/shapes" && find val -type f | sort | while read -r f; do
     c=$(basename "$(dirname "$f")"); echo "$f,$c,$c,True"; done); } >"$tmp/noisy.csv"
common="--data $tmp/shapes --size 32 --bs 8 --epochs 1 --arch xresnet18 --progress none"
"$bin" train $common --presize 36 --strict --labels-csv "$tmp/noisy.csv" --label-col noisy_labels_5 \
  --l2 --beta 10 --la-k 4 --la-alpha 0.6 --out "$tmp/run" >"$tmp/log" 2>&1 || { echo "FAIL train"; tail -20 "$tmp/log"; fail=1; }
s="$tmp/run/summary.json"
for kv in '"presize": 36' '"strict": 1' '"label_col": "noisy_labels_5"' '"decouple_wd": 0' \
          '"la_k": 4' '"finished": true'; do
  grep -q "$kv" "$s" || { echo "FAIL summary lacks $kv"; fail=1; }
done
grep -q '"beta": 10' "$s" || { echo "FAIL beta not recorded"; fail=1; }
grep -q "presize: *36" "$tmp/log" || { echo "FAIL settings do not show presize"; fail=1; }
"$bin" train $common --labels-csv "$tmp/missing.csv" --out "$tmp/run2" >"$tmp/log2" 2>&1
[ $? = 1 ] && grep -q "missing.csv" "$tmp/log2" || { echo "FAIL missing CSV not a clear error"; cat "$tmp/log2"; fail=1; }
"$bin" train --label-col x >/dev/null 2>&1; [ $? = 2 ] || { echo "FAIL --label-col alone"; fail=1; }
[ $fail = 0 ] && echo "test_train_flags.sh: ok"
exit $fail
