/* ct_normalize_u8 on the device against a plain-C double reference: C = 1, 3, 4, awkward H*W,
 * byte offsets into the uint8 buffer and element offsets into the output; bad arguments. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/ops.h"
#include "util.h"

static void one_case(ct_ctx *ctx, t_rng *r, int n, int c, int hw, size_t in_off, size_t out_off)
{
    size_t total = (size_t)n * c * hw;
    uint8_t *in = malloc(in_off + total);
    float mean[4], std[4];
    for (size_t i = 0; i < in_off + total; i++) in[i] = (uint8_t)(t_uniform(r) * 256);
    for (int k = 0; k < c; k++) mean[k] = (float)(0.2 + 0.6 * t_uniform(r)), std[k] = (float)(0.1 + 0.3 * t_uniform(r));
    double *ref = malloc(sizeof(double) * (out_off + total));
    float *got = malloc(sizeof(float) * (out_off + total));
    for (size_t i = 0; i < out_off; i++) ref[i] = -7.0; /* untouched prefix */
    for (size_t i = 0; i < total; i++) {
        int ch = (int)((i / (size_t)hw) % (size_t)c);
        ref[out_off + i] = (in[in_off + i] / 255.0 - mean[ch]) / std[ch];
    }
    cl_mem din = t_upload(ctx, in, in_off + total);
    float fill = -7.0f;
    cl_mem dout = t_alloc(ctx, sizeof(float) * (out_off + total), fill);
    if (din && dout) {
        T_OK(ct_normalize_u8(ctx, CT_PTR(dout, out_off), din, in_off, n, c, hw, mean, std));
        if (t_download(ctx, dout, got, sizeof(float) * (out_off + total))) {
            char what[96];
            snprintf(what, sizeof what, "normalize n%d c%d hw%d in_off %zu out_off %zu", n, c, hw,
                     in_off, out_off);
            /* |x| <= 1/(255 std) * 255 + mean/std < 11: float rounding of a mad */
            t_close(what, got, ref, out_off + total, 1e-5, 1e-5);
        }
    }
    ct_buf_free(ctx, din);
    ct_buf_free(ctx, dout);
    free(in), free(ref), free(got);
}

int main(void)
{
    ct_ctx *ctx;
    int rc = t_ctx(&ctx);
    if (rc != T_PASS) return rc;
    t_rng r;
    t_rng_seed(&r, 5);
    one_case(ctx, &r, 1, 1, 1, 0, 0);
    one_case(ctx, &r, 3, 1, 28 * 28, 5, 3);
    one_case(ctx, &r, 2, 3, 93, 1, 7);
    one_case(ctx, &r, 5, 3, 32 * 32, 0, 0);
    one_case(ctx, &r, 4, 4, 7 * 11, 3, 1);
    one_case(ctx, &r, 2, 3, 144 * 144 + 1, 13, 0);
    /* bad arguments are errors, not launches */
    float m[4] = {0.5f, 0.5f, 0.5f, 0.5f}, s[4] = {0.2f, 0.0f, 0.2f, 0.2f};
    cl_mem buf = t_alloc(ctx, 64, 0.0f);
    T_CHECK(ct_normalize_u8(ctx, CT_PTR(buf, 0), buf, 0, 1, 5, 2, m, s) == CT_ERR_INVALID_ARG, "c = 5");
    T_CHECK(ct_normalize_u8(ctx, CT_PTR(buf, 0), buf, 0, 1, 2, 2, m, s) == CT_ERR_INVALID_ARG, "std 0");
    T_CHECK(ct_normalize_u8(ctx, CT_PTR(buf, 0), buf, 0, 1, 1, 2, NULL, s) == CT_ERR_INVALID_ARG, "no mean");
    T_OK(ct_normalize_u8(ctx, CT_PTR(buf, 0), buf, 0, 0, 3, 2, m, s)); /* n = 0: nothing to do */
    ct_buf_free(ctx, buf);
    ct_ctx_free(ctx);
    return t_finish("test_data_norm");
}
