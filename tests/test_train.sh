#!/bin/sh
# Integration test of `cltrain train` on a Fashion-MNIST subset: the loss falls; --stop-after
# checkpoints (mid-epoch and at an epoch end) resumed with --resume reproduce the uninterrupted
# per-batch losses exactly; SIGTERM checkpoints and exits 143; eval reproduces the final accuracy;
# predict and a short shapes-dataset run; flag errors exit 2.
bin=${CLTRAIN_BIN:-./cltrain}
fmnist=/usr/share/datasets/fashion-mnist
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ct_train.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }

if ! "$bin" devices >/dev/null 2>&1; then
  [ "${CLTRAIN_REQUIRE_DEVICE:-0}" != 0 ] && { echo "FAIL no device"; exit 1; }
  exit 77
fi
[ -f "$fmnist/train-images-idx3-ubyte.gz" ] || { echo "no Fashion-MNIST in $fmnist: skip"; exit 77; }

# flags
"$bin" train --frobnicate >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "unknown option" "$tmp/err" && grep -q "usage" "$tmp/err" || bad "unknown flag: exit $rc"
"$bin" train --bs >/dev/null 2>&1; [ $? = 2 ] || bad "missing value is not a usage error"
"$bin" train --lr abc >/dev/null 2>&1; [ $? = 2 ] || bad "bad number is not a usage error"
"$bin" train --resume "$tmp/x" --lr 1 >/dev/null 2>&1; [ $? = 2 ] || bad "--resume with --lr accepted"

# A: the uninterrupted run (8 batches per epoch, 2 epochs)
opts="--limit-train 128 --limit-valid 64 --epochs 2 --bs 16 --act relu --seed 7 --progress lines"
"$bin" train $opts --out "$tmp/A" >"$tmp/A.log" 2>&1 || { cat "$tmp/A.log"; bad "run A failed"; }
for f in metrics.csv batches.csv summary.json model.safetensors train_state.safetensors loss.png \
         sched.png accuracy.png; do
  [ -s "$tmp/A/$f" ] || bad "run A wrote no $f"
done
grep -q "^epoch  *train_loss  *valid_loss  *accuracy  *top_5  *time" "$tmp/A.log" || bad "no epoch table"
grep -q "parameters" "$tmp/A.log" && grep -q "label-smoothing: 0.1" "$tmp/A.log" || bad "settings not printed"
# loss falls: mean of the last 4 batch losses below the mean of the first 4
awk -F, 'NR>1 { l[NR-2] = $5; n = NR-1 } END {
  for (i = 0; i < 4; i++) { a += l[i]; b += l[n-1-i] }
  if (!(b < a)) { printf "first %.4f last %.4f\n", a/4, b/4; exit 1 } }' "$tmp/A/batches.csv" \
  || bad "loss did not fall"
[ "$(wc -l <"$tmp/A/batches.csv")" = 17 ] || bad "batches.csv has not 16 rows"

# B: stopped mid-epoch (step 5), resumed to the epoch end (stop at 8), resumed to the end
"$bin" train $opts --out "$tmp/B" --stop-after 5 >"$tmp/B1.log" 2>&1; rc=$?
[ $rc = 130 ] || { cat "$tmp/B1.log"; bad "--stop-after exit $rc, want 130"; }
grep -q "resume with: cltrain train --resume $tmp/B" "$tmp/B1.log" || bad "no resume hint"
"$bin" train --resume "$tmp/B" --stop-after 8 --progress none >"$tmp/B2.log" 2>&1; rc=$?
[ $rc = 130 ] || { cat "$tmp/B2.log"; bad "resume 1 exit $rc"; }
"$bin" train --resume "$tmp/B" --progress none >"$tmp/B3.log" 2>&1 || { cat "$tmp/B3.log"; bad "resume 2 failed"; }
cmp -s "$tmp/A/batches.csv" "$tmp/B/batches.csv" || { diff "$tmp/A/batches.csv" "$tmp/B/batches.csv" | head; bad "resumed losses differ"; }
cut -d, -f1-6 "$tmp/A/metrics.csv" >"$tmp/mA"; cut -d, -f1-6 "$tmp/B/metrics.csv" >"$tmp/mB"
cmp -s "$tmp/mA" "$tmp/mB" || bad "resumed metrics differ"

