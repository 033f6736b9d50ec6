/* Host half of kernels/elementwise.cl: fill, scale, axpy, copy, residual add forward/backward.
 * Enqueue only; never waits. */
#include "cltrain/ops.h"

static ct_status run1d(ct_ctx *ctx, const char *name, size_t n, const ct_karg *args, int nargs)
{
    return ct_launch_1d(ctx, "elementwise.cl", name, NULL, n, args, nargs);
}

ct_status ct_fill(ct_ctx *ctx, ct_ptr x, float v, size_t n)
{
    if (n == 0) return CT_OK;
    cl_ulong off = x.off, nn = n;
    return run1d(ctx, "fill", n, (ct_karg[]){CT_KA(x.mem), CT_KA(off), CT_KA(v), CT_KA(nn)}, 4);
}

ct_status ct_scale(ct_ctx *ctx, ct_ptr x, float a, size_t n)
{
    if (n == 0) return CT_OK;
    cl_ulong off = x.off, nn = n;
    return run1d(ctx, "scale", n, (ct_karg[]){CT_KA(x.mem), CT_KA(off), CT_KA(a), CT_KA(nn)}, 4);
}

ct_status ct_axpy(ct_ctx *ctx, ct_ptr y, float a, ct_ptr x, size_t n)
{
    if (n == 0) return CT_OK;
    cl_ulong yo = y.off, xo = x.off, nn = n;
    return run1d(ctx, "axpy", n,
                 (ct_karg[]){CT_KA(y.mem), CT_KA(yo), CT_KA(a), CT_KA(x.mem), CT_KA(xo), CT_KA(nn)},
                 6);
}

ct_status ct_copy(ct_ctx *ctx, ct_ptr y, ct_ptr x, size_t n)
{
    if (n == 0) return CT_OK;
    cl_ulong yo = y.off, xo = x.off, nn = n;
    return run1d(ctx, "copy", n,
                 (ct_karg[]){CT_KA(y.mem), CT_KA(yo), CT_KA(x.mem), CT_KA(xo), CT_KA(nn)}, 5);
}

ct_status ct_add_forward(ct_ctx *ctx, ct_ptr out, ct_ptr a, ct_ptr b, size_t n)
{
    if (n == 0) return CT_OK;
    cl_ulong oo = out.off, ao = a.off, bo = b.off, nn = n;
    return run1d(ctx, "add_forward", n,
                 (ct_karg[]){CT_KA(out.mem), CT_KA(oo), CT_KA(a.mem), CT_KA(ao), CT_KA(b.mem),
                             CT_KA(bo), CT_KA(nn)},
                 7);
}

ct_status ct_add_backward(ct_ctx *ctx, ct_ptr da, int a_accum, ct_ptr db, int b_accum, ct_ptr dout,
                          size_t n)
{
    if (n == 0 || (!da.mem && !db.mem)) return CT_OK;
    cl_int has_a = da.mem != NULL, has_b = db.mem != NULL, aa = a_accum, ba = b_accum;
    /* an absent output still needs a valid buffer argument */
    cl_mem am = has_a ? da.mem : dout.mem, bm = has_b ? db.mem : dout.mem;
    cl_ulong ao = da.off, bo = db.off, go = dout.off, nn = n;
    return run1d(ctx, "add_backward", n,
                 (ct_karg[]){CT_KA(am), CT_KA(ao), CT_KA(aa), CT_KA(has_a), CT_KA(bm), CT_KA(bo),
                             CT_KA(ba), CT_KA(has_b), CT_KA(dout.mem), CT_KA(go), CT_KA(nn)},
                 11);
}
