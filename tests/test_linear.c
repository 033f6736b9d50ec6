/* linear (x . W^T + b) forward and backward against the plain-C double reference on awkward
 * shapes, the reference against central finite differences, din write/accumulate, dw/db +=.
 * Tolerances (values uniform in [-1, 1], K the reduction length: IN forward, OUT for din,
 * N for dw/db): kernels |a-b| <= 3e-5*sqrt(K) + 1e-4*|ref|; reference vs finite differences
 * |a-b| <= 1e-8 + 1e-8*|fd| in double (h = 1e-3; the layer is linear in each argument). */
#include <math.h>
#include <stdlib.h>

#include "cltrain/ops.h"
#include "guarded.h"
#include "ref/ref.h"
#include "util.h"

typedef struct {
    int n, in_f, out_f, bias;
} lin_case;

static const lin_case cases[] = {{1, 1, 1, 1},   {3, 5, 7, 1},    {1, 64, 10, 0}, {3, 512, 10, 1},
                                 {32, 13, 64, 1}, {7, 93, 144, 0}, {3, 1, 5, 1}};

typedef struct {
    const lin_case *c;
    double *in, *w, *b, *g, *out;
} fd_ctx;

static double fd_loss(void *u)
{
    fd_ctx *f = u;
    ref_linear_forward(f->out, f->in, f->w, f->b, f->c->n, f->c->in_f, f->c->out_f);
    double l = 0;
    for (size_t i = 0; i < (size_t)f->c->n * f->c->out_f; i++) l += f->out[i] * f->g[i];
    return l;
}

static void fd_check(t_rng *r, fd_ctx *f, double *x, const double *grad, size_t n, const char *what)
{
    int ok = 1;
    for (size_t j = 0; j < (n < 16 ? n : 16); j++) {
        size_t i = n <= 16 ? j : (size_t)(t_uniform(r) * n);
        double fd = ref_fd(fd_loss, f, x, i, 1e-3);
        if (!(fabs(grad[i] - fd) <= 1e-8 + 1e-8 * fabs(fd))) ok = 0;
    }
    T_CHECK(ok, "linear %dx%d->%d: reference %s grad differs from central differences", f->c->n,
            f->c->in_f, f->c->out_f, what);
}

