/* Label-smoothing cross-entropy and top-1/top-5 kernels against (1) the plain-C double
 * reference (C 1..1000, eps 0 and 0.1, huge logits, ties, bad labels), (2) central finite
 * differences of the reference and (3) PyTorch goldens (tests/data/loss_ls.bin). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/ops.h"
#include "guarded.h"
#include "ref/ref.h"
#include "util.h"

/* Device tensors: logits and outputs are guarded (offset G_OFF, sentinels around; outputs start
 * as NaN); labels (int32) sit at offset G_OFF of their own buffer. */
typedef struct {
    cl_mem x, y, loss, dx, top;
} bufs;

static int setup(ct_ctx *ctx, bufs *b, const float *x, const int *y, int n, int c)
{
    int *hy = calloc((size_t)n + G_OFF, 4);
    if (!hy) return 0;
    memcpy(hy + G_OFF, y, (size_t)n * 4);
    b->y = t_upload(ctx, hy, ((size_t)n + G_OFF) * 4);
    free(hy);
    b->x = g_put(ctx, x, (size_t)n * c);
    b->loss = g_put(ctx, NULL, (size_t)n);
    b->dx = g_put(ctx, NULL, (size_t)n * c);
    b->top = g_put(ctx, NULL, (size_t)n);
    return b->x && b->y && b->loss && b->dx && b->top;
}

static void release(ct_ctx *ctx, bufs *b)
{
    ct_buf_free(ctx, b->x), ct_buf_free(ctx, b->y), ct_buf_free(ctx, b->loss);
    ct_buf_free(ctx, b->dx), ct_buf_free(ctx, b->top);
}

/* n 4-byte elements of a guarded tensor (sentinels checked) */
static int down(ct_ctx *ctx, cl_mem m, void *h, size_t n)
{
    float *t = malloc((n ? n : 1) * 4);
    int ok = t && g_get(ctx, m, t, n, "loss test output");
    if (ok) memcpy(h, t, n * 4);
    free(t);
    return ok;
}

static ct_status run_all(ct_ctx *ctx, bufs *b, int n, int c, float eps)
{
    ct_status st =
        ct_xent_forward(ctx, g_ptr(b->loss), g_ptr(b->x), CT_PTR(b->y, G_OFF), n, c, eps);
    if (st == CT_OK)
        st = ct_xent_backward(ctx, g_ptr(b->dx), g_ptr(b->x), CT_PTR(b->y, G_OFF), n, c, eps);
    if (st == CT_OK)
        st = ct_topk_correct(ctx, g_ptr(b->top), g_ptr(b->x), CT_PTR(b->y, G_OFF), n, c);
    return st;
}

static void check_topk(ct_ctx *ctx, bufs *b, const int *want, int n, const char *shape)
{
    int *got = malloc((size_t)n * 4), bad = 0, first = -1;
    if (got && down(ctx, b->top, got, n))
        for (int i = 0; i < n; i++)
            if (got[i] != want[i]) bad++, first = first < 0 ? i : first;
    T_CHECK(got && bad == 0, "topk %s: %d of %d wrong (first [%d] got %d want %d)", shape, bad, n,
            first, first >= 0 ? got[first] : 0, first >= 0 ? want[first] : 0);
    free(got);
}

/* kind 0: normal logits (std 3); 1: a huge logit per row (1e4: exp overflows without the max);
 * 2: small integers (many ties) */
