#!/bin/sh
# CLI contract: --help/--version succeed, unknown command or flag exits 2 with usage on stderr,
# `devices` lists the default device, a bad selector is a clear error listing the devices.
bin=${CLTRAIN_BIN:-./cltrain}
fail=0
check() { # name, expected status, command...
  name=$1; want=$2; shift 2
  "$@" >/tmp/ct_cli_out.$$ 2>/tmp/ct_cli_err.$$; got=$?
  if [ "$got" != "$want" ]; then echo "FAIL $name: exit $got, want $want"; cat /tmp/ct_cli_err.$$; fail=1; fi
}
check help 0 "$bin" --help
grep -q "usage: cltrain" /tmp/ct_cli_out.$$ || { echo "FAIL help text"; fail=1; }
check version 0 "$bin" --version
grep -q "^cltrain [0-9]" /tmp/ct_cli_out.$$ || { echo "FAIL version text"; fail=1; }
check unknown-command 2 "$bin" frobnicate
grep -q "unknown command" /tmp/ct_cli_err.$$ && grep -q usage /tmp/ct_cli_err.$$ || { echo "FAIL unknown command message"; fail=1; }
check unknown-flag 2 "$bin" --frob devices
check unknown-subflag 2 "$bin" devices --frob
check no-command 2 "$bin"
if "$bin" devices >/tmp/ct_cli_out.$$ 2>&1; then
  grep -q '^\* ' /tmp/ct_cli_out.$$ || { echo "FAIL devices marks no default"; cat /tmp/ct_cli_out.$$; fail=1; }
  grep -q 'compute units' /tmp/ct_cli_out.$$ || { echo "FAIL devices details"; fail=1; }
  check bad-selector 1 "$bin" --device no-such-device-xyz devices
  grep -q "matches no device" /tmp/ct_cli_err.$$ && grep -q "0:0" /tmp/ct_cli_err.$$ || { echo "FAIL bad selector message"; cat /tmp/ct_cli_err.$$; fail=1; }
  check select-index 0 "$bin" --device 0:0 devices
else
  if [ "${CLTRAIN_REQUIRE_DEVICE:-0}" != 0 ]; then echo "FAIL no device"; fail=1
  else rm -f /tmp/ct_cli_out.$$ /tmp/ct_cli_err.$$; exit 77; fi
fi
rm -f /tmp/ct_cli_out.$$ /tmp/ct_cli_err.$$
[ $fail = 0 ] && echo "test_cli: ok"
exit $fail
