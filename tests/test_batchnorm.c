/* batchnorm2d kernels, in both channel layouts, against (1) the plain-C double reference on
 * awkward shapes (batch 1, 3; channels 1, 3, 5, 64; spatial 1, 7, 13, 32; N*HW = 1), (2) central
 * finite differences of the reference and (3) PyTorch goldens (tests/data/bn_train.bin,
 * bn_eval.bin). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/ops.h"
#include "guarded.h"
#include "ref/ref.h"
#include "util.h"

static int layout; /* 0 interleaved, 1 contiguous (CLTRAIN_BN_CONTIG), for the messages */

/* device buffer -> compare with ref (tensors are guarded: offset G_OFF, sentinels around) */
static void cmp(ct_ctx *ctx, const char *what, const char *shape, cl_mem m, const double *ref,
                size_t n, double atol, double rtol)
{
    char name[160];
    snprintf(name, sizeof name, "%s %s%s", what, shape, layout ? " (contiguous)" : "");
    g_expect(ctx, m, ref, n, atol, rtol, name);
}

static void free_all(ct_ctx *ctx, cl_mem *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ct_buf_free(ctx, m[i]);
}

/* Train forward, backward (write and accumulate), eval forward against the reference for one
 * shape; `offset` is added to the input (1000 checks the two-pass variance). */