static void one_case(ct_ctx *ctx, t_rng *r, int n, int c, float eps, int kind)
{
    size_t e = (size_t)n * c;
    float *x = malloc(e * 4), *got = malloc(e * 4);
    int *y = malloc((size_t)n * 4), *top = malloc((size_t)n * 4);
    double *loss = malloc((size_t)n * 8), *dx = malloc(e * 8);
    t_fill_normal(r, x, e, 3.0f);
    for (size_t i = 0; i < e; i++) {
        if (kind == 1 && i % c == (i / c) % c) x[i] = 1e4f;
        if (kind == 2) x[i] = floorf(x[i] / 3);
    }
    for (int i = 0; i < n; i++)
        y[i] = (int)(t_uniform(r) * c);
    char shape[96];
    snprintf(shape, sizeof shape, "N%d C%d eps%g kind%d", n, c, eps, kind);
    bufs b;
    if (!setup(ctx, &b, x, y, n, c)) {
        T_CHECK(0, "setup %s", shape);
        return;
    }
    double *xd = t_to_double(x, e);
    ref_xent_forward(loss, xd, y, n, c, eps);
    ref_xent_backward(dx, xd, y, n, c, eps);
    ref_topk_correct(top, xd, y, n, c);
    T_OK(run_all(ctx, &b, n, c, eps));
    char what[128];
    /* float log-sum-exp: lse good to ~1e-7 relative, the smoothing sum c*lse - sum z to
     * ~1e-7 * c * |lse| (scaled by eps/c) */
    snprintf(what, sizeof what, "xent loss %s", shape);
    if (down(ctx, b.loss, got, n)) t_close(what, got, loss, n, 2e-6, 2e-6);
    snprintf(what, sizeof what, "xent dlogits %s", shape);
    if (down(ctx, b.dx, got, e)) t_close(what, got, dx, e, 1e-7 / n, 2e-6);
    check_topk(ctx, &b, top, n, shape);
    release(ctx, &b);
    free(x), free(got), free(y), free(top), free(loss), free(dx), free(xd);
}

/* A label outside [0, c) gives a NaN loss and NaN gradient row, and no top-k credit. */
static void bad_label(ct_ctx *ctx)
{
    int n = 3, c = 4, y[] = {1, 4, -1};
    float x[12] = {1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4}, loss[3], dx[12];
    int top[3];
    bufs b;
    if (!setup(ctx, &b, x, y, n, c)) {
        T_CHECK(0, "setup bad_label");
        return;
    }
    T_OK(run_all(ctx, &b, n, c, 0.1f));
    if (down(ctx, b.loss, loss, 3) && down(ctx, b.dx, dx, 12) && down(ctx, b.top, top, 3)) {
        T_CHECK(isfinite(loss[0]) && isnan(loss[1]) && isnan(loss[2]), "bad label loss %g %g %g",
                loss[0], loss[1], loss[2]);
        T_CHECK(isfinite(dx[0]) && isnan(dx[4]) && isnan(dx[11]), "bad label dlogits");
        T_CHECK(top[0] == 2 && top[1] == 0 && top[2] == 0, "bad label topk %d %d %d", top[0],
                top[1], top[2]);
    }
    release(ctx, &b);
}

/* The reference backward against central differences of the reference mean loss (double). */
static void fd_case(t_rng *r, int n, int c, double eps)
{
    size_t e = (size_t)n * c;
    double *x = malloc(e * 8), *dx = malloc(e * 8), h = 1e-5;
    int *y = malloc((size_t)n * 4), bad = 0;
    for (size_t i = 0; i < e; i++)
        x[i] = 3 * t_normal(r);
    for (int i = 0; i < n; i++)
        y[i] = (int)(t_uniform(r) * c);
    ref_xent_backward(dx, x, y, n, c, eps);
    for (size_t i = 0; i < e; i++) {
        double keep = x[i];
        x[i] = keep + h;
        double lp = ref_xent_forward(NULL, x, y, n, c, eps);
        x[i] = keep - h;
        double lm = ref_xent_forward(NULL, x, y, n, c, eps);
        x[i] = keep;
        double f = (lp - lm) / (2 * h);
        bad += !(fabs(f - dx[i]) <= 1e-8 + 1e-6 * fabs(dx[i])); /* O(h^2) + 1e-16/h */
    }
    T_CHECK(bad == 0, "finite differences vs ref_xent_backward N%d C%d eps%g: %d off", n, c, eps,
            bad);
    free(x), free(dx), free(y);
}

