/* maxpool2d, avgpool2d (ceil_mode, count_include_pad) and global average pool against the
 * plain-C double reference (tests/ref/pool.c), the reference's backward against central
 * differences, and PyTorch goldens (tests/gen/gen_actpool.py) for the xresnet stem and idpath. */
#include <math.h>
#include <stdlib.h>

#include "cltrain/ops.h"
#include "ref/ref.h"
#include "util.h"

typedef struct {
    float *y, *dx; /* (N, C, OH, OW), (N, C, H, W) */
    int *argmax;   /* maxpool only */
} pool_out;

/* Run forward, then backward written (accum 0) over a garbage-filled din, on the device. din is
 * left on the device in *din_out for the accumulate check. Returns 0 on a setup failure. */
static int run_pool(ct_ctx *ctx, int is_max, const ct_pool_p *p, const float *x, const float *dy,
                    pool_out *o, cl_mem *din_out)
{
    size_t ni = (size_t)p->n * p->c * p->h * p->w;
    size_t no = (size_t)p->n * p->c * ct_pool_out_h(p) * ct_pool_out_w(p);
    cl_mem bx = t_upload(ctx, x, ni * 4), bdy = t_upload(ctx, dy, no * 4);
    cl_mem by = t_alloc(ctx, no * 4, -9.f), bam = t_alloc(ctx, no * 4, -9.f);
    cl_mem bdx = t_alloc(ctx, ni * 4, 1e9f);
    o->y = malloc(no * 4), o->dx = malloc(ni * 4), o->argmax = malloc(no * 4);
    if (is_max) {
        T_OK(ct_maxpool_forward(ctx, CT_PTR(by, 0), CT_PTR(bam, 0), CT_PTR(bx, 0), p));
        T_OK(ct_maxpool_backward(ctx, CT_PTR(bdx, 0), 0, CT_PTR(bdy, 0), CT_PTR(bam, 0), p));
    } else {
        T_OK(ct_avgpool_forward(ctx, CT_PTR(by, 0), CT_PTR(bx, 0), p));
        T_OK(ct_avgpool_backward(ctx, CT_PTR(bdx, 0), 0, CT_PTR(bdy, 0), p));
    }
    int ok = t_download(ctx, by, o->y, no * 4) && t_download(ctx, bdx, o->dx, ni * 4) &&
             t_download(ctx, bam, o->argmax, no * 4);
    /* accumulate: din += the same gradient once more */
    if (is_max) T_OK(ct_maxpool_backward(ctx, CT_PTR(bdx, 0), 1, CT_PTR(bdy, 0), CT_PTR(bam, 0), p));
    else T_OK(ct_avgpool_backward(ctx, CT_PTR(bdx, 0), 1, CT_PTR(bdy, 0), p));
    ct_buf_free(ctx, bx), ct_buf_free(ctx, bdy), ct_buf_free(ctx, by), ct_buf_free(ctx, bam);
    *din_out = bdx;
    return ok;
}

static void free_out(pool_out *o)
{
    free(o->y), free(o->dx), free(o->argmax);
}

/* FD of loss = sum(r * pool(x)) on the reference, at up to 48 input positions */
typedef struct {
    int is_max;
    const ct_pool_p *p;
    double *x, *r, *y;
    size_t no;
} fd_ctx;

static double fd_loss(void *u)
{
    fd_ctx *c = u;
    if (c->is_max) ref_maxpool_forward(c->y, NULL, c->x, c->p);
    else ref_avgpool_forward(c->y, c->x, c->p);
    double s = 0;
    for (size_t i = 0; i < c->no; i++) s += c->r[i] * c->y[i];
    return s;
}

/* is_max: 0 avgpool, 1 maxpool on distinct values, 2 maxpool on ReLU-like values with ties (the
 * first maximum in row-major window order wins, as in PyTorch) */