static void one_case(ct_ctx *ctx, t_rng *r, int n, int c, int hw, float offset, int accum)
{
    size_t e = (size_t)n * c * hw;
    double m = (double)n * hw;
    float *x = malloc(e * 4), *dy = malloc(e * 4), *dx0 = malloc(e * 4), *g = malloc(c * 4),
          *b = malloc(c * 4), *rm = malloc(c * 4), *rv = malloc(c * 4), *dg0 = malloc(c * 4),
          *db0 = malloc(c * 4);
    t_fill_normal(r, x, e, 2.0f);
    for (size_t i = 0; i < e; i++)
        x[i] += offset + (float)((i / hw) % c) * 0.25f;
    t_fill_normal(r, dy, e, 1.0f);
    t_fill_uniform(r, dx0, e, -1, 1);
    t_fill_uniform(r, g, c, 0.5f, 1.5f);
    t_fill_uniform(r, b, c, -0.5f, 0.5f);
    t_fill_normal(r, rm, c, 1.0f);
    t_fill_uniform(r, rv, c, 0.5f, 2.0f);
    t_fill_uniform(r, dg0, c, -1, 1);
    t_fill_uniform(r, db0, c, -1, 1);

    double *xd = t_to_double(x, e), *dyd = t_to_double(dy, e), *gd = t_to_double(g, c),
           *bd = t_to_double(b, c), *rmd = t_to_double(rm, c), *rvd = t_to_double(rv, c);
    double *out = malloc(e * 8), *mean = malloc(c * 8), *rstd = malloc(c * 8), *dx = malloc(e * 8),
           *dgam = malloc(c * 8), *dbet = malloc(c * 8), *eval = malloc(e * 8);
    char shape[96];
    snprintf(shape, sizeof shape, "N%d C%d HW%d off%g accum%d", n, c, hw, offset, accum);

    cl_mem X = g_put(ctx, x, e), DY = g_put(ctx, dy, e), G = g_put(ctx, g, c), B = g_put(ctx, b, c),
           RM = g_put(ctx, rm, c), RV = g_put(ctx, rv, c), DX = g_put(ctx, dx0, e),
           DG = g_put(ctx, dg0, c), DB = g_put(ctx, db0, c), OUT = g_put(ctx, NULL, e),
           SM = g_put(ctx, NULL, c), SR = g_put(ctx, NULL, c);
    ct_bn_p p = {n, c, hw, 1e-5f, 0.1f, CT_ACT_NONE};

    if (m < 2) {
        /* PyTorch refuses training-mode batch statistics of one value per channel */
        ct_status st = ct_bn_forward_train(ctx, g_ptr(OUT), g_ptr(SM), g_ptr(SR), g_ptr(RM),
                                           g_ptr(RV), g_ptr(X), g_ptr(G), g_ptr(B), &p);
        T_CHECK(st == CT_ERR_INVALID_ARG, "train forward with N*HW = 1 must fail (%s)", shape);
        ct_error_clear();
        /* backward at N*HW = 1 from given stats: dx = 0, dbeta = dy, dgamma = dy * xhat */
        float *sm = malloc(c * 4), *sr = malloc(c * 4);
        for (int ch = 0; ch < c; ch++)
            sm[ch] = x[ch], sr[ch] = (float)(1 / sqrt(1e-5));
        T_OK(ct_buf_write(ctx, SM, G_OFF * 4, c * 4, sm));
        T_OK(ct_buf_write(ctx, SR, G_OFF * 4, c * 4, sr));
        free(sm), free(sr);
    } else {
        T_OK(ct_bn_forward_train(ctx, g_ptr(OUT), g_ptr(SM), g_ptr(SR), g_ptr(RM), g_ptr(RV),
                                 g_ptr(X), g_ptr(G), g_ptr(B), &p));
        ref_bn_forward_train(out, mean, rstd, rmd, rvd, xd, gd, bd, n, c, hw, 1e-5, 0.1);
        /* float sums of M terms: the mean is off by ~1e-7 |x| sqrt(log M), xhat by that / std */
        double at = offset > 100 ? 1e-4 : 2e-5;
        cmp(ctx, "bn train out", shape, OUT, out, e, at, 1e-4);
        cmp(ctx, "bn save_mean", shape, SM, mean, c, 1e-6 * (1 + fabs(offset)), 1e-5);
        cmp(ctx, "bn save_rstd", shape, SR, rstd, c, 1e-6, 1e-4);
        cmp(ctx, "bn running_mean", shape, RM, rmd, c, 1e-6 * (1 + fabs(offset)), 1e-5);
        cmp(ctx, "bn running_var", shape, RV, rvd, c, 1e-6, 1e-5);
    }

    /* backward: dx written (accum 0) or added to dx0 (accum 1); dgamma/dbeta add to dg0/db0 */
    T_OK(ct_bn_backward(ctx, g_ptr(DX), accum, g_ptr(DG), g_ptr(DB), g_ptr(DY), g_ptr(X), g_ptr(G),
                        g_ptr(SM), g_ptr(SR), &p));
    if (m >= 2) {
        ref_bn_backward(dx, dgam, dbet, dyd, xd, gd, n, c, hw, 1e-5);
    } else {
        for (int ch = 0; ch < c; ch++)
            dgam[ch] = 0, dbet[ch] = dy[ch];
        memset(dx, 0, e * 8);
    }
    for (size_t i = 0; i < e; i++)
        dx[i] += accum ? dx0[i] : 0;
    for (int ch = 0; ch < c; ch++)
        dgam[ch] += dg0[ch], dbet[ch] += db0[ch];
    double big = offset > 100 ? 10 : 1; /* at offset 1000 xhat carries the mean's 1e-5 error */
    cmp(ctx, "bn backward dx", shape, DX, dx, e, 2e-5, 1e-4);
    cmp(ctx, "bn backward dgamma", shape, DG, dgam, c, 1e-5 * sqrt(m) * big, 1e-4);
    cmp(ctx, "bn backward dbeta", shape, DB, dbet, c, 1e-5 * sqrt(m), 1e-5);

    /* a NULL din: only the parameter gradients (accumulated again) */
    T_OK(ct_bn_backward(ctx, CT_PTR_NULL, 0, g_ptr(DG), g_ptr(DB), g_ptr(DY), g_ptr(X), g_ptr(G),
                        g_ptr(SM), g_ptr(SR), &p));
    for (int ch = 0; ch < c; ch++)
        dgam[ch] += dgam[ch] - dg0[ch], dbet[ch] += dbet[ch] - db0[ch];
    cmp(ctx, "bn backward (no din) dbeta", shape, DB, dbet, c, 2e-5 * sqrt(m), 1e-5);

    /* eval with the original running stats (upload again: training changed them) */
    T_OK(ct_buf_write(ctx, RM, G_OFF * 4, c * 4, rm));
    T_OK(ct_buf_write(ctx, RV, G_OFF * 4, c * 4, rv));
    T_OK(ct_bn_forward_eval(ctx, g_ptr(OUT), g_ptr(X), g_ptr(G), g_ptr(B), g_ptr(RM), g_ptr(RV),
                            &p));
    double *rm2 = t_to_double(rm, c), *rv2 = t_to_double(rv, c);
    ref_bn_forward_eval(eval, xd, gd, bd, rm2, rv2, n, c, hw, 1e-5);
    cmp(ctx, "bn eval out", shape, OUT, eval, e, 1e-5, 1e-5);

    cl_mem all[] = {X, DY, G, B, RM, RV, DX, DG, DB, OUT, SM, SR};
    free_all(ctx, all, sizeof all / sizeof all[0]);
    free(x), free(dy), free(dx0), free(g), free(b), free(rm), free(rv), free(dg0), free(db0);
    free(xd), free(dyd), free(gd), free(bd), free(rmd), free(rvd), free(rm2), free(rv2);
    free(out), free(mean), free(rstd), free(dx), free(dgam), free(dbet), free(eval);
}

