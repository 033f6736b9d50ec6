/* Channel-wise scale, dropout, spectral norm and SimpleSelfAttention against the plain-C double
 * references (tests/ref/misc.c), the references' gradients against central differences, and the
 * SA + spectral-norm step against PyTorch (tests/data/sa_spectral.bin). */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/ops.h"
#include "ref/ref.h"
#include "util.h"

static double *dup_d(const float *x, size_t n)
{
    return t_to_double(x, n);
}

static double max_abs(const double *x, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fabs(x[i]) > m ? fabs(x[i]) : m;
    return m;
}

/* Download n floats of m and compare with ref: |a-b| <= atol + rtol |ref|. */
static void expect(ct_ctx *ctx, cl_mem m, size_t n, const double *ref, double atol, double rtol,
                   const char *fmt, ...) CT_PRINTF(7, 8);
static void expect(ct_ctx *ctx, cl_mem m, size_t n, const double *ref, double atol, double rtol,
                   const char *fmt, ...)
{
    char what[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    float *got = malloc(n * 4 + 4);
    if (t_download(ctx, m, got, n * 4)) t_close(what, got, ref, n, atol, rtol);
    free(got);
}

/* ---- central differences of the references: loss = sum(r * f(...)) ------------------------ */

typedef struct {
    int kind; /* 0 chscale, 1 specnorm, 2 SA */
    int a, b, c;
    double *x, *g, *w, *u, *v, *r, *out, gamma;
} fd_ctx;

static double fd_loss(void *p)
{
    fd_ctx *f = p;
    size_t n = 0;
    if (f->kind == 0) {
        n = (size_t)f->a * f->b;
        ref_chscale_forward(f->out, f->x, f->g, f->a, f->b);
    } else if (f->kind == 1) {
        n = (size_t)f->a * f->b;
        ref_specnorm_forward(f->out, f->u, f->v, f->w, f->a, f->b, 0);
    } else {
        n = (size_t)f->a * f->b * f->c;
        ref_sa_forward(f->out, NULL, f->x, f->w, f->gamma, f->a, f->b, f->c);
    }
    double s = 0;
    for (size_t i = 0; i < n; i++) s += f->r[i] * f->out[i];
    return s;
}

/* analytic grad[0..n) of `x` vs FD at up to 40 positions; returns the number off */
static int fd_check(fd_ctx *f, double *x, const double *grad, size_t n, double h)
{
    int bad = 0;
    for (size_t j = 0; j < 40 && j < n; j++) {
        size_t i = n <= 40 ? j : j * (n - 1) / 39;
        double fd = ref_fd(fd_loss, f, x, i, h);
        if (!(fabs(fd - grad[i]) <= 1e-7 + 1e-6 * fabs(grad[i]))) {
            if (!bad) fprintf(stderr, "fd [%zu]: analytic %.10g fd %.10g\n", i, grad[i], fd);
            bad++;
        }
    }
    return bad;
}

/* ---- channel-wise scale ---------------------------------------------------------------------- */

static void chscale_case(ct_ctx *ctx, t_rng *rng, int n, int c, int hw)
{
    int planes = n * c;
    size_t tot = (size_t)planes * hw;
    float *x = malloc(tot * 4), *g = malloc(planes * 4), *dy = malloc(tot * 4);
    t_fill_uniform(rng, x, tot, -2, 2);
    t_fill_uniform(rng, g, planes, 0, 1);
    t_fill_uniform(rng, dy, tot, -1, 1);
    double *xd = dup_d(x, tot), *gd = dup_d(g, planes), *dyd = dup_d(dy, tot);
    double *out = malloc(tot * 8), *dx = malloc(tot * 8), *dg = malloc(planes * 8);
    ref_chscale_forward(out, xd, gd, planes, hw);
    ref_chscale_backward(dx, dg, dyd, xd, gd, planes, hw);
    fd_ctx f = {0, planes, hw, 0, xd, gd, NULL, NULL, NULL, dyd, malloc(tot * 8), 0};
    int bad = fd_check(&f, xd, dx, tot, 1e-4) + fd_check(&f, gd, dg, planes, 1e-4);
    T_CHECK(bad == 0, "chscale reference vs central differences: %d off", bad);
    free(f.out);

    cl_mem bx = t_upload(ctx, x, tot * 4), bg = t_upload(ctx, g, planes * 4);
    cl_mem bdy = t_upload(ctx, dy, tot * 4), bo = t_alloc(ctx, tot * 4, 3.f);
    cl_mem bdx = t_alloc(ctx, tot * 4, 0.5f), bdg = t_alloc(ctx, planes * 4, 0.5f);
    T_OK(ct_chscale_forward(ctx, CT_PTR(bo, 0), CT_PTR(bx, 0), CT_PTR(bg, 0), n, c, hw));
    expect(ctx, bo, tot, out, 0, 1e-6, "chscale forward n%d c%d hw%d", n, c, hw);
    /* written first (the 0.5 prefill must vanish), then accumulated */
    T_OK(ct_chscale_backward(ctx, CT_PTR(bdx, 0), 0, CT_PTR(bdg, 0), 0, CT_PTR(bdy, 0),
                             CT_PTR(bx, 0), CT_PTR(bg, 0), n, c, hw));
    expect(ctx, bdx, tot, dx, 0, 1e-6, "chscale dx n%d c%d hw%d", n, c, hw);
    expect(ctx, bdg, planes, dg, 1e-5, 1e-5, "chscale dgate n%d c%d hw%d", n, c, hw);
    T_OK(ct_chscale_backward(ctx, CT_PTR(bdx, 0), 1, CT_PTR(bdg, 0), 1, CT_PTR(bdy, 0),
                             CT_PTR(bx, 0), CT_PTR(bg, 0), n, c, hw));
    for (size_t i = 0; i < tot; i++) dx[i] *= 2;
    for (int i = 0; i < planes; i++) dg[i] *= 2;
    expect(ctx, bdx, tot, dx, 0, 1e-6, "chscale dx accumulate n%d c%d hw%d", n, c, hw);
    expect(ctx, bdg, planes, dg, 2e-5, 1e-5, "chscale dgate accumulate n%d c%d hw%d", n, c, hw);
    ct_buf_free(ctx, bx), ct_buf_free(ctx, bg), ct_buf_free(ctx, bdy), ct_buf_free(ctx, bo);
    ct_buf_free(ctx, bdx), ct_buf_free(ctx, bdg);
    free(x), free(g), free(dy), free(xd), free(gd), free(dyd), free(out), free(dx), free(dg);
}

/* ---- dropout ----------------------------------------------------------------------------------- */

static void dropout_case(ct_ctx *ctx, t_rng *rng, size_t n, float p)
{
    float *x = malloc(n * 4), *mref = malloc(n * 4), *m1 = malloc(n * 4), *m2 = malloc(n * 4);
    float *got = malloc(n * 4);
    double *ref = malloc(n * 8);
    t_fill_uniform(rng, x, n, -3, 3);
    cl_mem bx = t_upload(ctx, x, n * 4), bo = t_alloc(ctx, n * 4, 0), bm = t_alloc(ctx, n * 4, 7);
    int pc = (int)lrintf(p * 100);
    /* train: mask from (seed 1234, step 5) exactly as the spec'd RNG gives */
    T_OK(ct_dropout_forward(ctx, CT_PTR(bo, 0), CT_PTR(bm, 0), CT_PTR(bx, 0), n, p, 1234, 5, 1));
    ref_dropout_mask(mref, n, p, 1234, 5);
    if (t_download(ctx, bm, m1, n * 4)) {
        size_t diff = 0, kept = 0;
        for (size_t i = 0; i < n; i++) diff += m1[i] != mref[i], kept += m1[i] != 0;
        T_CHECK(diff == 0, "dropout p%d%%: %zu mask entries differ from the reference", pc, diff);
        /* kept fraction within 5 sigma of 1 - p */
        double sd = sqrt(p * (1 - p) / n) + 1e-12;
        T_CHECK(fabs((double)kept / n - (1 - p)) <= 5 * sd, "dropout p%d%%: kept %zu of %zu", pc,
                kept, n);
    }
    for (size_t i = 0; i < n; i++) ref[i] = (double)x[i] * mref[i];
    expect(ctx, bo, n, ref, 0, 1e-6, "dropout forward p%d%% n%d", pc, (int)n);
    /* same (seed, step) again: the same mask; the next step: another one */
    T_OK(ct_dropout_forward(ctx, CT_PTR(bo, 0), CT_PTR(bm, 0), CT_PTR(bx, 0), n, p, 1234, 5, 1));
    if (t_download(ctx, bm, m2, n * 4))
        T_CHECK(!memcmp(m1, m2, n * 4), "dropout p%d%%: not reproducible from (seed, step)", pc);
    T_OK(ct_dropout_forward(ctx, CT_PTR(bo, 0), CT_PTR(bm, 0), CT_PTR(bx, 0), n, p, 1234, 6, 1));
    if (t_download(ctx, bm, m2, n * 4) && p > 0.05f && p < 0.95f && n > 1000) {
        size_t diff = 0;
        for (size_t i = 0; i < n; i++) diff += m1[i] != m2[i];
        T_CHECK(diff > n * p * (1 - p), "dropout p%d%%: step 6 mask differs in only %zu of %zu",
                pc, diff, n);
    }
    /* backward with the step-6 mask: din = dout * mask, then accumulate */
    cl_mem bd = t_alloc(ctx, n * 4, 9.f);
    T_OK(ct_dropout_backward(ctx, CT_PTR(bd, 0), 0, CT_PTR(bx, 0), CT_PTR(bm, 0), n));
    for (size_t i = 0; i < n; i++) ref[i] = (double)x[i] * m2[i];
    expect(ctx, bd, n, ref, 0, 1e-6, "dropout backward p%d%% n%d", pc, (int)n);
    T_OK(ct_dropout_backward(ctx, CT_PTR(bd, 0), 1, CT_PTR(bx, 0), CT_PTR(bm, 0), n));
    for (size_t i = 0; i < n; i++) ref[i] *= 2;
    expect(ctx, bd, n, ref, 0, 1e-6, "dropout backward accumulate p%d%% n%d", pc, (int)n);
    /* eval: identity, mask untouched */
    T_OK(ct_dropout_forward(ctx, CT_PTR(bo, 0), CT_PTR(bm, 0), CT_PTR(bx, 0), n, p, 1234, 7, 0));
    if (t_download(ctx, bo, got, n * 4))
        T_CHECK(!memcmp(got, x, n * 4), "dropout eval p%d%% must be the identity", pc);
    if (t_download(ctx, bm, got, n * 4))
        T_CHECK(!memcmp(got, m2, n * 4), "dropout eval p%d%% must not touch the mask", pc);
    ct_buf_free(ctx, bx), ct_buf_free(ctx, bo), ct_buf_free(ctx, bm), ct_buf_free(ctx, bd);
    free(x), free(mref), free(m1), free(m2), free(got), free(ref);
}

/* ---- spectral norm ----------------------------------------------------------------------------- */

static void unit(t_rng *rng, float *x, int n)
{
    double s = 0;
    t_fill_normal(rng, x, n, 1);
    for (int i = 0; i < n; i++) s += (double)x[i] * x[i];
    for (int i = 0; i < n; i++) x[i] = (float)(x[i] / sqrt(s));
}

static void specnorm_case(ct_ctx *ctx, t_rng *rng, int rows, int cols)
{
    size_t nw = (size_t)rows * cols;
    float *w = malloc(nw * 4), *u = malloc(rows * 4), *v = malloc(cols * 4), *g = malloc(nw * 4);
    t_fill_normal(rng, w, nw, (float)sqrt(2.0 / cols));
    unit(rng, u, rows);
    unit(rng, v, cols);
    t_fill_uniform(rng, g, nw, -1, 1);
    double *wd = dup_d(w, nw), *ud = dup_d(u, rows), *vd = dup_d(v, cols), *gd = dup_d(g, nw);
    double *wsn = malloc(nw * 8), *dw = malloc(nw * 8);
    double sigma = ref_specnorm_forward(wsn, ud, vd, wd, rows, cols, 1);
    ref_specnorm_backward(dw, gd, wd, ud, vd, sigma, rows, cols);
    fd_ctx f = {1, rows, cols, 0, NULL, NULL, wd, ud, vd, gd, malloc(nw * 8), 0};
    T_CHECK(fd_check(&f, wd, dw, nw, 1e-5) == 0, "specnorm %dx%d reference vs central differences",
            rows, cols);
    free(f.out);

    cl_mem bw = t_upload(ctx, w, nw * 4), bu = t_upload(ctx, u, rows * 4);
    cl_mem bv = t_upload(ctx, v, cols * 4), bg = t_upload(ctx, g, nw * 4);
    cl_mem bwsn = t_alloc(ctx, nw * 4, 0), bs = t_alloc(ctx, 4, 0), bdw = t_alloc(ctx, nw * 4, 0.25f);
    T_OK(ct_specnorm_forward(ctx, CT_PTR(bwsn, 0), CT_PTR(bs, 0), CT_PTR(bu, 0), CT_PTR(bv, 0),
                             CT_PTR(bw, 0), rows, cols, 1));
    /* mat-vecs of length <= 256 in float */
    expect(ctx, bs, 1, &sigma, 1e-6, 1e-5, "specnorm sigma %dx%d", rows, cols);
    expect(ctx, bu, rows, ud, 1e-5, 1e-4, "specnorm u %dx%d", rows, cols);
    expect(ctx, bv, cols, vd, 1e-5, 1e-4, "specnorm v %dx%d", rows, cols);
    expect(ctx, bwsn, nw, wsn, 1e-5, 1e-4, "specnorm w_sn %dx%d", rows, cols);
    T_OK(ct_specnorm_backward(ctx, CT_PTR(bdw, 0), CT_PTR(bg, 0), CT_PTR(bw, 0), CT_PTR(bu, 0),
                              CT_PTR(bv, 0), CT_PTR(bs, 0), rows, cols));
    for (size_t i = 0; i < nw; i++) dw[i] += 0.25; /* dw accumulates */
    expect(ctx, bdw, nw, dw, 1e-4 * max_abs(dw, nw), 1e-4, "specnorm dw %dx%d", rows, cols);
    /* eval: no power step, u and v unchanged, same sigma */
    T_OK(ct_specnorm_forward(ctx, CT_PTR(bwsn, 0), CT_PTR(bs, 0), CT_PTR(bu, 0), CT_PTR(bv, 0),
                             CT_PTR(bw, 0), rows, cols, 0));
    expect(ctx, bs, 1, &sigma, 1e-6, 1e-5, "specnorm eval sigma %dx%d", rows, cols);
    expect(ctx, bu, rows, ud, 1e-5, 1e-4, "specnorm eval keeps u %dx%d", rows, cols);
    ct_buf_free(ctx, bw), ct_buf_free(ctx, bu), ct_buf_free(ctx, bv), ct_buf_free(ctx, bg);
    ct_buf_free(ctx, bwsn), ct_buf_free(ctx, bs), ct_buf_free(ctx, bdw);
    free(w), free(u), free(v), free(g), free(wd), free(ud), free(vd), free(gd), free(wsn), free(dw);
}

/* ---- SimpleSelfAttention ----------------------------------------------------------------------- */

typedef struct {
    cl_mem x, w, gamma, out, convx, xxt, o, dy, dx, dw, dgamma;
} sa_bufs;

static void sa_free(ct_ctx *ctx, sa_bufs *s)
{
    cl_mem *m = &s->x;
    for (size_t i = 0; i < sizeof *s / sizeof(cl_mem); i++) ct_buf_free(ctx, m[i]);
}

/* Upload, run forward and backward (dx written over garbage, dw/dgamma accumulate onto 0). */
static void sa_run(ct_ctx *ctx, sa_bufs *s, const float *x, const float *w, float gamma,
                   const float *dy, const ct_sa_p *p)
{
    size_t t = (size_t)p->b * p->c * p->n, cc = (size_t)p->c * p->c;
    s->x = t_upload(ctx, x, t * 4), s->w = t_upload(ctx, w, cc * 4);
    s->gamma = t_upload(ctx, &gamma, 4), s->dy = t_upload(ctx, dy, t * 4);
    s->out = t_alloc(ctx, t * 4, 1), s->convx = t_alloc(ctx, t * 4, 1), s->o = t_alloc(ctx, t * 4, 1);
    s->xxt = t_alloc(ctx, p->b * cc * 4, 1), s->dx = t_alloc(ctx, t * 4, 1e9f);
    s->dw = t_alloc(ctx, cc * 4, 0), s->dgamma = t_alloc(ctx, 4, 0);
    T_OK(ct_sa_forward(ctx, CT_PTR(s->out, 0), CT_PTR(s->convx, 0), CT_PTR(s->xxt, 0),
                       CT_PTR(s->o, 0), CT_PTR(s->x, 0), CT_PTR(s->w, 0), CT_PTR(s->gamma, 0), p));
    T_OK(ct_sa_backward(ctx, CT_PTR(s->dx, 0), 0, CT_PTR(s->dw, 0), CT_PTR(s->dgamma, 0),
                        CT_PTR(s->dy, 0), CT_PTR(s->x, 0), CT_PTR(s->w, 0), CT_PTR(s->gamma, 0),
                        CT_PTR(s->convx, 0), CT_PTR(s->xxt, 0), CT_PTR(s->o, 0), p));
}

static void sa_case(ct_ctx *ctx, t_rng *rng, int b, int c, int n, float gamma)
{
    ct_sa_p p = {b, c, n};
    size_t t = (size_t)b * c * n, cc = (size_t)c * c;
    float *x = malloc(t * 4), *w = malloc(cc * 4), *dy = malloc(t * 4);
    t_fill_uniform(rng, x, t, -1, 1);
    t_fill_normal(rng, w, cc, (float)sqrt(2.0 / c));
    t_fill_uniform(rng, dy, t, -1, 1);
    double *xd = dup_d(x, t), *wd = dup_d(w, cc), *dyd = dup_d(dy, t);
    double *out = malloc(t * 8), *dx = malloc(t * 8), *dw = malloc(cc * 8), dg;
    ref_sa_forward(out, NULL, xd, wd, gamma, b, c, n);
    ref_sa_backward(dx, dw, &dg, dyd, xd, wd, gamma, b, c, n);
    if (t <= 2000) {
        fd_ctx f = {2, b, c, n, xd, NULL, wd, NULL, NULL, dyd, malloc(t * 8), gamma};
        int bad = fd_check(&f, xd, dx, t, 1e-5) + fd_check(&f, wd, dw, cc, 1e-5) +
                  fd_check(&f, &f.gamma, &dg, 1, 1e-5);
        T_CHECK(bad == 0, "SA b%d c%d n%d reference vs central differences: %d off", b, c, n, bad);
        free(f.out);
    }
    sa_bufs s;
    sa_run(ctx, &s, x, w, gamma, dy, &p);
    /* three chained GEMMs with K up to max(C, N) in float: scale atol by the output size */
    expect(ctx, s.out, t, out, 1e-5 * max_abs(out, t), 1e-4, "SA out b%d c%d n%d", b, c, n);
    expect(ctx, s.dx, t, dx, 1e-5 * max_abs(dx, t), 1e-4, "SA dx b%d c%d n%d", b, c, n);
    expect(ctx, s.dw, cc, dw, 1e-5 * max_abs(dw, cc), 1e-4, "SA dw b%d c%d n%d", b, c, n);
    expect(ctx, s.dgamma, 1, &dg, 1e-5 * fabs(dg) + 1e-6, 1e-4, "SA dgamma b%d c%d n%d", b, c, n);
    sa_free(ctx, &s);
    free(x), free(w), free(dy), free(xd), free(wd), free(dyd), free(out), free(dx), free(dw);
}

/* Spectral norm step + SA forward/backward + spectral-norm backward against torch. */
static void sa_golden(ct_ctx *ctx)
{
    t_golden *g = t_golden_load("sa_spectral.bin");
    const char *names[] = {"x", "w", "u0", "v0", "gamma", "u", "v", "sigma", "w_sn", "out", "dy",
                           "dx", "dw", "dgamma"};
    const t_tensor *t[14];
    int ok = g != NULL;
    for (int i = 0; i < 14; i++) ok &= (t[i] = t_golden_get(g, names[i])) != NULL;
    T_CHECK(ok, "sa_spectral.bin incomplete");
    if (ok) {
        const t_tensor *x = t[0];
        ct_sa_p p = {x->dims[0], x->dims[1], x->dims[2] * x->dims[3]};
        int c = p.c;
        double *ref[14];
        for (int i = 0; i < 14; i++) ref[i] = dup_d(t[i]->data, t[i]->numel);
        cl_mem bw = t_upload(ctx, t[1]->data, c * c * 4), bu = t_upload(ctx, t[2]->data, c * 4);
        cl_mem bv = t_upload(ctx, t[3]->data, c * 4), bwsn = t_alloc(ctx, c * c * 4, 0);
        cl_mem bs = t_alloc(ctx, 4, 0), bdw = t_alloc(ctx, c * c * 4, 0);
        T_OK(ct_specnorm_forward(ctx, CT_PTR(bwsn, 0), CT_PTR(bs, 0), CT_PTR(bu, 0), CT_PTR(bv, 0),
                                 CT_PTR(bw, 0), c, c, 1));
        expect(ctx, bu, c, ref[5], 1e-5, 1e-4, "SA torch: u after the power step");
        expect(ctx, bv, c, ref[6], 1e-5, 1e-4, "SA torch: v after the power step");
        expect(ctx, bs, 1, ref[7], 1e-5, 1e-5, "SA torch: sigma");
        float *wsn = malloc(c * c * 4);
        if (t_download(ctx, bwsn, wsn, c * c * 4)) {
            t_close("SA torch: w_sn", wsn, ref[8], c * c, 1e-5, 1e-4);
            sa_bufs s;
            sa_run(ctx, &s, x->data, wsn, t[4]->data[0], t[10]->data, &p);
            size_t tot = x->numel;
            expect(ctx, s.out, tot, ref[9], 1e-4, 1e-4, "SA torch: out");
            expect(ctx, s.dx, tot, ref[11], 1e-4, 1e-4, "SA torch: dx");
            expect(ctx, s.dgamma, 1, ref[13], 1e-4, 1e-4, "SA torch: dgamma");
            T_OK(ct_specnorm_backward(ctx, CT_PTR(bdw, 0), CT_PTR(s.dw, 0), CT_PTR(bw, 0),
                                      CT_PTR(bu, 0), CT_PTR(bv, 0), CT_PTR(bs, 0), c, c));
            expect(ctx, bdw, c * c, ref[12], 1e-4, 1e-4, "SA torch: dw (through spectral norm)");
            sa_free(ctx, &s);
        }
        free(wsn);
        for (int i = 0; i < 14; i++) free(ref[i]);
        ct_buf_free(ctx, bw), ct_buf_free(ctx, bu), ct_buf_free(ctx, bv), ct_buf_free(ctx, bwsn);
        ct_buf_free(ctx, bs), ct_buf_free(ctx, bdw);
    }
    t_golden_free(g);
}

int main(void)
{
    ct_ctx *ctx;
    int rc = t_ctx(&ctx);
    if (rc != T_PASS) return rc;
    t_rng r;
    t_rng_seed(&r, 13);
    const int cs[][3] = {{1, 1, 1}, {3, 5, 49}, {1, 3, 169}, {3, 64, 1024}, {1, 64, 1}};
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) chscale_case(ctx, &r, cs[i][0], cs[i][1], cs[i][2]);
    const float ps[] = {0.0f, 0.1f, 0.5f, 1.0f};
    for (int i = 0; i < 4; i++) {
        dropout_case(ctx, &r, 3 * 64 * 32 * 32 + 3, ps[i]);
        dropout_case(ctx, &r, 7, ps[i]);
    }
    T_CHECK(ct_dropout_forward(ctx, CT_PTR_NULL, CT_PTR_NULL, CT_PTR_NULL, 4, 1.5f, 0, 0, 1) ==
                CT_ERR_INVALID_ARG, "dropout p > 1 must be rejected");
    const int sn[][2] = {{1, 1}, {5, 5}, {7, 3}, {64, 64}, {256, 256}};
    for (size_t i = 0; i < sizeof sn / sizeof sn[0]; i++) specnorm_case(ctx, &r, sn[i][0], sn[i][1]);
    const int sa[][3] = {{1, 1, 1}, {3, 5, 7}, {1, 3, 13}, {3, 5, 49}, {2, 64, 169}, {1, 64, 1024}};
    for (size_t i = 0; i < sizeof sa / sizeof sa[0]; i++) sa_case(ctx, &r, sa[i][0], sa[i][1], sa[i][2], 0.7f);
    sa_case(ctx, &r, 3, 5, 7, 0.0f); /* fastai's initial gamma: out = x, dgamma still flows */
    sa_golden(ctx);
    ct_ctx_free(ctx);
    return t_finish("test_misc");
}