static void one_case(ct_ctx *ctx, t_rng *rng, int is_max, const ct_pool_p *p)
{
    int ties = is_max == 2;
    char what[128];
    snprintf(what, sizeof what, "%s n%d c%d %dx%d k%d s%d p%d ceil%d",
             ties ? "maxpool ties" : is_max ? "maxpool" : "avgpool",
             p->n, p->c, p->h, p->w, p->k, p->stride, p->pad, p->ceil_mode);
    int oh = ref_pool_out(p->h, p->k, p->stride, p->pad, p->ceil_mode);
    int ow = ref_pool_out(p->w, p->k, p->stride, p->pad, p->ceil_mode);
    T_CHECK(oh == ct_pool_out_h(p) && ow == ct_pool_out_w(p), "%s: output %dx%d, library says %dx%d",
            what, oh, ow, ct_pool_out_h(p), ct_pool_out_w(p));
    size_t ni = (size_t)p->n * p->c * p->h * p->w, no = (size_t)p->n * p->c * oh * ow;
    float *x = malloc(ni * 4), *dy = malloc(no * 4), *got = malloc(ni * 4);
    double *xd = malloc(ni * 8), *dyd = malloc(no * 8), *yref = malloc(no * 8), *gref = malloc(ni * 8);
    int *am = malloc(no * sizeof(int));
    /* maxpool: distinct values 1e-3 apart (no ties, so argmax and FD are well defined) */
    for (size_t i = 0; i < ni; i++) x[i] = (float)i;
    for (size_t i = ni; is_max && i > 1; i--) {
        size_t j = (size_t)(t_uniform(rng) * i);
        float t = x[i - 1];
        x[i - 1] = x[j], x[j] = t;
    }
    for (size_t i = 0; i < ni; i++)
        x[i] = is_max ? (x[i] - ni / 2.0f) * 1e-3f : (float)(2 * t_uniform(rng) - 1);
    for (size_t i = 0; ties && i < ni; i++) x[i] = x[i] > 0 ? floorf(x[i] * 4) / 4 : 0.0f;
    t_fill_uniform(rng, dy, no, -1, 1);
    for (size_t i = 0; i < ni; i++) xd[i] = x[i];
    for (size_t i = 0; i < no; i++) dyd[i] = dy[i];
    if (is_max) {
        ref_maxpool_forward(yref, am, xd, p);
        ref_maxpool_backward(gref, dyd, am, p);
    } else {
        ref_avgpool_forward(yref, xd, p);
        ref_avgpool_backward(gref, dyd, p);
    }
    /* reference backward vs central differences (max: h below half the value spacing) */
    if (ni <= 20000 && !ties) {
        fd_ctx c = {is_max, p, xd, dyd, malloc(no * 8), no};
        int bad = 0;
        for (size_t j = 0; j < 48 && j < ni; j++) {
            size_t i = ni <= 48 ? j : j * (ni - 1) / 47;
            double fd = ref_fd(fd_loss, &c, xd, i, 1e-4);
            if (!(fabs(fd - gref[i]) <= 1e-8 + 1e-6 * fabs(gref[i]))) bad++;
        }
        T_CHECK(bad == 0, "%s: reference backward vs central differences, %d of 48 off", what, bad);
        free(c.y);
    }
    pool_out o;
    cl_mem din;
    if (run_pool(ctx, is_max, p, x, dy, &o, &din)) {
        /* max is exact; avg sums at most k*k floats */
        t_close(what, o.y, yref, no, is_max ? 0 : 1e-6, is_max ? 0 : 1e-5);
        if (is_max) {
            size_t bad = 0;
            for (size_t i = 0; i < no; i++) bad += o.argmax[i] != am[i];
            T_CHECK(bad == 0, "%s: %zu argmax indices differ", what, bad);
        }
        /* a gather sums at most ceil(k/s)^2 terms of |dy| <= 1 */
        t_close(what, o.dx, gref, ni, 1e-6, 1e-5);
        for (size_t i = 0; i < ni; i++) gref[i] *= 2;
        if (t_download(ctx, din, got, ni * 4)) t_close(what, got, gref, ni, 2e-6, 1e-5);
    }
    ct_buf_free(ctx, din);
    free_out(&o);
    free(x), free(dy), free(got), free(xd), free(dyd), free(yref), free(gref), free(am);
}