/* A ReLU fused after the batchnorm (ct_bn_p.act): the forwards against relu(reference), the
 * backward (ct_bn_backward_act) against the reference backward of dz masked by the device's
 * own output (> 0), as the unfused ReLU's backward would hand it on. */
static void relu_case(ct_ctx *ctx, t_rng *r, int n, int c, int hw, int accum)
{
    size_t e = (size_t)n * c * hw;
    float *x = malloc(e * 4), *dz = malloc(e * 4), *dx0 = malloc(e * 4), *z = malloc(e * 4),
          *g = malloc(c * 4), *b = malloc(c * 4), *ones = malloc(c * 4), *zeros = calloc(c, 4);
    t_fill_normal(r, x, e, 2.0f);
    t_fill_normal(r, dz, e, 1.0f);
    t_fill_uniform(r, dx0, e, -1, 1);
    t_fill_uniform(r, g, c, 0.5f, 1.5f);
    t_fill_uniform(r, b, c, -0.5f, 0.5f);
    for (int i = 0; i < c; i++) ones[i] = 1.0f;
    double *xd = t_to_double(x, e), *gd = t_to_double(g, c), *bd = t_to_double(b, c);
    double *out = malloc(e * 8), *dy = malloc(e * 8), *dx = malloc(e * 8), *dgam = malloc(c * 8),
           *dbet = malloc(c * 8), *rm = calloc(c, 8), *rv = malloc(c * 8);
    for (int i = 0; i < c; i++) rv[i] = 1.0;
    char shape[96];
    snprintf(shape, sizeof shape, "N%d C%d HW%d accum%d (relu fused)", n, c, hw, accum);
    cl_mem X = g_put(ctx, x, e), DZ = g_put(ctx, dz, e), G = g_put(ctx, g, c), B = g_put(ctx, b, c),
           RM = g_put(ctx, zeros, c), RV = g_put(ctx, ones, c), DX = g_put(ctx, dx0, e),
           DG = g_put(ctx, zeros, c), DB = g_put(ctx, zeros, c), Z = g_put(ctx, NULL, e),
           SM = g_put(ctx, NULL, c), SR = g_put(ctx, NULL, c);
    ct_bn_p p = {n, c, hw, 1e-5f, 0.1f, CT_ACT_RELU};
    T_OK(ct_bn_forward_train(ctx, g_ptr(Z), g_ptr(SM), g_ptr(SR), g_ptr(RM), g_ptr(RV), g_ptr(X),
                             g_ptr(G), g_ptr(B), &p));
    ref_bn_forward_train(out, NULL, NULL, rm, rv, xd, gd, bd, n, c, hw, 1e-5, 0.1);
    for (size_t i = 0; i < e; i++) out[i] = out[i] > 0 ? out[i] : 0;
    cmp(ctx, "bn+relu train out", shape, Z, out, e, 2e-5, 1e-4);
    T_OK(ct_buf_read(ctx, Z, G_OFF * 4, e * 4, z));
    for (size_t i = 0; i < e; i++) dy[i] = z[i] > 0 ? dz[i] : 0.0;
    T_OK(ct_bn_backward_act(ctx, g_ptr(DX), accum, g_ptr(DG), g_ptr(DB), g_ptr(DZ), g_ptr(Z),
                            g_ptr(X), g_ptr(G), g_ptr(SM), g_ptr(SR), &p));
    ref_bn_backward(dx, dgam, dbet, dy, xd, gd, n, c, hw, 1e-5);
    for (size_t i = 0; i < e; i++) dx[i] += accum ? dx0[i] : 0;
    double m = (double)n * hw;
    cmp(ctx, "bn+relu backward dx", shape, DX, dx, e, 2e-5, 1e-4);
    cmp(ctx, "bn+relu backward dgamma", shape, DG, dgam, c, 1e-5 * sqrt(m), 1e-4);
    cmp(ctx, "bn+relu backward dbeta", shape, DB, dbet, c, 1e-5 * sqrt(m), 1e-5);
    /* eval: relu of the running-stat normalisation (running stats 0 and 1 uploaded again) */
    T_OK(ct_buf_write(ctx, RM, G_OFF * 4, c * 4, zeros));
    T_OK(ct_buf_write(ctx, RV, G_OFF * 4, c * 4, ones));
    T_OK(ct_bn_forward_eval(ctx, g_ptr(Z), g_ptr(X), g_ptr(G), g_ptr(B), g_ptr(RM), g_ptr(RV), &p));
    for (int i = 0; i < c; i++) rm[i] = 0, rv[i] = 1;
    ref_bn_forward_eval(out, xd, gd, bd, rm, rv, n, c, hw, 1e-5);
    for (size_t i = 0; i < e; i++) out[i] = out[i] > 0 ? out[i] : 0;
    cmp(ctx, "bn+relu eval out", shape, Z, out, e, 1e-5, 1e-5);
    /* the unfused entry points refuse the other's parameters */
    T_CHECK(ct_bn_backward(ctx, g_ptr(DX), 0, g_ptr(DG), g_ptr(DB), g_ptr(DZ), g_ptr(X), g_ptr(G),
                           g_ptr(SM), g_ptr(SR), &p) == CT_ERR_INVALID_ARG,
            "ct_bn_backward with act relu must be refused (%s)", shape);
    ct_error_clear();
    cl_mem all[] = {X, DZ, G, B, RM, RV, DX, DG, DB, Z, SM, SR};
    free_all(ctx, all, sizeof all / sizeof all[0]);
    free(x), free(dz), free(dx0), free(z), free(g), free(b), free(ones), free(zeros);
    free(xd), free(gd), free(bd), free(out), free(dy), free(dx), free(dgam), free(dbet), free(rm);
    free(rv);
}

