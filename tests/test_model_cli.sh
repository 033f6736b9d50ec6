#!/bin/sh
# `cltrain model` (no device needed): fastai's parameter count and names for xresnet18 and a
# Fashion-MNIST-shaped xse_resnext50 with SA, the layer list, usage errors exit 2.
bin=${CLTRAIN_BIN:-./cltrain}
out=${TMPDIR:-/tmp}/ct_model_cli.$$
fail=0
expect() { # description, pattern: grep the last output
  grep -q -- "$2" "$out" || { echo "FAIL $1: no '$2' in:"; head -20 "$out"; fail=1; }
}
"$bin" model xresnet18 >"$out" 2>&1 || { echo "FAIL xresnet18 exit $?"; fail=1; }
expect "count" "^parameters: 11200874 "
expect "stem conv" "conv    0.0  .*(3,128,128) -> v1   (32,64,64)"
expect "idpath name" "5.0.idpath.1.0.weight  *(128, 64, 1, 1)"
expect "bn buffer" "0.1.num_batches_tracked .*buffer i64"
expect "head" "^  11.bias  *(10)"
"$bin" model xse_resnext50 --sa --act mish --c-in 1 --size 28 --n-out 10 --batch 8 >"$out" 2>&1 ||
  { echo "FAIL xse_resnext50 exit $?"; fail=1; }
expect "sa count" "^parameters: 25615579 "
expect "se name" "4.0.convpath.3.layers.1.0.weight  *(16, 256, 1, 1)"
expect "sa name" "4.2.convpath.4.conv.weight_orig"
expect "arena" "activation arena at batch 8: train"
for args in "" "nosuch" "xresnet18 --act tanh" "xresnet18 --pool min" "xresnet18 --c-in 0" "xresnet18 --frob"; do
  # shellcheck disable=SC2086
  "$bin" model $args >"$out" 2>&1; rc=$?
  [ "$rc" = 2 ] || { echo "FAIL 'model $args' exit $rc, want 2"; cat "$out"; fail=1; }
done
rm -f "$out"
exit $fail