static const float *gt(const t_golden *g, const char *name, const char *tag)
{
    char full[64];
    snprintf(full, sizeof full, "%s%s", name, tag);
    const t_tensor *t = t_golden_get(g, full);
    return t ? t->data : NULL;
}

/* PyTorch: fastai's formula written out in torch (and checked there against
 * F.cross_entropy(label_smoothing)), its autograd dlogits, torch.topk masks. */
static void golden_case(ct_ctx *ctx, const t_golden *g, const char *tag)
{
    char key[64];
    snprintf(key, sizeof key, "logits%s", tag);
    const t_tensor *xt = t_golden_get(g, key);
    const float *lab = gt(g, "labels", tag), *mean = gt(g, "loss", tag),
                *each = gt(g, "loss_each", tag), *dl = gt(g, "dlogits", tag),
                *t1 = gt(g, "top1", tag), *t5 = gt(g, "top5", tag);
    T_CHECK(xt && xt->ndim == 2 && lab && mean && each && dl && t1 && t5, "loss_ls.bin%s", tag);
    if (!(xt && xt->ndim == 2 && lab && mean && each && dl && t1 && t5)) return;
    int n = xt->dims[0], c = xt->dims[1];
    size_t e = (size_t)n * c;
    int *y = malloc((size_t)n * 4), *want = malloc((size_t)n * 4);
    float *got = malloc(e * 4);
    for (int i = 0; i < n; i++)
        y[i] = (int)lab[i], want[i] = (t1[i] > 0.5f) | (t5[i] > 0.5f) << 1;
    bufs b;
    if (setup(ctx, &b, xt->data, y, n, c)) {
        T_OK(run_all(ctx, &b, n, c, 0.1f));
        char what[96];
        snprintf(what, sizeof what, "golden loss_each%s", tag);
        if (down(ctx, b.loss, got, n)) {
            t_close_f(what, got, each, n, 2e-6, 2e-6);
            double s = 0;
            for (int i = 0; i < n; i++)
                s += got[i];
            float m = (float)(s / n);
            snprintf(what, sizeof what, "golden mean loss%s", tag);
            t_close_f(what, &m, mean, 1, 2e-6, 2e-6);
        }
        snprintf(what, sizeof what, "golden dlogits%s", tag);
        if (down(ctx, b.dx, got, e)) t_close_f(what, got, dl, e, 1e-7, 2e-6);
        check_topk(ctx, &b, want, n, tag[0] ? tag : "golden");
        release(ctx, &b);
    } else {
        T_CHECK(0, "setup golden%s", tag);
    }
    free(y), free(want), free(got);
}

int main(void)
{
    ct_ctx *ctx;
    int rc = t_ctx(&ctx);
    if (rc != T_PASS) return rc;
    t_rng r;
    t_rng_seed(&r, 11);

    const int ns[] = {1, 3, 37}, cs[] = {1, 3, 5, 6, 10, 257, 1000};
    for (size_t a = 0; a < 3; a++)
        for (size_t b = 0; b < 7; b++)
            for (int kind = 0; kind < 3; kind++) {
                one_case(ctx, &r, ns[a], cs[b], 0.1f, kind);
                if (kind == 0) one_case(ctx, &r, ns[a], cs[b], 0.0f, kind);
            }
    bad_label(ctx);

    fd_case(&r, 3, 7, 0.1);
    fd_case(&r, 2, 1, 0.1);
    fd_case(&r, 4, 5, 0.0);

    T_CHECK(ct_xent_forward(ctx, CT_PTR_NULL, CT_PTR_NULL, CT_PTR_NULL, 0, 10, 0.1f) ==
                CT_ERR_INVALID_ARG,
            "N = 0 must be refused");
    ct_error_clear();

    t_golden *g = t_golden_load("loss_ls.bin");
    T_CHECK(g != NULL, "loss_ls.bin missing");
    if (g) {
        golden_case(ctx, g, "");
        golden_case(ctx, g, "_c3");
        t_golden_free(g);
    }
    ct_ctx_free(ctx);
    return t_finish("test_loss");
}