static void one_case(ct_ctx *ctx, t_rng *r, const lin_case *c)
{
    const size_t ni = (size_t)c->n * c->in_f, nw = (size_t)c->out_f * c->in_f;
    const size_t no = (size_t)c->n * c->out_f, nb = (size_t)c->out_f;
    float *in = malloc(ni * 4), *w = malloc(nw * 4), *b = malloc(nb * 4), *dout = malloc(no * 4);
    float *din0 = malloc(ni * 4), *dw0 = malloc(nw * 4), *db0 = malloc(nb * 4);
    t_fill_uniform(r, in, ni, -1, 1), t_fill_uniform(r, w, nw, -1, 1);
    t_fill_uniform(r, b, nb, -1, 1), t_fill_uniform(r, dout, no, -1, 1);
    t_fill_uniform(r, din0, ni, -1, 1), t_fill_uniform(r, dw0, nw, -1, 1);
    t_fill_uniform(r, db0, nb, -1, 1);
    fd_ctx f = {c, t_to_double(in, ni), t_to_double(w, nw), t_to_double(b, nb),
                t_to_double(dout, no), malloc(no * 8)};
    double *r_din = malloc(ni * 8), *r_dw = malloc(nw * 8), *r_db = malloc(nb * 8);
    double *r_out = malloc(no * 8);
    ref_linear_forward(r_out, f.in, f.w, c->bias ? f.b : NULL, c->n, c->in_f, c->out_f);
    ref_linear_backward(r_din, r_dw, r_db, f.g, f.in, f.w, c->n, c->in_f, c->out_f);
    fd_check(r, &f, f.in, r_din, ni, "input");
    fd_check(r, &f, f.w, r_dw, nw, "weight");
    fd_check(r, &f, f.b, r_db, nb, "bias");

    cl_mem m_in = g_put(ctx, in, ni), m_w = g_put(ctx, w, nw), m_b = c->bias ? g_put(ctx, b, nb) : 0;
    cl_mem m_dout = g_put(ctx, dout, no), m_out = g_put(ctx, NULL, no);
    cl_mem m_din = g_put(ctx, NULL, ni), m_din2 = g_put(ctx, din0, ni);
    cl_mem m_dw = g_put(ctx, dw0, nw), m_db = g_put(ctx, db0, nb);
    T_OK(ct_linear_forward(ctx, g_ptr(m_out), g_ptr(m_in), g_ptr(m_w), g_ptr(m_b), c->n, c->in_f,
                           c->out_f));
    /* first call writes din and accumulates dw/db; the second accumulates din only */
    T_OK(ct_linear_backward(ctx, g_ptr(m_din), 0, g_ptr(m_dw), g_ptr(m_db), g_ptr(m_dout),
                            g_ptr(m_in), g_ptr(m_w), c->n, c->in_f, c->out_f));
    T_OK(ct_linear_backward(ctx, g_ptr(m_din2), 1, CT_PTR_NULL, CT_PTR_NULL, g_ptr(m_dout),
                            g_ptr(m_in), g_ptr(m_w), c->n, c->in_f, c->out_f));
    char what[128];
    const char *fmt = "linear %dx%d->%d%s: %s";
    const char *bs = c->bias ? " bias" : "";
    snprintf(what, sizeof what, fmt, c->n, c->in_f, c->out_f, bs, "forward");
    g_expect(ctx, m_out, r_out, no, 3e-5 * sqrt(c->in_f), 1e-4, what);
    snprintf(what, sizeof what, fmt, c->n, c->in_f, c->out_f, bs, "din write");
    g_expect(ctx, m_din, r_din, ni, 3e-5 * sqrt(c->out_f), 1e-4, what);
    double *e = g_sum(din0, r_din, ni);
    snprintf(what, sizeof what, fmt, c->n, c->in_f, c->out_f, bs, "din accumulate");
    g_expect(ctx, m_din2, e, ni, 3e-5 * sqrt(c->out_f), 1e-4, what);
    free(e);
    e = g_sum(dw0, r_dw, nw);
    snprintf(what, sizeof what, fmt, c->n, c->in_f, c->out_f, bs, "dw +=");
    g_expect(ctx, m_dw, e, nw, 3e-5 * sqrt(c->n), 1e-4, what);
    free(e);
    e = g_sum(db0, r_db, nb);
    snprintf(what, sizeof what, fmt, c->n, c->in_f, c->out_f, bs, "db +=");
    g_expect(ctx, m_db, e, nb, 3e-5 * sqrt(c->n), 1e-4, what);
    free(e);
    ct_buf_free(ctx, m_in), ct_buf_free(ctx, m_w), ct_buf_free(ctx, m_b), ct_buf_free(ctx, m_dout);
    ct_buf_free(ctx, m_out), ct_buf_free(ctx, m_din), ct_buf_free(ctx, m_din2);
    ct_buf_free(ctx, m_dw), ct_buf_free(ctx, m_db);
    free(in), free(w), free(b), free(dout), free(din0), free(dw0), free(db0);
    free(f.in), free(f.w), free(f.b), free(f.g), free(f.out);
    free(r_din), free(r_dw), free(r_db), free(r_out);
}

int main(void)
{
    ct_ctx *ctx;
    int rc = t_ctx(&ctx);
    if (rc != T_PASS) return rc;
    t_rng r;
    t_rng_seed(&r, 11);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) one_case(ctx, &r, &cases[i]);
    cl_mem m = t_alloc(ctx, 64, 0.f);
    T_CHECK(ct_linear_forward(ctx, CT_PTR(m, 0), CT_PTR(m, 0), CT_PTR(m, 0), CT_PTR_NULL, 1, 0,
                              3) == CT_ERR_INVALID_ARG,
            "in_f 0 must be rejected");
    ct_error_clear();
    ct_buf_free(ctx, m);
    ct_ctx_free(ctx);
    return t_finish("test_linear");
}