/* L = sum dy * bn(x; gamma, beta) in double */
static double loss_of(const double *x, const double *g, const double *b, const double *dy, int n,
                      int c, int hw)
{
    size_t e = (size_t)n * c * hw;
    double *out = malloc(e * sizeof *out), s = 0;
    ref_bn_forward_train(out, NULL, NULL, NULL, NULL, x, g, b, n, c, hw, 1e-5, 0.1);
    for (size_t i = 0; i < e; i++)
        s += dy[i] * out[i];
    free(out);
    return s;
}

/* central difference of loss_of in v[i] */
static double fd(double *v, size_t i, const double *x, const double *g, const double *b,
                 const double *dy, int n, int c, int hw)
{
    const double h = 1e-5;
    double keep = v[i];
    v[i] = keep + h;
    double lp = loss_of(x, g, b, dy, n, c, hw);
    v[i] = keep - h;
    double lm = loss_of(x, g, b, dy, n, c, hw);
    v[i] = keep;
    return (lp - lm) / (2 * h);
}

static int close_d(double a, double ref, double atol, double rtol)
{
    return fabs(a - ref) <= atol + rtol * fabs(ref);
}

/* The reference backward against central differences of the reference forward (double). */
static void fd_case(t_rng *r, int n, int c, int hw)
{
    size_t e = (size_t)n * c * hw;
    double *x = malloc(e * 8), *dy = malloc(e * 8), *g = malloc(c * 8), *b = malloc(c * 8),
           *dx = malloc(e * 8), *dg = malloc(c * 8), *db = malloc(c * 8);
    for (size_t i = 0; i < e; i++)
        x[i] = 1 + 2 * t_normal(r), dy[i] = t_normal(r);
    for (int i = 0; i < c; i++)
        g[i] = 0.5 + t_uniform(r), b[i] = t_normal(r);
    ref_bn_backward(dx, dg, db, dy, x, g, n, c, hw, 1e-5);
    int bad = 0;
    /* truncation O(h^2 f''') and rounding 1e-16 |L| / h: both below 1e-7 here */
    for (size_t i = 0; i < e; i++)
        bad += !close_d(dx[i], fd(x, i, x, g, b, dy, n, c, hw), 1e-7, 1e-6);
    for (int i = 0; i < c; i++) {
        bad += !close_d(dg[i], fd(g, i, x, g, b, dy, n, c, hw), 1e-7, 1e-6);
        bad += !close_d(db[i], fd(b, i, x, g, b, dy, n, c, hw), 1e-7, 1e-6);
    }
    T_CHECK(bad == 0, "finite differences vs ref_bn_backward N%d C%d HW%d: %d off", n, c, hw, bad);
    free(x), free(dy), free(g), free(b), free(dx), free(dg), free(db);
}

