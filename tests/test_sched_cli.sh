#!/bin/sh
# `cltrain sched`: CSV header and rows, positions, mom empty when not scheduled, drop_last batch
# counts, sgdr/lr_find epoch rules, --out, --plot PNG, and usage errors (exit 2). Needs no device.
bin=${CLTRAIN_BIN:-./cltrain}
tmp=${TMPDIR:-/tmp}/ct_sched_cli.$$
mkdir -p "$tmp" || exit 99
fail=0
no() { echo "FAIL $*"; fail=1; }
run() { # expected status, args... ; output in $tmp/out, $tmp/err
  want=$1; shift
  "$bin" sched "$@" >"$tmp/out" 2>"$tmp/err"; got=$?
  [ "$got" = "$want" ] || { no "sched $*: exit $got, want $want"; cat "$tmp/err"; }
}

run 0 --sched one_cycle --lr 0.01 --epochs 2 --iters-per-epoch 4
[ "$(head -1 "$tmp/out")" = "iter,epoch,pos,lr,mom" ] || no "header: $(head -1 "$tmp/out")"
[ "$(wc -l <"$tmp/out")" -eq 9 ] || no "2x4 rows: $(wc -l <"$tmp/out")"
[ "$(tail -n +2 "$tmp/out" | cut -d, -f3 | tr '\n' ' ')" = "0 0.125 0.25 0.375 0.5 0.625 0.75 0.875 " ] \
  || no "positions: $(cut -d, -f3 "$tmp/out" | tr '\n' ' ')"
[ "$(tail -n +2 "$tmp/out" | cut -d, -f1,2 | tr '\n' ' ')" = "0,0 1,0 2,0 3,0 4,1 5,1 6,1 7,1 " ] \
  || no "iter,epoch columns"
# one_cycle by hand (awk doubles; fastai's float32 local is within 1e-6 of the double value)
awk -F, 'NR > 1 { pi = atan2(0, -1); p = $3;
  if (p < 0.25) { t = p / 0.25; a = 0.01 / 25; b = 0.01; ma = 0.95; mb = 0.85 }
  else { t = (p - 0.25) / 0.75; a = 0.01; b = 1e-7; ma = 0.85; mb = 0.95 }
  lr = a + (b - a) * (1 - cos(pi * t)) / 2; m = ma + (mb - ma) * (1 - cos(pi * t)) / 2;
  if ((lr - $4) ^ 2 > (1e-6 * lr) ^ 2 || (m - $5) ^ 2 > 1e-12) { print "row " NR ": " $0 " want " lr ", " m; bad = 1 } }
  END { exit bad }' "$tmp/out" || no "one_cycle values"
grep -q "one_cycle:div=25,div_final=100000,pct_start=0.25,moms=0.95/0.85/0.95" "$tmp/err" \
  || no "canonical spec on stderr: $(cat "$tmp/err")"
[ "$(sed -n 2p "$tmp/out")" = "0,0,0,0.0004,0.95" ] || no "first row: $(sed -n 2p "$tmp/out")"

run 0 --sched flat_cos:pct=0.72 --lr=4e-3 --epochs=3 --n-train 1000 --bs 64
[ "$(wc -l <"$tmp/out")" -eq 46 ] || no "drop_last: 1000/64 = 15 batches x 3 epochs"
[ "$(tail -n +2 "$tmp/out" | grep -vc ',$')" -eq 0 ] || no "flat_cos mom column not empty"
[ "$(sed -n 2p "$tmp/out")" = "0,0,0,0.004," ] || no "flat_cos first row: $(sed -n 2p "$tmp/out")"

run 0 --sched sgdr --lr 0.1 --iters-per-epoch 10
[ "$(wc -l <"$tmp/out")" -eq 71 ] || no "sgdr implies 7 epochs"
run 2 --sched sgdr --lr 0.1 --epochs 5 --iters-per-epoch 10
grep -q "implies 7 epochs" "$tmp/err" || no "sgdr mismatch message: $(cat "$tmp/err")"
run 0 --sched lr_find --iters-per-epoch 30
[ "$(wc -l <"$tmp/out")" -eq 101 ] || no "lr_find runs num_it=100 batches"
[ "$(sed -n 2p "$tmp/out" | cut -d, -f4)" = "1e-07" ] || no "lr_find starts at 1e-7"
[ "$(tail -1 "$tmp/out" | cut -d, -f1-3)" = "99,3,0.99" ] || no "lr_find last row: $(tail -1 "$tmp/out")"

