/* Composite: an xresnet basic block y = relu(bn2(conv2(relu(bn1(conv1(x))))) + x), forward and
 * backward on the device in graph order (the identity path writes dx, conv1's backward adds to it),
 * against the composed double references of tests/ref/ (conv, batchnorm) and a plain ReLU here;
 * the composed reference itself against central finite differences of sum(y * dy).
 * Tolerances: |a-b| <= 5e-5 + 5e-4*|ref| for y and every gradient (fp32 convs feed two batchnorms,
 * which divide by the batch std; observed max |err| ~5e-6); reference vs
 * finite differences (double, h = 1e-6): |a-b| <= 1e-6 + 1e-5*|fd|. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/ops.h"
#include "guarded.h"
#include "ref/ref.h"
#include "util.h"

#define BN_EPS 1e-5
#define BN_MOM 0.1

typedef struct {
    const char *name;
    int n, c, h, w;
} block_case;

static const block_case cases[] = {{"3x5x7x7", 3, 5, 7, 7}, {"1x16x5x13", 1, 16, 5, 13}};

/* All tensors of the block in double: activations (N, C, H, W), params per conv/bn. */
typedef struct {
    ct_conv2d_p p; /* both convs: C -> C, 3x3, stride 1, pad 1, no bias */
    size_t na, nw;
    int c, hw;
    double *x, *w1, *w2, *g1, *b1, *g2, *b2, *dy;
    double *h1, *a1, *r1, *h2, *a2, *s, *y; /* conv1, bn1, relu, conv2, bn2, sum, relu */
} block;

static void relu_fwd(double *o, const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++) o[i] = x[i] > 0 ? x[i] : 0;
}

/* d *= (y > 0) */
static void relu_bwd(double *d, const double *y, size_t n)
{
    for (size_t i = 0; i < n; i++) d[i] = y[i] > 0 ? d[i] : 0;
}

static void block_forward(block *b)
{
    ref_conv2d_forward(b->h1, b->x, b->w1, NULL, &b->p);
    ref_bn_forward_train(b->a1, NULL, NULL, NULL, NULL, b->h1, b->g1, b->b1, b->p.n, b->c, b->hw,
                         BN_EPS, BN_MOM);
    relu_fwd(b->r1, b->a1, b->na);
    ref_conv2d_forward(b->h2, b->r1, b->w2, NULL, &b->p);
    ref_bn_forward_train(b->a2, NULL, NULL, NULL, NULL, b->h2, b->g2, b->b2, b->p.n, b->c, b->hw,
                         BN_EPS, BN_MOM);
    for (size_t i = 0; i < b->na; i++) b->s[i] = b->a2[i] + b->x[i];
    relu_fwd(b->y, b->s, b->na);
}

typedef struct {
    double *dx, *dw1, *dw2, *dg1, *db1, *dg2, *db2;
} block_grads;

/* Gradients of sum(y * dy); uses the activations of the last block_forward. */
static void block_backward(block *b, block_grads *g)
{
    size_t na = b->na;
    double *ds = malloc(na * 8), *dh = malloc(na * 8), *dr = malloc(na * 8);
    memcpy(ds, b->dy, na * 8);
    relu_bwd(ds, b->y, na);
    ref_bn_backward(dh, g->dg2, g->db2, ds, b->h2, b->g2, b->p.n, b->c, b->hw, BN_EPS);
    ref_conv2d_backward_data(dr, dh, b->w2, &b->p);
    ref_conv2d_backward_weight(g->dw2, NULL, dh, b->r1, &b->p);
    relu_bwd(dr, b->r1, na);
    ref_bn_backward(dh, g->dg1, g->db1, dr, b->h1, b->g1, b->p.n, b->c, b->hw, BN_EPS);
    ref_conv2d_backward_data(g->dx, dh, b->w1, &b->p);
    ref_conv2d_backward_weight(g->dw1, NULL, dh, b->x, &b->p);
    for (size_t i = 0; i < na; i++) g->dx[i] += ds[i]; /* the identity path */
    free(ds), free(dh), free(dr);
}

static double block_loss(void *u)
{
    block *b = u;
    block_forward(b);
    double l = 0;
    for (size_t i = 0; i < b->na; i++) l += b->y[i] * b->dy[i];
    return l;
}

static void fd_check(t_rng *r, block *b, double *x, const double *grad, size_t n, const char *what)
{
    int ok = 1;
    double worst = 0;
    for (size_t j = 0; j < 12; j++) {
        size_t i = (size_t)(t_uniform(r) * n);
        double fd = ref_fd(block_loss, b, x, i, 1e-6);
        double err = fabs(grad[i] - fd), tol = 1e-6 + 1e-5 * fabs(fd);
        if (!(err <= tol)) ok = 0;
        if (err > worst) worst = err;
    }
    T_CHECK(ok, "resblock reference %s grad vs central differences: worst |err| %g", what, worst);
}

static float *to_float(const double *x, size_t n)
{
    float *f = malloc(n * sizeof *f);
    for (size_t i = 0; i < n; i++) f[i] = (float)x[i];
    return f;
}