static const float *gt(const t_golden *gd, const char *name, size_t numel)
{
    const t_tensor *t = t_golden_get(gd, name);
    if (t && t->numel != numel) {
        fprintf(stderr, "golden %s: %zu elements, expected %zu\n", name, t->numel, numel);
        return NULL;
    }
    return t ? t->data : NULL;
}

/* A golden file whose tensor "input" is (N, C, H, W); NULL (a failed check) if not. */
static t_golden *golden_open(const char *file, const float **x, int *n, int *c, int *hw)
{
    t_golden *gd = t_golden_load(file);
    const t_tensor *xt = gd ? t_golden_get(gd, "input") : NULL;
    T_CHECK(xt && xt->ndim == 4, "%s: missing, or no 4-D input", file);
    if (!xt || xt->ndim != 4) {
        t_golden_free(gd);
        return NULL;
    }
    *x = xt->data, *n = xt->dims[0], *c = xt->dims[1], *hw = xt->dims[2] * xt->dims[3];
    return gd;
}

/* The PyTorch train step: forward (output, running stats) and backward from dout. */
static void golden_train(ct_ctx *ctx)
{
    const float *x;
    int n, c, hw;
    t_golden *gd = golden_open("bn_train.bin", &x, &n, &c, &hw);
    if (gd) {
        size_t e = (size_t)n * c * hw;
        const float *g = gt(gd, "gamma", c), *b = gt(gd, "beta", c),
                    *rm0 = gt(gd, "running_mean0", c), *rv0 = gt(gd, "running_var0", c),
                    *dy = gt(gd, "dout", e);
        T_CHECK(g && b && rm0 && rv0 && dy, "bn_train.bin incomplete");
        float *zero = calloc(c ? c : 1, sizeof *zero);
        if (g && b && rm0 && rv0 && dy && zero) {
            cl_mem X = g_put(ctx, x, e), G = g_put(ctx, g, c), B = g_put(ctx, b, c),
                   RM = g_put(ctx, rm0, c), RV = g_put(ctx, rv0, c), DY = g_put(ctx, dy, e),
                   OUT = g_put(ctx, NULL, e), DX = g_put(ctx, NULL, e), SM = g_put(ctx, NULL, c),
                   SR = g_put(ctx, NULL, c), DG = g_put(ctx, zero, c), DB = g_put(ctx, zero, c);
            ct_bn_p p = {n, c, hw, 1e-5f, 0.1f, CT_ACT_NONE};
            T_OK(ct_bn_forward_train(ctx, g_ptr(OUT), g_ptr(SM), g_ptr(SR), g_ptr(RM), g_ptr(RV),
                                     g_ptr(X), g_ptr(G), g_ptr(B), &p));
            T_OK(ct_bn_backward(ctx, g_ptr(DX), 0, g_ptr(DG), g_ptr(DB), g_ptr(DY), g_ptr(X),
                                g_ptr(G), g_ptr(SM), g_ptr(SR), &p));
            /* torch computes in float too: allow both sides' float rounding */
            struct {
                const char *name;
                cl_mem m;
                size_t n;
                double atol, rtol;
            } chk[] = {{"output", OUT, e, 2e-5, 1e-4},     {"running_mean", RM, c, 1e-6, 1e-5},
                       {"running_var", RV, c, 1e-6, 1e-5}, {"din", DX, e, 2e-5, 1e-4},
                       {"dgamma", DG, c, 1e-4, 1e-4},      {"dbeta", DB, c, 1e-4, 1e-5}};
            for (size_t i = 0; i < sizeof chk / sizeof chk[0]; i++) {
                const float *want = gt(gd, chk[i].name, chk[i].n);
                double *wd = want ? t_to_double(want, chk[i].n) : NULL;
                T_CHECK(wd != NULL, "bn_train.bin: %s", chk[i].name);
                if (wd)
                    cmp(ctx, "bn golden train", chk[i].name, chk[i].m, wd, chk[i].n, chk[i].atol,
                        chk[i].rtol);
                free(wd);
            }
            cl_mem all[] = {X, G, B, RM, RV, DY, OUT, DX, SM, SR, DG, DB};
            free_all(ctx, all, sizeof all / sizeof all[0]);
        }
        free(zero);
        t_golden_free(gd);
    }
}