run 0 --sched "godzi:amp=0.3,freq=50,offset=0.8,moms=0.95/0.35/0.95" --lr 0.01 --epochs 2 \
  --iters-per-epoch 50 --out "$tmp/g.csv" --plot "$tmp/g.png"
[ -s "$tmp/out" ] && no "--out still wrote to stdout"
[ "$(wc -l <"$tmp/g.csv")" -eq 101 ] || no "--out rows"
"$bin" sched --sched godzi --lr 0.01 --epochs 2 --iters-per-epoch 50 2>/dev/null | cmp -s - "$tmp/g.csv" \
  || no "--out differs from stdout"
[ "$(od -An -tx1 -N8 "$tmp/g.png" | tr -d ' \n')" = "89504e470d0a1a0a" ] || no "--plot is not a PNG"
[ "$(od -An -tx1 -j16 -N8 "$tmp/g.png" | tr -d ' \n')" = "000003c000000280" ] || no "--plot is not 960x640"
run 0 --sched "lr=cos(1/25,1)@0.3+cos_spike(1,1e-5)@0.7;mom=cos(.95,.85)@.3+cos(.85,.95)@.7" \
  --lr 0.01 --epochs 1 --iters-per-epoch 10
[ "$(sed -n 2p "$tmp/out")" = "0,0,0,0.0004,0.95" ] || no "composed first row: $(sed -n 2p "$tmp/out")"

run 0 --sched one_cycle --sched flat_cos --sched godzi --sched flat_cos_spike --lr 0.01 --epochs 2 \
  --iters-per-epoch 50 --plot "$tmp/all.png"
[ -s "$tmp/out" ] && no "several --sched printed a CSV"
[ "$(od -An -tx1 -j16 -N8 "$tmp/all.png" | tr -d ' \n')" = "000003c000000280" ] || no "overlay plot size"
run 0 --sched flat_cos --lr 0.01 --epochs 1 --iters-per-epoch 20 --plot "$tmp/f.png"
[ "$(od -An -tx1 -j16 -N8 "$tmp/f.png" | tr -d ' \n')" = "000003c0000001a4" ] || no "lr-only plot is 960x420"
run 2 --sched one_cycle --sched flat_cos --lr 0.01 --epochs 2 --iters-per-epoch 4
run 2 --sched one_cycle --lr 0.01 --epochs 2 --iters-per-epoch 4 --frob
grep -q "unknown argument '--frob'" "$tmp/err" && grep -q "usage: cltrain sched" "$tmp/err" || no "unknown flag message"
run 2 --lr 0.01 --epochs 2 --iters-per-epoch 4
run 2 --sched one_cycle --epochs 2 --iters-per-epoch 4
grep -q -- "--lr LR is required" "$tmp/err" || no "missing --lr message"
run 2 --sched one_cycle --lr 0.01 --iters-per-epoch 4
run 2 --sched one_cycle --lr 0.01 --epochs 2
run 2 --sched one_cycle --lr 0.01 --epochs 2 --iters-per-epoch 4 --bs 8
run 2 --sched one_cycle --lr abc --epochs 2 --iters-per-epoch 4
run 2 --sched one_cycle --lr 0.01 --epochs 1.5 --iters-per-epoch 4
run 2 --sched one_cyle --lr 0.01 --epochs 2 --iters-per-epoch 4
grep -q "'one_cyle'" "$tmp/err" && grep -q "flat_cos" "$tmp/err" || no "bad spec message: $(cat "$tmp/err")"
run 2 --sched flat_cos --lr 0.01 --epochs 1 --n-train 10 --bs 64
run 0 --help
grep -q "cos_spike" "$tmp/out" || no "--help lists the annealers"
"$bin" --help | grep -q "sched" || no "cltrain --help lists sched"

rm -rf "$tmp"
[ $fail = 0 ] && echo "test_sched_cli: ok"
exit $fail
