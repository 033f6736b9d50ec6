/* Host half of kernels/loss.cl: label-smoothing cross-entropy forward/backward and top-1/top-5
 * correct flags over logits (N, C) float and labels (N) int32. Enqueue only; never reads back. */
#include "cltrain/ops.h"

static ct_status check_args(const char *fn, ct_ptr out, ct_ptr logits, ct_ptr labels, int n,
                            int c)
{
    if (n <= 0 || c <= 0)
        return ct_error(CT_ERR_INVALID_ARG, "%s (src/ops/loss.c): bad shape (N %d, C %d)", fn, n,
                        c);
    if ((double)n * c > 4294967295.0)
        return ct_error(CT_ERR_OVERFLOW, "%s (src/ops/loss.c): N*C over 2^32", fn);
    if (!out.mem || !logits.mem || !labels.mem)
        return ct_error(CT_ERR_INVALID_ARG, "%s (src/ops/loss.c): a NULL buffer", fn);
    return CT_OK;
}

/* Launch kernel `name` with one work-group per row of c logits: the largest power-of-two local
 * size the kernel allows (at most 256, no more than c needs), with a local float array of that
 * size appended as the last argument. */
static ct_status per_row(ct_ctx *ctx, const char *name, int n, int c, ct_karg *args, int nargs)
{
    cl_kernel k;
    ct_status st = ct_kernel_get(ctx, "loss.cl", name, NULL, &k);
    if (st != CT_OK) return st;
    size_t limit = ct_kernel_max_wg(ctx, k), local = 1;
    while (local * 2 <= limit && local * 2 <= 256 && local < (size_t)c) local *= 2;
    args[nargs] = CT_KA_LOCAL(local * sizeof(float));
    size_t global = (size_t)n * local;
    return ct_launch(ctx, k, 1, &global, &local, args, nargs + 1);
}

ct_status ct_xent_forward(ct_ctx *ctx, ct_ptr loss, ct_ptr logits, ct_ptr labels, int n, int c,
                          float eps)
{
    ct_status st = check_args("ct_xent_forward", loss, logits, labels, n, c);
    if (st != CT_OK) return st;
    cl_ulong oo = loss.off, xo = logits.off, yo = labels.off;
    cl_int cc = c;
    ct_karg a[] = {CT_KA(loss.mem),   CT_KA(oo), CT_KA(logits.mem), CT_KA(xo),
                   CT_KA(labels.mem), CT_KA(yo), CT_KA(cc),         CT_KA(eps),
                   {0, NULL}};
    return per_row(ctx, "xent_forward", n, c, a, 8);
}

ct_status ct_xent_backward(ct_ctx *ctx, ct_ptr dlogits, ct_ptr logits, ct_ptr labels, int n, int c,
                           float eps)
{
    ct_status st = check_args("ct_xent_backward", dlogits, logits, labels, n, c);
    if (st != CT_OK) return st;
    cl_ulong oo = dlogits.off, xo = logits.off, yo = labels.off;
    cl_int nn = n, cc = c;
    ct_karg a[] = {CT_KA(dlogits.mem), CT_KA(oo), CT_KA(logits.mem), CT_KA(xo), CT_KA(labels.mem),
                   CT_KA(yo),          CT_KA(nn), CT_KA(cc),         CT_KA(eps), {0, NULL}};
    return per_row(ctx, "xent_backward", n, c, a, 9);
}

ct_status ct_topk_correct(ct_ctx *ctx, ct_ptr correct, ct_ptr logits, ct_ptr labels, int n, int c)
{
    ct_status st = check_args("ct_topk_correct", correct, logits, labels, n, c);
    if (st != CT_OK) return st;
    cl_ulong oo = correct.off, xo = logits.off, yo = labels.off;
    cl_int cc = c;
    ct_karg a[] = {CT_KA(correct.mem), CT_KA(oo), CT_KA(logits.mem), CT_KA(xo), CT_KA(labels.mem),
                   CT_KA(yo),          CT_KA(cc), {0, NULL}};
    return per_row(ctx, "topk_correct", n, c, a, 7);
}
