/* Host half of kernels/normalize.cl: ct_normalize_u8, uint8 NCHW batches to normalised floats.
 * Enqueue only; never waits; the per-channel constants travel as kernel arguments. */
#include <math.h>

#include "cltrain/ops.h"

ct_status ct_normalize_u8(ct_ctx *ctx, ct_ptr out, cl_mem in_mem, size_t in_off_bytes, int n, int c,
                          int hw, const float *mean, const float *std)
{
    if (n < 0 || c < 1 || c > 4 || hw < 0 || !mean || !std)
        return ct_error(CT_ERR_INVALID_ARG, "normalize.c: n %d, c %d (1..4), hw %d, mean/std %s", n,
                        c, hw, mean && std ? "given" : "missing");
    size_t total = (size_t)n * (size_t)c * (size_t)hw;
    if (total == 0) return CT_OK;
    cl_float4 scale = {{1, 1, 1, 1}}, bias = {{0, 0, 0, 0}};
    for (int i = 0; i < c; i++) {
        if (!(std[i] > 0) || !isfinite(mean[i]))
            return ct_error(CT_ERR_INVALID_ARG, "normalize.c: channel %d has mean %g std %g", i,
                            mean[i], std[i]);
        scale.s[i] = 1.0f / (255.0f * std[i]);
        bias.s[i] = -mean[i] / std[i];
    }
    cl_kernel k;
    ct_status st = ct_kernel_get(ctx, "normalize.cl", "normalize_u8", NULL, &k);
    if (st != CT_OK) return st;
    cl_ulong oo = out.off, io = in_off_bytes, nn = total;
    cl_uint cc = (cl_uint)c, hh = (cl_uint)hw;
    size_t local = ct_ctx_wg1d(ctx);
    return ct_launch(ctx, k, 1, &total, &local,
                     (ct_karg[]){CT_KA(out.mem), CT_KA(oo), CT_KA(in_mem), CT_KA(io), CT_KA(cc),
                                 CT_KA(hh), CT_KA(nn), CT_KA(scale), CT_KA(bias)},
                     9);
}
