/* ct_gemm and the elementwise kernels against plain-C double references on awkward sizes
 * (1, 7, 93, 144, 513), all four transpose cases, alpha/beta, non-zero offsets and padded ld. */
#include <math.h>
#include <stdlib.h>

#include "cltrain/ops.h"
#include "util.h"

/* C = alpha op(A) op(B) + beta C, row-major, in double */
static void ref_gemm(int ta, int tb, size_t m, size_t n, size_t k, double alpha, const float *a,
                     size_t lda, const float *b, size_t ldb, double beta, double *c, size_t ldc)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t p = 0; p < k; p++) {
                double av = ta ? a[p * lda + i] : a[i * lda + p];
                double bv = tb ? b[j * ldb + p] : b[p * ldb + j];
                s += av * bv;
            }
            c[i * ldc + j] = alpha * s + beta * c[i * ldc + j];
        }
}

static void one_case(ct_ctx *ctx, t_rng *r, int ta, int tb, size_t m, size_t n, size_t k,
                     float alpha, float beta)
{
    size_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
    size_t ar = ta ? k : m, br = tb ? n : k;
    size_t ao = 5, bo = 11, co = 7;
    size_t na = ao + ar * lda, nb = bo + br * ldb, nc = co + m * ldc;
    float *a = malloc(na * 4), *b = malloc(nb * 4), *c = malloc(nc * 4), *got = malloc(nc * 4);
    double *ref = malloc(nc * sizeof(double));
    t_fill_uniform(r, a, na, -1, 1);
    t_fill_uniform(r, b, nb, -1, 1);
    t_fill_uniform(r, c, nc, -1, 1);
    for (size_t i = 0; i < nc; i++) ref[i] = c[i];
    ref_gemm(ta, tb, m, n, k, alpha, a + ao, lda, b + bo, ldb, beta, ref + co, ldc);
    cl_mem da = t_upload(ctx, a, na * 4), db = t_upload(ctx, b, nb * 4), dc = t_upload(ctx, c, nc * 4);
    T_OK(ct_gemm(ctx, ta, tb, m, n, k, alpha, CT_PTR(da, ao), lda, CT_PTR(db, bo), ldb, beta,
                 CT_PTR(dc, co), ldc));
    if (t_download(ctx, dc, got, nc * 4)) {
        char what[128];
        snprintf(what, sizeof what, "gemm ta%d tb%d %zux%zux%zu a%.1f b%.1f", ta, tb, m, n, k,
                 alpha, beta);
        /* fp32 accumulation over k terms of magnitude <= 1 */
        t_close(what, got, ref, nc, 1e-5 * sqrt((double)k) * 4, 1e-4);
    }
    ct_buf_free(ctx, da);
    ct_buf_free(ctx, db);
    ct_buf_free(ctx, dc);
    free(a), free(b), free(c), free(got), free(ref);
}