/* PyTorch eval mode with given running stats. */
static void golden_eval(ct_ctx *ctx)
{
    const float *x;
    int n, c, hw;
    t_golden *gd = golden_open("bn_eval.bin", &x, &n, &c, &hw);
    if (gd) {
        size_t e = (size_t)n * c * hw;
        const float *g = gt(gd, "gamma", c), *b = gt(gd, "beta", c),
                    *rm = gt(gd, "running_mean", c), *rv = gt(gd, "running_var", c),
                    *want = gt(gd, "output", e);
        T_CHECK(g && b && rm && rv && want, "bn_eval.bin incomplete");
        if (g && b && rm && rv && want) {
            cl_mem X = g_put(ctx, x, e), G = g_put(ctx, g, c), B = g_put(ctx, b, c),
                   RM = g_put(ctx, rm, c), RV = g_put(ctx, rv, c), OUT = g_put(ctx, NULL, e);
            ct_bn_p p = {n, c, hw, 1e-5f, 0.1f, CT_ACT_NONE};
            T_OK(ct_bn_forward_eval(ctx, g_ptr(OUT), g_ptr(X), g_ptr(G), g_ptr(B), g_ptr(RM),
                                    g_ptr(RV), &p));
            double *wd = t_to_double(want, e);
            cmp(ctx, "bn golden eval", "output", OUT, wd, e, 1e-5, 1e-5);
            free(wd);
            cl_mem all[] = {X, G, B, RM, RV, OUT};
            free_all(ctx, all, sizeof all / sizeof all[0]);
        }
        t_golden_free(gd);
    }
}

int main(void)
{
    ct_ctx *ctx;
    int rc = t_ctx(&ctx);
    if (rc != T_PASS) return rc;
    t_rng r;
    t_rng_seed(&r, 7);

    /* both ways work items cover a channel: interleaved (GPUs) and contiguous 8-wide (CPUs) */
    for (layout = 0; layout < 2; layout++) {
        setenv("CLTRAIN_BN_CONTIG", layout ? "1" : "0", 1);
        const int ns[] = {1, 3}, cs[] = {1, 3, 5, 64}, ss[] = {1, 7, 13, 32};
        int k = 0;
        for (size_t a = 0; a < 2; a++)
            for (size_t b = 0; b < 4; b++)
                for (size_t s = 0; s < 4; s++, k++)
                    one_case(ctx, &r, ns[a], cs[b], ss[s] * ss[s], 0.0f, k % 2);
        one_case(ctx, &r, 3, 5, 32 * 32, 1000.0f, 1); /* large mean: needs the two-pass variance */
        one_case(ctx, &r, 2, 3, 1, 0.0f, 0);          /* N*HW = 2: unbiased factor 2 */
        one_case(ctx, &r, 3, 2, 37, 0.0f, 1);         /* runs that end mid-vector */
        relu_case(ctx, &r, 3, 5, 13 * 13, 0);
        relu_case(ctx, &r, 2, 64, 7 * 7, 1);
        relu_case(ctx, &r, 1, 3, 37, 1);
        golden_train(ctx);
        golden_eval(ctx);
    }
    unsetenv("CLTRAIN_BN_CONTIG");

    fd_case(&r, 3, 2, 7);
    fd_case(&r, 1, 3, 2);
    fd_case(&r, 2, 1, 1);

    /* bad arguments are refused with a message, not launched */
    ct_bn_p bad = {0, 3, 4, 1e-5f, 0.1f, CT_ACT_NONE};
    T_CHECK(ct_bn_forward_eval(ctx, CT_PTR_NULL, CT_PTR_NULL, CT_PTR_NULL, CT_PTR_NULL, CT_PTR_NULL,
                               CT_PTR_NULL, &bad) == CT_ERR_INVALID_ARG,
            "N = 0 must be refused");
    ct_error_clear();

    ct_ctx_free(ctx);
    return t_finish("test_batchnorm");
}