# C: SIGTERM during the first epoch: the batch finishes, a checkpoint is written, exit 143. (B
# shows that such checkpoints resume exactly; resuming this one too would double the cost.)
"$bin" train $opts --out "$tmp/C" >"$tmp/C1.log" 2>&1 &
pid=$!
i=0
while [ $i -lt 3000 ] && ! grep -q "batch 2/8" "$tmp/C1.log" 2>/dev/null; do sleep 0.1; i=$((i+1)); done
kill -TERM $pid
wait $pid; rc=$?
if [ $rc = 143 ]; then
  grep -q "SIGTERM: stopped at epoch 0" "$tmp/C1.log" && grep -q "resume with: cltrain train --resume" "$tmp/C1.log" \
    || bad "no SIGTERM message"
  [ -s "$tmp/C/model.safetensors" ] && [ -s "$tmp/C/train_state.safetensors" ] || bad "no checkpoint after SIGTERM"
  n=$(($(wc -l <"$tmp/C/batches.csv") - 1))
  grep -q "(step $n)" "$tmp/C1.log" || bad "SIGTERM checkpoint is not at the reported step ($n batches)"
elif [ $rc != 0 ]; then
  cat "$tmp/C1.log"; bad "SIGTERM exit $rc, want 143"
fi

# eval reproduces the accuracy printed at the end of training
acc=$(tail -1 "$tmp/A/metrics.csv" | cut -d, -f5)
"$bin" eval --checkpoint "$tmp/A/model.safetensors" >"$tmp/eval.log" 2>&1 || { cat "$tmp/eval.log"; bad "eval failed"; }
grep -q "^accuracy: $acc\$" "$tmp/eval.log" || { cat "$tmp/eval.log"; bad "eval accuracy is not $acc"; }
vl=$(tail -1 "$tmp/A/metrics.csv" | cut -d, -f4)
grep -q "^valid_loss: $vl\$" "$tmp/eval.log" || bad "eval loss is not $vl"

# a corrupt checkpoint is a clear error naming the file
head -c 100 "$tmp/A/model.safetensors" >"$tmp/bad.safetensors"
"$bin" eval --checkpoint "$tmp/bad.safetensors" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q "bad.safetensors" "$tmp/err" || bad "corrupt checkpoint: exit $rc: $(cat "$tmp/err")"

# lr-find: a short sweep prints fastai's four suggestions and writes the plot
"$bin" lr-find --limit-train 240 --limit-valid 16 --bs 8 --act relu --num-it 30 --plot "$tmp/lrf.png" \
  >"$tmp/lrf.log" 2>&1 || { cat "$tmp/lrf.log"; bad "lr-find failed"; }
for k in valley slide minimum/10 steep; do
  grep -q "^  $k: *[0-9]" "$tmp/lrf.log" || { cat "$tmp/lrf.log"; bad "lr-find printed no $k"; }
done
[ -s "$tmp/lrf.png" ] || bad "lr-find wrote no plot"

# shapes: a short run on image folders, then predict on a validation image
if "$bin" make-dataset shapes --out "$tmp/shapes" --n-train 160 --n-val 40 --size 32 >/dev/null 2>&1; then
  "$bin" train --data "$tmp/shapes" --size 32 --epochs 1 --bs 16 --act relu --progress none \
    --out "$tmp/S" >"$tmp/S.log" 2>&1 || { cat "$tmp/S.log"; bad "shapes run failed"; }
  img=$(find "$tmp/shapes/val" -type f | head -1)
  "$bin" predict --checkpoint "$tmp/S" "$img" >"$tmp/pred.log" 2>&1 || { cat "$tmp/pred.log"; bad "predict failed"; }
  [ "$(grep -c '^  [1-5]\. ' "$tmp/pred.log")" = 5 ] || { cat "$tmp/pred.log"; bad "predict shows no top-5"; }
  awk '/^  [1-5]\. / { s += $NF } END { exit !(s > 0 && s <= 1.0001) }' "$tmp/pred.log" \
    || bad "predict probabilities do not sum to <= 1"
else
  bad "make-dataset shapes failed"
fi

[ $fail = 0 ] && echo "test_train: ok"
exit $fail
