/* ReLU, Mish and sigmoid kernels against the plain-C double reference (tests/ref/act.c), the
 * reference's derivatives against central differences, and Mish against PyTorch goldens. */
#include <math.h>
#include <stdlib.h>

#include "cltrain/ops.h"
#include "ref/ref.h"
#include "util.h"

/* Inputs that stress the stable forms: around 0, the softplus threshold 20, exp overflow. */
static const float special[] = {0.0f,  1e-3f, -1e-3f, 0.5f,  -0.5f, 1.0f,   -1.0f,  3.0f,  -3.0f,
                                9.0f,  15.0f, 19.9f,  20.0f, 20.1f, 40.0f,  100.0f, 1e3f,  -15.0f,
                                -20.f, -25.f, -40.f,  -60.f, -88.f, -100.f, -1e3f,  1e30f, -1e30f};
#define N_SPECIAL (sizeof special / sizeof special[0])

static const char *act_name(ct_act a)
{
    return a == CT_ACT_RELU ? "relu" : a == CT_ACT_MISH ? "mish" : "sigmoid";
}

/* Forward and backward of `act` on n elements at an element offset, against the reference.
 * Backward writes (accum 0) into a buffer prefilled with garbage, then accumulates once more. */
static void one_case(ct_ctx *ctx, t_rng *r, ct_act act, size_t n)
{
    const size_t off = 5, tot = n + off;
    float *x = malloc(tot * 4), *dy = malloc(tot * 4), *got = malloc(tot * 4);
    double *xd = malloc(n * 8), *dyd = malloc(n * 8), *ref = malloc(n * 8), *gref = malloc(n * 8);
    t_fill_normal(r, x, tot, 4.0f);
    t_fill_uniform(r, dy, tot, -1, 1);
    for (size_t i = 0; i < n && i < N_SPECIAL; i++) x[off + i] = special[i];
    for (size_t i = 0; i < n; i++) xd[i] = x[off + i], dyd[i] = dy[off + i];
    ref_act_forward(ref, xd, act, n);
    ref_act_backward(gref, dyd, xd, act, n);

    cl_mem dx_in = t_upload(ctx, x, tot * 4), dout = t_upload(ctx, dy, tot * 4);
    cl_mem dyb = t_alloc(ctx, tot * 4, -7.0f), din = t_alloc(ctx, tot * 4, 123.0f);
    char what[96];
    /* tolerances: exp/tanh on the device are within a few ulp; relu is exact */
    double atol = act == CT_ACT_RELU ? 0 : 1e-7, rtol = act == CT_ACT_RELU ? 0 : 3e-6;
    T_OK(ct_act_forward(ctx, act, CT_PTR(dyb, off), CT_PTR(dx_in, off), n));
    snprintf(what, sizeof what, "%s forward n=%zu", act_name(act), n);
    if (t_download(ctx, dyb, got, tot * 4)) t_close(what, got + off, ref, n, atol, rtol);

    /* ReLU/sigmoid backward read the forward output; Mish reads the input */
    ct_ptr saved = ct_act_backward_uses_output(act) ? CT_PTR(dyb, off) : CT_PTR(dx_in, off);
    T_OK(ct_act_backward(ctx, act, CT_PTR(din, off), 0, CT_PTR(dout, off), saved, n));
    /* sigmoid from its float output: y (1 - y) loses ~6e-8 absolute near saturation */
    double gatol = act == CT_ACT_RELU ? 0 : 3e-7, grtol = act == CT_ACT_RELU ? 0 : 3e-6;
    snprintf(what, sizeof what, "%s backward n=%zu", act_name(act), n);
    if (t_download(ctx, din, got, tot * 4)) {
        t_close(what, got + off, gref, n, gatol, grtol);
        T_CHECK(got[0] == 123.0f && got[off - 1] == 123.0f, "%s wrote before its offset", what);
    }
    T_OK(ct_act_backward(ctx, act, CT_PTR(din, off), 1, CT_PTR(dout, off), saved, n));
    for (size_t i = 0; i < n; i++) gref[i] *= 2;
    snprintf(what, sizeof what, "%s backward accumulate n=%zu", act_name(act), n);
    if (t_download(ctx, din, got, tot * 4)) t_close(what, got + off, gref, n, 2 * gatol, grtol);

    /* in place: forward over x itself, backward over dout itself */
    T_OK(ct_act_forward(ctx, act, CT_PTR(dx_in, off), CT_PTR(dx_in, off), n));
    snprintf(what, sizeof what, "%s forward in place n=%zu", act_name(act), n);
    if (t_download(ctx, dx_in, got, tot * 4)) t_close(what, got + off, ref, n, atol, rtol);
    if (ct_act_backward_uses_output(act)) {
        T_OK(ct_act_backward(ctx, act, CT_PTR(dout, off), 0, CT_PTR(dout, off),
                             CT_PTR(dx_in, off), n));
        for (size_t i = 0; i < n; i++) gref[i] /= 2;
        snprintf(what, sizeof what, "%s backward in place n=%zu", act_name(act), n);
        if (t_download(ctx, dout, got, tot * 4)) t_close(what, got + off, gref, n, gatol, grtol);
    }
    ct_buf_free(ctx, dx_in), ct_buf_free(ctx, dout), ct_buf_free(ctx, dyb), ct_buf_free(ctx, din);
    free(x), free(dy), free(got), free(xd), free(dyd), free(ref), free(gref);
}