/* Against torch.nn.functional.max_pool2d / avg_pool2d (tests/data/pool_*.bin). */
static void check_golden(ct_ctx *ctx, const char *file)
{
    t_golden *g = t_golden_load(file);
    const t_tensor *pr = t_golden_get(g, "params"), *x = t_golden_get(g, "x"),
                   *y = t_golden_get(g, "y"), *dy = t_golden_get(g, "dy"), *dx = t_golden_get(g, "dx");
    T_CHECK(pr && x && y && dy && dx && pr->numel == 9, "%s incomplete", file);
    if (pr && x && y && dy && dx && pr->numel == 9) {
        const float *q = pr->data;
        ct_pool_p p = {(int)q[0], (int)q[1], (int)q[2], (int)q[3], (int)q[4], (int)q[5], (int)q[6],
                       (int)q[7]};
        int is_max = (int)q[8];
        T_CHECK((size_t)p.n * p.c * ct_pool_out_h(&p) * ct_pool_out_w(&p) == y->numel,
                "%s: output size %dx%d disagrees with torch's", file, ct_pool_out_h(&p),
                ct_pool_out_w(&p));
        pool_out o;
        cl_mem din;
        if (y->numel == (size_t)p.n * p.c * ct_pool_out_h(&p) * ct_pool_out_w(&p) &&
            run_pool(ctx, is_max, &p, x->data, dy->data, &o, &din)) {
            char what[128];
            snprintf(what, sizeof what, "%s forward vs torch", file);
            t_close_f(what, o.y, y->data, y->numel, is_max ? 0 : 1e-6, is_max ? 0 : 1e-5);
            snprintf(what, sizeof what, "%s backward vs torch", file);
            t_close_f(what, o.dx, dx->data, dx->numel, 1e-6, 1e-5);
            ct_buf_free(ctx, din);
            free_out(&o);
        }
    }
    t_golden_free(g);
}

static void gap_case(ct_ctx *ctx, t_rng *rng, int n, int c, int hw)
{
    size_t planes = (size_t)n * c, ni = planes * hw;
    float *x = malloc(ni * 4), *dy = malloc(planes * 4), *got = malloc(ni * 4);
    double *xd = malloc(ni * 8), *dyd = malloc(planes * 8), *yref = malloc(planes * 8),
           *gref = malloc(ni * 8);
    t_fill_uniform(rng, x, ni, -2, 2);
    t_fill_uniform(rng, dy, planes, -1, 1);
    for (size_t i = 0; i < ni; i++) xd[i] = x[i];
    for (size_t i = 0; i < planes; i++) dyd[i] = dy[i];
    ref_gap_forward(yref, xd, (int)planes, hw);
    ref_gap_backward(gref, dyd, (int)planes, hw);
    /* the reference backward is d/dx of sum(dy * mean): check one FD per plane */
    int bad = 0;
    for (size_t r = 0; r < planes && r < 64; r++) {
        double x0 = xd[r * hw], y1, y0;
        xd[r * hw] = x0 + 1e-3;
        ref_gap_forward(&y1, xd + r * hw, 1, hw);
        xd[r * hw] = x0 - 1e-3;
        ref_gap_forward(&y0, xd + r * hw, 1, hw);
        xd[r * hw] = x0;
        if (fabs(dyd[r] * (y1 - y0) / 2e-3 - gref[r * hw]) > 1e-9) bad++;
    }
    T_CHECK(bad == 0, "gap reference backward vs central differences: %d off", bad);
    cl_mem bx = t_upload(ctx, x, ni * 4), bdy = t_upload(ctx, dy, planes * 4);
    cl_mem by = t_alloc(ctx, planes * 4, 5.f), bdx = t_alloc(ctx, ni * 4, 0.25f);
    char what[64];
    snprintf(what, sizeof what, "gap n%d c%d hw%d", n, c, hw);
    T_OK(ct_gap_forward(ctx, CT_PTR(by, 0), CT_PTR(bx, 0), n, c, hw));
    if (t_download(ctx, by, got, planes * 4)) t_close(what, got, yref, planes, 1e-6, 1e-5);
    T_OK(ct_gap_backward(ctx, CT_PTR(bdx, 0), 1, CT_PTR(bdy, 0), n, c, hw));
    for (size_t i = 0; i < ni; i++) gref[i] += 0.25;
    if (t_download(ctx, bdx, got, ni * 4)) t_close(what, got, gref, ni, 1e-7, 1e-6);
    ct_buf_free(ctx, bx), ct_buf_free(ctx, bdy), ct_buf_free(ctx, by), ct_buf_free(ctx, bdx);
    free(x), free(dy), free(got), free(xd), free(dyd), free(yref), free(gref);
}