int main(void)
{
    ct_ctx *ctx;
    int rc = t_ctx(&ctx);
    if (rc != T_PASS) return rc;
    t_rng r;
    t_rng_seed(&r, 42);
    const size_t sizes[][3] = {{1, 1, 1},    {7, 1, 93},   {93, 7, 1},    {144, 93, 7},
                               {7, 513, 13}, {513, 7, 93}, {93, 144, 513}, {1, 144, 7}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                one_case(ctx, &r, ta, tb, sizes[s][0], sizes[s][1], sizes[s][2],
                         (ta + tb) ? 0.75f : 1.0f, (s % 2) ? 0.5f : 0.0f);

    /* strided batched GEMM: 3 products of 7x93 . 93x13 */
    {
        size_t m = 7, n = 13, k = 93, cnt = 3;
        size_t sa = m * k + 4, sb = k * n + 2, sc = m * n + 1;
        float *a = malloc(sa * cnt * 4), *b = malloc(sb * cnt * 4), *c = calloc(sc * cnt, 4);
        double *ref = calloc(sc * cnt, sizeof(double));
        t_fill_uniform(&r, a, sa * cnt, -1, 1);
        t_fill_uniform(&r, b, sb * cnt, -1, 1);
        for (size_t i = 0; i < cnt; i++)
            ref_gemm(0, 0, m, n, k, 1.0, a + i * sa, k, b + i * sb, n, 0.0, ref + i * sc, n);
        cl_mem da = t_upload(ctx, a, sa * cnt * 4), db = t_upload(ctx, b, sb * cnt * 4),
               dc = t_upload(ctx, c, sc * cnt * 4);
        T_OK(ct_gemm_strided(ctx, 0, 0, m, n, k, 1.f, CT_PTR(da, 0), k, sa, CT_PTR(db, 0), n, sb,
                             0.f, CT_PTR(dc, 0), n, sc, cnt));
        if (t_download(ctx, dc, c, sc * cnt * 4))
            t_close("gemm strided batched x3", c, ref, sc * cnt, 1e-4, 1e-4);
        ct_buf_free(ctx, da), ct_buf_free(ctx, db), ct_buf_free(ctx, dc);
        free(a), free(b), free(c), free(ref);
    }

    /* elementwise: scale, axpy, copy, add forward/backward at offsets on 513 elements */
    {
        size_t n = 513, off = 9, tot = n + 2 * off;
        float *x = malloc(tot * 4), *y = malloc(tot * 4), *got = malloc(tot * 4);
        double *ref = malloc(tot * sizeof(double));
        t_fill_uniform(&r, x, tot, -2, 2);
        t_fill_uniform(&r, y, tot, -2, 2);
        cl_mem dx = t_upload(ctx, x, tot * 4), dy = t_upload(ctx, y, tot * 4);
        T_OK(ct_axpy(ctx, CT_PTR(dy, off), -0.5f, CT_PTR(dx, off), n));
        T_OK(ct_scale(ctx, CT_PTR(dx, off), 3.f, n));
        for (size_t i = 0; i < tot; i++) ref[i] = y[i] + ((i >= off && i < off + n) ? -0.5 * x[i] : 0);
        if (t_download(ctx, dy, got, tot * 4)) t_close("axpy", got, ref, tot, 1e-6, 1e-6);
        for (size_t i = 0; i < tot; i++) ref[i] = x[i] * ((i >= off && i < off + n) ? 3.0 : 1.0);
        if (t_download(ctx, dx, got, tot * 4)) t_close("scale", got, ref, tot, 1e-6, 1e-6);
        T_OK(ct_copy(ctx, CT_PTR(dy, 0), CT_PTR(dx, off), n));
        for (size_t i = 0; i < tot; i++) ref[i] = i < n ? 3.0 * x[i + off] : ref[i];
        if (t_download(ctx, dy, got, tot * 4)) t_close("copy", got, ref, n, 1e-6, 1e-6);
        /* add: out = x + y into a fresh buffer; backward writes then accumulates */
        cl_mem dout = t_alloc(ctx, tot * 4, 0.f), da = t_alloc(ctx, tot * 4, 1.f);
        T_OK(ct_add_forward(ctx, CT_PTR(dout, off), CT_PTR(dx, off), CT_PTR(dy, off), n));
        float *hx = malloc(tot * 4), *hy = malloc(tot * 4);
        t_download(ctx, dx, hx, tot * 4);
        t_download(ctx, dy, hy, tot * 4);
        for (size_t i = 0; i < tot; i++)
            ref[i] = (i >= off && i < off + n) ? (double)hx[i] + hy[i] : 0.0;
        if (t_download(ctx, dout, got, tot * 4)) t_close("add_forward", got, ref, tot, 1e-6, 1e-6);
        T_OK(ct_add_backward(ctx, CT_PTR(da, off), 0, CT_PTR(da, off), 1, CT_PTR(dx, off), n));
        for (size_t i = 0; i < tot; i++) ref[i] = (i >= off && i < off + n) ? 2.0 * hx[i] : 1.0;
        if (t_download(ctx, da, got, tot * 4))
            t_close("add_backward write+accumulate", got, ref, tot, 1e-6, 1e-6);
        ct_buf_free(ctx, dx), ct_buf_free(ctx, dy), ct_buf_free(ctx, dout), ct_buf_free(ctx, da);
        free(x), free(y), free(got), free(ref), free(hx), free(hy);
    }
    ct_ctx_free(ctx);
    return t_finish("test_gemm");
}