/* The reference derivative against central differences of the reference forward, in double. */
typedef struct {
    ct_act act;
    double *x;
} fd_ctx;

static double fd_loss(void *u)
{
    fd_ctx *c = u;
    double y;
    ref_act_forward(&y, c->x, c->act, 1);
    return y;
}

static void check_fd(ct_act act)
{
    int bad = 0;
    for (double x = -30; x <= 30; x += 0.37) {
        if (act == CT_ACT_RELU && fabs(x) < 1e-3) continue; /* kink */
        double xv = x, one = 1, d;
        fd_ctx c = {act, &xv};
        ref_act_backward(&d, &one, &xv, act, 1);
        double fd = ref_fd(fd_loss, &c, &xv, 0, 1e-5);
        if (!(fabs(fd - d) <= 1e-8 + 1e-6 * fabs(d))) {
            if (!bad) fprintf(stderr, "%s: x=%g analytic %.12g fd %.12g\n", act_name(act), x, d, fd);
            bad++;
        }
    }
    T_CHECK(bad == 0, "%s reference derivative vs central differences: %d points off",
            act_name(act), bad);
}

/* Mish forward and backward against torch.nn.functional.mish (tests/gen/gen_actpool.py). */
static void check_golden(ct_ctx *ctx)
{
    t_golden *g = t_golden_load("mish_golden.bin");
    const t_tensor *x = t_golden_get(g, "x"), *y = t_golden_get(g, "y"), *dy = t_golden_get(g, "dy"),
                   *dx = t_golden_get(g, "dx");
    T_CHECK(x && y && dy && dx, "mish_golden.bin incomplete");
    if (x && y && dy && dx) {
        size_t n = x->numel;
        float *got = malloc(n * 4);
        cl_mem bx = t_upload(ctx, x->data, n * 4), bdy = t_upload(ctx, dy->data, n * 4);
        cl_mem by = t_alloc(ctx, n * 4, 0), bdx = t_alloc(ctx, n * 4, 0);
        T_OK(ct_act_forward(ctx, CT_ACT_MISH, CT_PTR(by, 0), CT_PTR(bx, 0), n));
        T_OK(ct_act_backward(ctx, CT_ACT_MISH, CT_PTR(bdx, 0), 0, CT_PTR(bdy, 0), CT_PTR(bx, 0), n));
        if (t_download(ctx, by, got, n * 4))
            t_close_f("mish forward vs torch", got, y->data, n, 1e-6, 1e-5);
        if (t_download(ctx, bdx, got, n * 4))
            t_close_f("mish backward vs torch", got, dx->data, n, 1e-6, 1e-5);
        ct_buf_free(ctx, bx), ct_buf_free(ctx, bdy), ct_buf_free(ctx, by), ct_buf_free(ctx, bdx);
        free(got);
    }
    t_golden_free(g);
}

int main(void)
{
    ct_ctx *ctx;
    int rc = t_ctx(&ctx);
    if (rc != T_PASS) return rc;
    t_rng r;
    t_rng_seed(&r, 7);
    /* element counts of (N, C, H, W) = (1,1,1,1), (3,5,7,7), (1,3,13,13), (3,64,32,32) */
    const size_t sizes[] = {1, 3 * 5 * 7 * 7, 1 * 3 * 13 * 13, 3 * 64 * 32 * 32};
    const ct_act acts[] = {CT_ACT_RELU, CT_ACT_MISH, CT_ACT_SIGMOID};
    for (int a = 0; a < 3; a++) {
        check_fd(acts[a]);
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) one_case(ctx, &r, acts[a], sizes[s]);
    }
    check_golden(ctx);
    T_CHECK(ct_act_forward(ctx, (ct_act)42, CT_PTR_NULL, CT_PTR_NULL, 1) == CT_ERR_INVALID_ARG,
            "an unknown activation must be rejected");
    ct_ctx_free(ctx);
    return t_finish("test_act");
}