int main(void)
{
    ct_ctx *ctx;
    int rc = t_ctx(&ctx);
    if (rc != T_PASS) return rc;
    t_rng r;
    t_rng_seed(&r, 11);
    const int shapes[][4] = {{1, 1, 1, 1}, {3, 5, 7, 7}, {1, 3, 13, 13}, {3, 64, 32, 32},
                             {1, 64, 7, 13}, {3, 1, 6, 6}, {1, 3, 9, 70}};
    /* k, stride, pad, ceil: stem, idpath, ceil with padding, overlapping stride 1, k2 s1 */
    const int cfgs[][4] = {{3, 2, 1, 0}, {2, 2, 0, 1}, {3, 2, 1, 1}, {3, 1, 1, 0}, {2, 1, 0, 1}};
    const char *goldens[] = {"pool_max_stem.bin", "pool_max_stem32.bin", "pool_max_ceil.bin",
                             "pool_max_k2ceil.bin", "pool_avg_id7.bin", "pool_avg_id13.bin",
                             "pool_avg_padceil.bin", "pool_avg_padceil9.bin"};
    /* both work-item layouts of kernels/pool.cl: per row (the CPU default) and per element */
    const char *layouts[] = {"1", "0"};
    for (size_t lay = 0; lay < 2; lay++) {
        setenv("CLTRAIN_POOL_ROWS", layouts[lay], 1);
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
            for (size_t k = 0; k < sizeof cfgs / sizeof cfgs[0]; k++) {
                ct_pool_p p = {shapes[s][0], shapes[s][1], shapes[s][2], shapes[s][3],
                               cfgs[k][0],   cfgs[k][1],   cfgs[k][2],   cfgs[k][3]};
                if (ref_pool_out(p.h, p.k, p.stride, p.pad, p.ceil_mode) < 1 ||
                    ref_pool_out(p.w, p.k, p.stride, p.pad, p.ceil_mode) < 1) {
                    T_CHECK(ct_avgpool_forward(ctx, CT_PTR_NULL, CT_PTR_NULL, &p) ==
                                CT_ERR_INVALID_ARG,
                            "a %dx%d input with k%d must be rejected", p.h, p.w, p.k);
                    continue;
                }
                for (int is_max = 0; is_max < 3; is_max++) one_case(ctx, &r, is_max, &p);
            }
        for (size_t i = 0; i < sizeof goldens / sizeof goldens[0]; i++)
            check_golden(ctx, goldens[i]);
    }
    unsetenv("CLTRAIN_POOL_ROWS");
    ct_pool_p bad = {1, 1, 8, 8, 2, 2, 2, 0}; /* padding above half the kernel */
    T_CHECK(ct_maxpool_forward(ctx, CT_PTR_NULL, CT_PTR_NULL, CT_PTR_NULL, &bad) ==
                CT_ERR_INVALID_ARG, "pad > k/2 must be rejected");
    const int gaps[][3] = {{1, 1, 1}, {3, 5, 49}, {1, 3, 169}, {3, 64, 1024}, {2, 512, 16}};
    for (size_t i = 0; i < sizeof gaps / sizeof gaps[0]; i++)
        gap_case(ctx, &r, gaps[i][0], gaps[i][1], gaps[i][2]);
    ct_ctx_free(ctx);
    return t_finish("test_pool");
}
