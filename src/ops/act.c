/* Host half of kernels/act.cl: ReLU, Mish and sigmoid forward and backward (elementwise).
 * Enqueue only; never waits. */
#include <stdio.h>

#include "cltrain/ops.h"

static ct_status check_act(ct_act act, const char *fn)
{
    if (act == CT_ACT_RELU || act == CT_ACT_MISH || act == CT_ACT_SIGMOID) return CT_OK;
    return ct_error(CT_ERR_INVALID_ARG, "src/ops/act.c %s: unknown activation %d", fn, (int)act);
}

int ct_act_backward_uses_output(ct_act act)
{
    return act == CT_ACT_RELU || act == CT_ACT_SIGMOID;
}

/* act.cl is built once per activation (-DACT_KIND): a compile-time choice vectorises on PoCL */
static ct_status run_act(ct_ctx *ctx, ct_act act, const char *name, size_t n, const ct_karg *args,
                         int nargs)
{
    char opts[32];
    snprintf(opts, sizeof opts, "-DACT_KIND=%d", (int)act);
    return ct_launch_1d(ctx, "act.cl", name, opts, (n + 15) / 16, args, nargs); /* 16 each */
}

ct_status ct_act_forward(ct_ctx *ctx, ct_act act, ct_ptr out, ct_ptr in, size_t n)
{
    if (act == CT_ACT_NONE) return out.mem == in.mem && out.off == in.off ? CT_OK
                                                                         : ct_copy(ctx, out, in, n);
    ct_status st = check_act(act, "ct_act_forward");
    if (st != CT_OK || n == 0) return st;
    cl_ulong oo = out.off, io = in.off, nn = n;
    return run_act(ctx, act, "act_forward", n,
                   (ct_karg[]){CT_KA(out.mem), CT_KA(oo), CT_KA(in.mem), CT_KA(io), CT_KA(nn)}, 5);
}

ct_status ct_act_backward(ct_ctx *ctx, ct_act act, ct_ptr din, int accum, ct_ptr dout, ct_ptr in,
                          size_t n)
{
    if (!din.mem || n == 0) return CT_OK;
    if (act == CT_ACT_NONE)
        return accum ? ct_axpy(ctx, din, 1.0f, dout, n)
                     : (din.mem == dout.mem && din.off == dout.off ? CT_OK
                                                                   : ct_copy(ctx, din, dout, n));
    ct_status st = check_act(act, "ct_act_backward");
    if (st != CT_OK) return st;
    cl_ulong dio = din.off, doo = dout.off, io = in.off, nn = n;
    cl_int acc = accum != 0;
    return run_act(ctx, act, "act_backward", n,
                   (ct_karg[]){CT_KA(din.mem), CT_KA(dio), CT_KA(acc), CT_KA(dout.mem), CT_KA(doo),
                               CT_KA(in.mem), CT_KA(io), CT_KA(nn)},
                   8);
}
