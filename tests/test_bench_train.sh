#!/bin/sh
# `cltrain bench train` on a tiny run: the img/s line comes last (bench/torch_side_by_side.py
# parses it), the profile charges time to node kinds through the graph node hook, peak memory and
# CPU time are reported, bad flags exit 2. Skips (77) without an OpenCL device.
bin=${CLTRAIN_BIN:-./cltrain}
out=${TMPDIR:-/tmp}/ct_bench_train.$$
fail=0
expect() { # description, extended pattern: grep the last output
  grep -Eq -- "$2" "$out" || { echo "FAIL $1: no '$2' in:"; head -40 "$out"; fail=1; }
}
"$bin" devices >/dev/null 2>&1 || { echo "SKIP: no OpenCL device"; exit 77; }
"$bin" bench train --size 16 --bs 4 --steps 2 --warmup 1 --act mish >"$out" 2>&1 ||
  { echo "FAIL bench train exit $?"; cat "$out"; fail=1; }
tail -n 1 "$out" | grep -Eq "^train: 2 steps x 4 images .*: [0-9]+\.[0-9] img/s$" ||
  { echo "FAIL last line is not the img/s line:"; tail -n 3 "$out"; fail=1; }
expect "header" "xresnet18 synthetic, 1x16x16, batch 4, act mish, opt ranger"
# the hook must have charged conv nodes: not both columns 0.00
expect "conv row" "^conv +22 +[0-9.]+ +[0-9.]+ +[0-9.]+$"
grep -Eq "^conv +22 +0\.00 +0\.00 " "$out" && { echo "FAIL conv nodes got no time"; fail=1; }
expect "act row" "^act +[0-9]+ "
expect "optimizer row" "^optimizer +[0-9]+\.[0-9]+"
expect "conv shapes" "^3x3 s2 +16px +1->32 +1 "
expect "peak memory" "^peak device memory [0-9.]+ MiB"
# the conv total against the device's measured FMA throughput (kernels/bench.cl), a positive rate
expect "fp32 peak" "^all convs: .* GFLOP/s, [0-9]+ % of the measured fp32 FMA peak [1-9][0-9]*\.[0-9]$"
expect "cpu time" "img per CPU-s$"
for args in "--act tanh" "--bs 1" "--frob" "--size" "--c-in 9"; do
  # shellcheck disable=SC2086
  "$bin" bench train $args >"$out" 2>&1; rc=$?
  [ "$rc" = 2 ] || { echo "FAIL 'bench train $args' exit $rc, want 2"; cat "$out"; fail=1; }
done
"$bin" bench train --arch nosuch --steps 1 >"$out" 2>&1 && { echo "FAIL unknown arch accepted"; fail=1; }
rm -f "$out"
exit $fail
