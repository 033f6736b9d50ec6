#!/bin/sh
# CLI of the data area: make-dataset shapes, `cltrain data` (counts, names, bad files, --strict),
# `cltrain bench data`, usage errors, and the default Fashion-MNIST when installed. Host only.
bin=${CLTRAIN_BIN:-./cltrain}
tmp=$(mktemp -d /tmp/ct_test_data_sh.XXXXXX) || exit 99
trap 'rm -rf "$tmp"' EXIT
XDG_CACHE_HOME=$tmp/cache; export XDG_CACHE_HOME # the presize cache stays in $tmp
fail=0
out=$tmp/out err=$tmp/err
check() { # name, expected status, command...
  name=$1; want=$2; shift 2
  "$@" >"$out" 2>"$err"; got=$?
  if [ "$got" != "$want" ]; then echo "FAIL $name: exit $got, want $want"; cat "$out" "$err"; fail=1; fi
}
expect() { # name, file, pattern
  grep -q -- "$3" "$2" || { echo "FAIL $1: no '$3' in output"; cat "$2"; fail=1; }
}

check make 0 "$bin" make-dataset shapes --out "$tmp/shapes" --n-train 60 --n-val 20 --size 32 --seed 3
expect make-msg "$out" "60 train + 20 val"
n=$(find "$tmp/shapes/train" -type f | wc -l); [ "$n" = 60 ] || { echo "FAIL make: $n train files"; fail=1; }
find "$tmp/shapes" -name '*.jpg' | grep -q . || { echo "FAIL make: no JPEG"; fail=1; }
find "$tmp/shapes" -name '*.png' | grep -q . || { echo "FAIL make: no PNG"; fail=1; }
check make-usage 2 "$bin" make-dataset shapes
check make-unknown 2 "$bin" make-dataset circles --out "$tmp/x"
check make-badnum 2 "$bin" make-dataset shapes --out "$tmp/x" --size big
check make-small 2 "$bin" make-dataset shapes --out "$tmp/x" --n-train 3

check data 0 "$bin" data "$tmp/shapes"
expect data-format "$out" "format: folder"
expect data-classes "$out" "classes: 10"
expect data-name "$out" "red_circle"
expect data-counts "$out" "train      6  val      2"
expect data-sizes "$out" "width 32..32"
expect data-bad "$out" "0 skipped at open"
expect data-decodes "$out" "0 failed decodes of 80"

printf 'garbage' >"$tmp/shapes/train/red_ring/broken.jpg"
check data-skip 0 "$bin" data "$tmp/shapes"
expect data-skip-count "$out" "1 skipped at open"
expect data-skip-path "$err" "broken.jpg"
check data-strict 1 "$bin" data "$tmp/shapes" --strict
expect data-strict-path "$err" "red_ring/broken.jpg"
rm "$tmp/shapes/train/red_ring/broken.jpg"

check data-missing 1 "$bin" data "$tmp/nope"
expect data-missing-msg "$err" "no such dataset folder"
check data-default-missing 1 env CLTRAIN_DEFAULT_DATA="$tmp/no-fashion" "$bin" data
expect data-default-apt "$err" "apt-get install dataset-fashion-mnist"
expect data-default-flag "$err" "pass --data PATH"
check data-unknown-flag 2 "$bin" data "$tmp/shapes" --frob

check bench 0 "$bin" bench data --data "$tmp/shapes" --size 32 --workers 2 --bs 16 --batches 3
expect bench-figure "$out" "images/s"
check bench-presize 0 "$bin" bench data --data "$tmp/shapes" --size 24 --workers 1 --bs 8 --batches 2 --presize 28 --epochs 2
expect bench-epoch2 "$out" "epoch 1:"
check bench-usage 2 "$bin" bench data --bs

if [ -r /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  check fashion 0 "$bin" data --quick
  expect fashion-name "$out" "Ankle boot"
  expect fashion-count "$out" "train: 60000 images"
  expect fashion-stats "$out" "mean 0.2860, std 0.3530"
fi

[ $fail = 0 ] && echo "test_data_cli.sh: ok"
exit $fail