static double *rand_d(t_rng *r, size_t n, double lo, double hi)
{
    double *x = malloc(n * 8);
    for (size_t i = 0; i < n; i++) x[i] = (double)(float)(lo + (hi - lo) * t_uniform(r));
    return x;
}

static void one_case(ct_ctx *ctx, t_rng *r, const block_case *cs)
{
    block b;
    memset(&b, 0, sizeof b);
    b.p = (ct_conv2d_p){cs->n, cs->c, cs->h, cs->w, cs->c, 3, 3, 1, 1, 1};
    b.c = cs->c, b.hw = cs->h * cs->w;
    b.na = (size_t)cs->n * cs->c * b.hw;
    b.nw = (size_t)cs->c * cs->c * 9;
    const size_t na = b.na, nw = b.nw, c = (size_t)cs->c;
    b.x = rand_d(r, na, -1, 1), b.dy = rand_d(r, na, -1, 1);
    b.w1 = rand_d(r, nw, -0.3, 0.3), b.w2 = rand_d(r, nw, -0.3, 0.3);
    b.g1 = rand_d(r, c, 0.5, 1.5), b.b1 = rand_d(r, c, -0.5, 0.5);
    b.g2 = rand_d(r, c, 0.5, 1.5), b.b2 = rand_d(r, c, -0.5, 0.5);
    double **acts[] = {&b.h1, &b.a1, &b.r1, &b.h2, &b.a2, &b.s, &b.y};
    for (int i = 0; i < 7; i++) *acts[i] = malloc(na * 8);
    block_grads g = {malloc(na * 8), malloc(nw * 8), malloc(nw * 8), malloc(c * 8),
                     malloc(c * 8), malloc(c * 8), malloc(c * 8)};
    block_forward(&b);
    block_backward(&b, &g);
    double *y_ref = malloc(na * 8);
    memcpy(y_ref, b.y, na * 8);

    char what[128];
    snprintf(what, sizeof what, "%s input", cs->name);
    fd_check(r, &b, b.x, g.dx, na, what);
    snprintf(what, sizeof what, "%s conv1 weight", cs->name);
    fd_check(r, &b, b.w1, g.dw1, nw, what);
    snprintf(what, sizeof what, "%s bn1 gamma", cs->name);
    fd_check(r, &b, b.g1, g.dg1, c, what);
    snprintf(what, sizeof what, "%s bn2 beta", cs->name);
    fd_check(r, &b, b.b2, g.db2, c, what);

    /* device: every tensor in its own guarded buffer; grads of params start at zero */
    float *fx = to_float(b.x, na), *fdy = to_float(b.dy, na), *fw1 = to_float(b.w1, nw);
    float *fw2 = to_float(b.w2, nw), *fg1 = to_float(b.g1, c), *fb1 = to_float(b.b1, c);
    float *fg2 = to_float(b.g2, c), *fb2 = to_float(b.b2, c);
    float *zw = calloc(nw, 4), *zc = calloc(c, 4), *ones = malloc(c * 4);
    for (size_t i = 0; i < c; i++) ones[i] = 1.f;
    cl_mem x = g_put(ctx, fx, na), dy = g_put(ctx, fdy, na), w1 = g_put(ctx, fw1, nw);
    cl_mem w2 = g_put(ctx, fw2, nw), g1 = g_put(ctx, fg1, c), b1 = g_put(ctx, fb1, c);
    cl_mem g2 = g_put(ctx, fg2, c), b2 = g_put(ctx, fb2, c);
    cl_mem act[7], tmp[2], stats[8], grads[6], dx = g_put(ctx, NULL, na);
    for (int i = 0; i < 7; i++) act[i] = g_put(ctx, NULL, na);
    for (int i = 0; i < 2; i++) tmp[i] = g_put(ctx, NULL, na);
    for (int i = 0; i < 8; i++) stats[i] = g_put(ctx, i % 4 == 3 ? ones : zc, c);
    grads[0] = g_put(ctx, zw, nw), grads[1] = g_put(ctx, zw, nw);
    for (int i = 2; i < 6; i++) grads[i] = g_put(ctx, zc, c);
    ct_bn_p bp = {cs->n, cs->c, b.hw, (float)BN_EPS, (float)BN_MOM, CT_ACT_NONE};
    const ct_conv2d_p *p = &b.p;
    /* stats: bn1 mean, rstd, run_mean, run_var, then bn2 likewise */
    ct_ptr s1m = g_ptr(stats[0]), s1r = g_ptr(stats[1]), s2m = g_ptr(stats[4]), s2r = g_ptr(stats[5]);
    T_OK(ct_conv2d_forward(ctx, g_ptr(act[0]), g_ptr(x), g_ptr(w1), CT_PTR_NULL, p));
    T_OK(ct_bn_forward_train(ctx, g_ptr(act[1]), s1m, s1r, g_ptr(stats[2]), g_ptr(stats[3]),
                             g_ptr(act[0]), g_ptr(g1), g_ptr(b1), &bp));
    T_OK(ct_act_forward(ctx, CT_ACT_RELU, g_ptr(act[2]), g_ptr(act[1]), na));
    T_OK(ct_conv2d_forward(ctx, g_ptr(act[3]), g_ptr(act[2]), g_ptr(w2), CT_PTR_NULL, p));
    T_OK(ct_bn_forward_train(ctx, g_ptr(act[4]), s2m, s2r, g_ptr(stats[6]), g_ptr(stats[7]),
                             g_ptr(act[3]), g_ptr(g2), g_ptr(b2), &bp));
    T_OK(ct_add_forward(ctx, g_ptr(act[5]), g_ptr(act[4]), g_ptr(x), na));
    T_OK(ct_act_forward(ctx, CT_ACT_RELU, g_ptr(act[6]), g_ptr(act[5]), na));
    /* backward in reverse node order; tmp[0] = ds, tmp[1] = dh/dr scratch */
    T_OK(ct_act_backward(ctx, CT_ACT_RELU, g_ptr(tmp[0]), 0, g_ptr(dy), g_ptr(act[6]), na));
    T_OK(ct_add_backward(ctx, g_ptr(tmp[1]), 0, g_ptr(dx), 0, g_ptr(tmp[0]), na)); /* dx = ds */
    T_OK(ct_bn_backward(ctx, g_ptr(tmp[0]), 0, g_ptr(grads[4]), g_ptr(grads[5]), g_ptr(tmp[1]),
                        g_ptr(act[3]), g_ptr(g2), s2m, s2r, &bp));
    T_OK(ct_conv2d_backward_data(ctx, g_ptr(tmp[1]), 0, g_ptr(tmp[0]), g_ptr(w2), p));
    T_OK(ct_conv2d_backward_weight(ctx, g_ptr(grads[1]), CT_PTR_NULL, g_ptr(tmp[0]), g_ptr(act[2]),
                                   p));
    T_OK(ct_act_backward(ctx, CT_ACT_RELU, g_ptr(tmp[0]), 0, g_ptr(tmp[1]), g_ptr(act[2]), na));
    T_OK(ct_bn_backward(ctx, g_ptr(tmp[1]), 0, g_ptr(grads[2]), g_ptr(grads[3]), g_ptr(tmp[0]),
                        g_ptr(act[0]), g_ptr(g1), s1m, s1r, &bp));
    T_OK(ct_conv2d_backward_data(ctx, g_ptr(dx), 1, g_ptr(tmp[1]), g_ptr(w1), p)); /* dx += */
    T_OK(ct_conv2d_backward_weight(ctx, g_ptr(grads[0]), CT_PTR_NULL, g_ptr(tmp[1]), g_ptr(x), p));

    const struct {
        cl_mem m;
        const double *ref;
        size_t n;
        const char *name;
        double atol, rtol;
    } outs[] = {{act[6], y_ref, na, "y", 5e-5, 5e-4},       {dx, g.dx, na, "dx", 5e-5, 5e-4},
                {grads[0], g.dw1, nw, "dw1", 5e-5, 5e-4}, {grads[1], g.dw2, nw, "dw2", 5e-5, 5e-4},
                {grads[2], g.dg1, c, "dgamma1", 5e-5, 5e-4}, {grads[3], g.db1, c, "dbeta1", 5e-5, 5e-4},
                {grads[4], g.dg2, c, "dgamma2", 5e-5, 5e-4}, {grads[5], g.db2, c, "dbeta2", 5e-5, 5e-4}};
    for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++) {
        snprintf(what, sizeof what, "resblock %s: %s", cs->name, outs[i].name);
        g_expect(ctx, outs[i].m, outs[i].ref, outs[i].n, outs[i].atol, outs[i].rtol, what);
    }

    cl_mem all[] = {x, dy, w1, w2, g1, b1, g2, b2, dx, tmp[0], tmp[1], grads[0], grads[1],
                    grads[2], grads[3], grads[4], grads[5]};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) ct_buf_free(ctx, all[i]);
    for (int i = 0; i < 7; i++) ct_buf_free(ctx, act[i]), free(*acts[i]);
    for (int i = 0; i < 8; i++) ct_buf_free(ctx, stats[i]);
    free(fx), free(fdy), free(fw1), free(fw2), free(fg1), free(fb1), free(fg2), free(fb2);
    free(zw), free(zc), free(ones), free(y_ref);
    free(b.x), free(b.dy), free(b.w1), free(b.w2), free(b.g1), free(b.b1), free(b.g2), free(b.b2);
    free(g.dx), free(g.dw1), free(g.dw2), free(g.dg1), free(g.db1), free(g.dg2), free(g.db2);
}

int main(void)
{
    ct_ctx *ctx;
    int rc = t_ctx(&ctx);
    if (rc != T_PASS) return rc;
    t_rng r;
    t_rng_seed(&r, 2024);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) one_case(ctx, &r, &cases[i]);
    ct_ctx_free(ctx);
    return t_finish("test_resblock");
}
