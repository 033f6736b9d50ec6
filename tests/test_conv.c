/* conv2d forward, backward data (write and accumulate) and backward weight/bias against three
 * oracles: the plain-C double reference (tests/ref/conv.c) on awkward shapes, central finite
 * differences of that reference, and PyTorch goldens (tests/data/conv_*.bin, tests/gen/gen_conv.py).
 * Every device check runs on each route: CLTRAIN_CONV_GEMM=tiled with and without
 * CLTRAIN_CONV_IMPLICIT (stride-1 implicit GEMM) here, CLTRAIN_CONV_GEMM=clblast in the same
 * source built as test_conv_clblast. The "(1px)" cases (and the other one-pixel outputs) take the
 * tiled back end's 1-pixel route (conv_1px) on both tiled passes.
 *
 * Tolerances (inputs, weights, grads uniform in [-1, 1]; K = the reduction length of the output
 * element: C_in/g*KH*KW forward, C_out/g*KH*KW backward data, N*OH*OW backward weight):
 *   kernels vs double reference  |a-b| <= 3e-5*sqrt(K) + 1e-4*|ref|   (fp32 accumulation)
 *   reference vs finite diffs    |a-b| <= 1e-8 + 1e-8*|fd|            (all in double, h = 1e-3;
 *                                                                      conv is linear, so exact)
 *   kernels vs PyTorch goldens   |a-b| <= 1e-4 + 1e-4*|torch|         (both fp32)            */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/ops.h"
#include "guarded.h"
#include "ref/ref.h"
#include "util.h"

typedef struct {
    const char *name;
    ct_conv2d_p p; /* n, c_in, h, w, c_out, kh, kw, stride, pad, groups */
    int bias;
    int chunk; /* CLTRAIN_CONV_CHUNK for this case (0: unset) */
} conv_case;

static const conv_case cases[] = {
    {"1x1 spatial1 c1", {1, 1, 1, 1, 1, 1, 1, 1, 0, 1}, 1, 0},
    {"3x3 s1 c3->5 7x7", {3, 3, 7, 7, 5, 3, 3, 1, 1, 1}, 1, 0},
    {"3x3 s2 c5->64 13x13", {3, 5, 13, 13, 64, 3, 3, 2, 1, 1}, 0, 0},
    {"3x3 s2 c5->64 13x13 chunk2", {3, 5, 13, 13, 64, 3, 3, 2, 1, 1}, 1, 2},
    {"1x1 s1 c64->64 32x32", {1, 64, 32, 32, 64, 1, 1, 1, 0, 1}, 0, 0},
    {"1x1 s1 c5->3 7x13 bias", {3, 5, 7, 13, 3, 1, 1, 1, 0, 1}, 1, 0},
    {"1x1 s2 c5->3 13x7", {3, 5, 13, 7, 3, 1, 1, 2, 0, 1}, 1, 0},
    {"3x3 s1 c64->64 g32 7x7", {3, 64, 7, 7, 64, 3, 3, 1, 1, 32}, 1, 0},
    {"3x3 s2 c64->64 g32 13x13 chunk2", {3, 64, 13, 13, 64, 3, 3, 2, 1, 32}, 0, 2},
    {"1x1 s1 c64->64 g32 7x7", {3, 64, 7, 7, 64, 1, 1, 1, 0, 32}, 1, 0},
    {"3x3 s2 depthwise c64 13x13", {3, 64, 13, 13, 64, 3, 3, 2, 1, 64}, 1, 0},
    {"3x3 s1 depthwise x2 c5->10 7x7", {1, 5, 7, 7, 10, 3, 3, 1, 1, 5}, 0, 0},
    {"3x3 s1 pad1 spatial1", {3, 3, 1, 1, 5, 3, 3, 1, 1, 1}, 1, 0},
    {"3x3 s1 pad0 c3->5 7x7", {1, 3, 7, 7, 5, 3, 3, 1, 0, 1}, 1, 0},
    {"5x5 s2 pad2 c3->5 13x13", {3, 3, 13, 13, 5, 5, 5, 2, 2, 1}, 1, 0},
    {"1x3 s1 pad1 c3->5 7x13", {1, 3, 7, 13, 5, 1, 3, 1, 1, 1}, 0, 0},
    {"stem 3x3 s2 c3->32 32x32", {3, 3, 32, 32, 32, 3, 3, 2, 1, 1}, 0, 0},
    {"3x3 s1 c5->3 20x33 (row vector loads)", {1, 5, 20, 33, 3, 3, 3, 1, 1, 1}, 1, 0},
    {"3x3 s2 c3->5 9x40 (strided vector loads)", {3, 3, 9, 40, 5, 3, 3, 2, 1, 1}, 1, 0},
    {"3x3 s1 g2 c4->6 17x18 chunk2", {3, 4, 17, 18, 6, 3, 3, 1, 1, 2}, 1, 2},
    {"3x3 s1 c5->7 16x16 (implicit)", {3, 5, 16, 16, 7, 3, 3, 1, 1, 1}, 1, 0},
    {"3x3 s1 g4 c8->12 13x29 (implicit) chunk2", {3, 8, 13, 29, 12, 3, 3, 1, 1, 4}, 1, 2},
    {"5x5 s1 pad2 c3->4 9x30 (implicit)", {1, 3, 9, 30, 4, 5, 5, 1, 2, 1}, 0, 0},
    {"3x3 s1 pad0 c4->9 6x18 (implicit)", {2, 4, 6, 18, 9, 3, 3, 1, 0, 1}, 1, 0},
    {"3x3 s1 c6->10 8x8 (implicit 2 rows)", {2, 6, 8, 8, 10, 3, 3, 1, 1, 1}, 1, 0},
    {"3x3 s2 c5->9 13x16 (implicit 2 rows s2)", {3, 5, 13, 16, 9, 3, 3, 2, 1, 1}, 0, 0},
    {"3x3 s1 g2 c4->6 8x8 (implicit 2 rows) chunk2", {3, 4, 8, 8, 6, 3, 3, 1, 1, 2}, 1, 2},
    {"3x3 s2 c3->5 5x16 (implicit 2 rows s2)", {2, 3, 5, 16, 5, 3, 3, 2, 1, 1}, 1, 0},
    {"5x5 s1 pad2 c3->4 7x8 (implicit 2 rows)", {1, 3, 7, 8, 4, 5, 5, 1, 2, 1}, 0, 0},
    {"3x3 s2 c3->4 9x27 (implicit s2, 14 columns)", {2, 3, 9, 27, 4, 3, 3, 2, 1, 1}, 1, 0},
    {"3x3 s1 c32->8 64x64 (wgrad L2 launches)", {2, 32, 64, 64, 8, 3, 3, 1, 1, 1}, 0, 0},
    {"1x1 s1 g4 c8->12 4x4 (implicit wgrad)", {3, 8, 4, 4, 12, 1, 1, 1, 0, 4}, 1, 0},
    {"1x1 s1 c5->7 8x2 (implicit wgrad)", {3, 5, 8, 2, 7, 1, 1, 1, 0, 1}, 0, 0},
    {"3x3 s1 c20->33 1x1 (1px)", {3, 20, 1, 1, 33, 3, 3, 1, 1, 1}, 1, 0},
    {"3x3 s2 c20->17 2x2 (1px)", {3, 20, 2, 2, 17, 3, 3, 2, 1, 1}, 0, 0},
    {"1x1 s1 c24->40 1x1 (1px)", {5, 24, 1, 1, 40, 1, 1, 1, 0, 1}, 1, 0},
    {"5x5 s2 pad2 c6->5 2x2 (1px)", {2, 6, 2, 2, 5, 5, 5, 2, 2, 1}, 1, 0},
};

typedef struct {
    const ct_conv2d_p *p;
    size_t n_in, n_w, n_out;
} sizes;

static sizes conv_sizes(const ct_conv2d_p *p)
{
    sizes s = {p, (size_t)p->n * p->c_in * p->h * p->w,
               (size_t)p->c_out * (p->c_in / p->groups) * p->kh * p->kw,
               (size_t)p->n * p->c_out * ct_conv2d_out_h(p) * ct_conv2d_out_w(p)};
    return s;
}

/* Every kernel pass of one conv on the device, compared with the double reference. Inputs are
 * float; the references see the same values widened to double. */
static void check_kernels(ct_ctx *ctx, t_rng *r, const conv_case *cs)
{
    const ct_conv2d_p *p = &cs->p;
    sizes s = conv_sizes(p);
    const size_t c = (size_t)p->c_out;
    float *in = malloc(s.n_in * 4), *w = malloc(s.n_w * 4), *b = malloc(c * 4);
    float *dout = malloc(s.n_out * 4), *din0 = malloc(s.n_in * 4), *dw0 = malloc(s.n_w * 4);
    float *db0 = malloc(c * 4);
    t_fill_uniform(r, in, s.n_in, -1, 1);
    t_fill_uniform(r, w, s.n_w, -1, 1);
    t_fill_uniform(r, b, c, -1, 1);
    t_fill_uniform(r, dout, s.n_out, -1, 1);
    t_fill_uniform(r, din0, s.n_in, -1, 1);
    t_fill_uniform(r, dw0, s.n_w, -1, 1);
    t_fill_uniform(r, db0, c, -1, 1);
    double *din_ = t_to_double(in, s.n_in), *dw_ = t_to_double(w, s.n_w), *db_ = t_to_double(b, c);
    double *ddout = t_to_double(dout, s.n_out);
    double *r_out = malloc(s.n_out * 8), *r_din = malloc(s.n_in * 8), *r_dw = malloc(s.n_w * 8);
    double *r_db = malloc(c * 8);
    ref_conv2d_forward(r_out, din_, dw_, cs->bias ? db_ : NULL, p);
    ref_conv2d_backward_data(r_din, ddout, dw_, p);
    ref_conv2d_backward_weight(r_dw, r_db, ddout, din_, p);

    if (cs->chunk) {
        char v[16];
        snprintf(v, sizeof v, "%d", cs->chunk);
        setenv("CLTRAIN_CONV_CHUNK", v, 1);
    }
    cl_mem m_in = g_put(ctx, in, s.n_in), m_w = g_put(ctx, w, s.n_w);
    cl_mem m_b = cs->bias ? g_put(ctx, b, c) : NULL, m_dout = g_put(ctx, dout, s.n_out);
    cl_mem m_out = g_put(ctx, NULL, s.n_out), m_din = g_put(ctx, NULL, s.n_in);
    cl_mem m_din2 = g_put(ctx, din0, s.n_in), m_dw = g_put(ctx, dw0, s.n_w);
    cl_mem m_db = g_put(ctx, db0, c);
    if (!m_in || !m_w || !m_dout || !m_out || !m_din || !m_din2 || !m_dw || !m_db ||
        (cs->bias && !m_b)) {
        T_CHECK(0, "%s: device buffers", cs->name);
        goto done;
    }
    T_OK(ct_conv2d_forward(ctx, g_ptr(m_out), g_ptr(m_in), g_ptr(m_w), g_ptr(m_b), p));
    T_OK(ct_conv2d_backward_data(ctx, g_ptr(m_din), 0, g_ptr(m_dout), g_ptr(m_w), p));
    T_OK(ct_conv2d_backward_data(ctx, g_ptr(m_din2), 1, g_ptr(m_dout), g_ptr(m_w), p));
    T_OK(ct_conv2d_backward_weight(ctx, g_ptr(m_dw), g_ptr(m_db), g_ptr(m_dout), g_ptr(m_in), p));

    const int cg = p->c_in / p->groups, cog = p->c_out / p->groups;
    const double k_f = (double)cg * p->kh * p->kw, k_d = (double)cog * p->kh * p->kw;
    const double k_w = (double)p->n * ct_conv2d_out_h(p) * ct_conv2d_out_w(p);
    char what[160];
    snprintf(what, sizeof what, "%s: forward", cs->name);
    g_expect(ctx, m_out, r_out, s.n_out, 3e-5 * sqrt(k_f), 1e-4, what);
    snprintf(what, sizeof what, "%s: backward_data write", cs->name);
    g_expect(ctx, m_din, r_din, s.n_in, 3e-5 * sqrt(k_d), 1e-4, what);
    double *e = g_sum(din0, r_din, s.n_in);
    snprintf(what, sizeof what, "%s: backward_data accumulate", cs->name);
    g_expect(ctx, m_din2, e, s.n_in, 3e-5 * sqrt(k_d), 1e-4, what);
    free(e);
    e = g_sum(dw0, r_dw, s.n_w);
    snprintf(what, sizeof what, "%s: backward_weight dw +=", cs->name);
    g_expect(ctx, m_dw, e, s.n_w, 3e-5 * sqrt(k_w), 1e-4, what);
    free(e);
    e = g_sum(db0, r_db, c);
    snprintf(what, sizeof what, "%s: backward_weight dbias +=", cs->name);
    g_expect(ctx, m_db, e, c, 3e-5 * sqrt(k_w), 1e-4, what);
    free(e);
done:
    if (cs->chunk) unsetenv("CLTRAIN_CONV_CHUNK");
    ct_buf_free(ctx, m_in), ct_buf_free(ctx, m_w), ct_buf_free(ctx, m_b);
    ct_buf_free(ctx, m_dout), ct_buf_free(ctx, m_out), ct_buf_free(ctx, m_din);
    ct_buf_free(ctx, m_din2), ct_buf_free(ctx, m_dw), ct_buf_free(ctx, m_db);
    free(in), free(w), free(b), free(dout), free(din0), free(dw0), free(db0);
    free(din_), free(dw_), free(db_), free(ddout);
    free(r_out), free(r_din), free(r_dw), free(r_db);
}

/* ---- finite differences of the reference ----------------------------------------------------- */

typedef struct {
    const ct_conv2d_p *p;
    double *in, *w, *b, *g, *out; /* g: the fixed dout; loss = sum(out * g) */
    size_t n_out;
} fd_ctx;

static double fd_loss(void *u)
{
    fd_ctx *f = u;
    ref_conv2d_forward(f->out, f->in, f->w, f->b, f->p);
    double l = 0;
    for (size_t i = 0; i < f->n_out; i++) l += f->out[i] * f->g[i];
    return l;
}

/* Compare analytic grads with central differences at up to 16 random indices of x. */
static void fd_compare(t_rng *r, fd_ctx *f, double *x, const double *grad, size_t n,
                       const char *case_name, const char *what)
{
    size_t idx[16], m = n < 16 ? n : 16;
    double fd[16];
    for (size_t j = 0; j < m; j++) {
        idx[j] = n <= 16 ? j : (size_t)(t_uniform(r) * n);
        fd[j] = ref_fd(fd_loss, f, x, idx[j], 1e-3);
    }
    int ok = 1;
    for (size_t j = 0; j < m; j++)
        if (!(fabs(grad[idx[j]] - fd[j]) <= 1e-8 + 1e-8 * fabs(fd[j]))) ok = 0;
    T_CHECK(ok, "%s: reference %s grad differs from central differences", case_name, what);
}

static void check_reference_fd(t_rng *r, const conv_case *cs)
{
    const ct_conv2d_p *p = &cs->p;
    sizes s = conv_sizes(p);
    size_t c = (size_t)p->c_out;
    fd_ctx f = {p, malloc(s.n_in * 8), malloc(s.n_w * 8), malloc(c * 8), malloc(s.n_out * 8),
                malloc(s.n_out * 8), s.n_out};
    double *gin = malloc(s.n_in * 8), *gw = malloc(s.n_w * 8), *gb = malloc(c * 8);
    for (size_t i = 0; i < s.n_in; i++) f.in[i] = 2 * t_uniform(r) - 1;
    for (size_t i = 0; i < s.n_w; i++) f.w[i] = 2 * t_uniform(r) - 1;
    for (size_t i = 0; i < c; i++) f.b[i] = 2 * t_uniform(r) - 1;
    for (size_t i = 0; i < s.n_out; i++) f.g[i] = 2 * t_uniform(r) - 1;
    ref_conv2d_backward_data(gin, f.g, f.w, p);
    ref_conv2d_backward_weight(gw, gb, f.g, f.in, p);
    fd_compare(r, &f, f.in, gin, s.n_in, cs->name, "input");
    fd_compare(r, &f, f.w, gw, s.n_w, cs->name, "weight");
    fd_compare(r, &f, f.b, gb, c, cs->name, "bias");
    free(f.in), free(f.w), free(f.b), free(f.g), free(f.out), free(gin), free(gw), free(gb);
}

/* ---- PyTorch goldens ------------------------------------------------------------------------- */

static const char *golden_files[] = {"conv_g2_s2_bias.bin", "conv_dw_s2_bias.bin",
                                     "conv_k1_s1_bias.bin", "conv_k5_s3_p2_bias.bin"};

static void check_golden(ct_ctx *ctx, const char *file)
{
    t_golden *g = t_golden_load(file);
    T_CHECK(g != NULL, "golden %s missing (run tests/gen/gen_conv.py)", file);
    if (!g) return;
    const char *names[] = {"params", "input", "weight", "bias", "out", "dout", "din", "dw", "dbias"};
    const t_tensor *t[9];
    for (int i = 0; i < 9; i++)
        if (!(t[i] = t_golden_get(g, names[i]))) {
            T_CHECK(0, "golden %s lacks %s", file, names[i]);
            t_golden_free(g);
            return;
        }
    const float *pv = t[0]->data;
    ct_conv2d_p p = {(int)pv[0], (int)pv[1], (int)pv[2], (int)pv[3], (int)pv[4],
                     (int)pv[5], (int)pv[6], (int)pv[7], (int)pv[8], (int)pv[9]};
    sizes s = conv_sizes(&p);
    int sizes_ok = t[0]->numel == 10 && t[1]->numel == s.n_in && t[2]->numel == s.n_w &&
                   t[4]->numel == s.n_out && t[6]->numel == s.n_in &&
                   t[8]->numel == (size_t)p.c_out;
    T_CHECK(sizes_ok, "golden %s: tensor sizes do not match its params", file);
    if (!sizes_ok) goto out;
    cl_mem m_in = g_put(ctx, t[1]->data, s.n_in), m_w = g_put(ctx, t[2]->data, s.n_w);
    cl_mem m_b = g_put(ctx, t[3]->data, p.c_out), m_dout = g_put(ctx, t[5]->data, s.n_out);
    cl_mem m_out = g_put(ctx, NULL, s.n_out), m_din = g_put(ctx, NULL, s.n_in);
    float *zw = calloc(s.n_w, 4), *zb = calloc(p.c_out, 4);
    cl_mem m_dw = g_put(ctx, zw, s.n_w), m_db = g_put(ctx, zb, p.c_out);
    T_OK(ct_conv2d_forward(ctx, g_ptr(m_out), g_ptr(m_in), g_ptr(m_w), g_ptr(m_b), &p));
    T_OK(ct_conv2d_backward_data(ctx, g_ptr(m_din), 0, g_ptr(m_dout), g_ptr(m_w), &p));
    T_OK(ct_conv2d_backward_weight(ctx, g_ptr(m_dw), g_ptr(m_db), g_ptr(m_dout), g_ptr(m_in), &p));
    const cl_mem outs[4] = {m_out, m_din, m_dw, m_db};
    const int which[4] = {4, 6, 7, 8};
    for (int i = 0; i < 4; i++) {
        double *ref = t_to_double(t[which[i]]->data, t[which[i]]->numel);
        char what[128];
        snprintf(what, sizeof what, "golden %s: %s", file, names[which[i]]);
        g_expect(ctx, outs[i], ref, t[which[i]]->numel, 1e-4, 1e-4, what);
        free(ref);
    }
    ct_buf_free(ctx, m_in), ct_buf_free(ctx, m_w), ct_buf_free(ctx, m_b), ct_buf_free(ctx, m_dout);
    ct_buf_free(ctx, m_out), ct_buf_free(ctx, m_din), ct_buf_free(ctx, m_dw), ct_buf_free(ctx, m_db);
    free(zw), free(zb);
out:
    t_golden_free(g);
}

/* ---- argument checks ------------------------------------------------------------------------- */

static void check_invalid(ct_ctx *ctx)
{
    cl_mem m = t_alloc(ctx, 4096, 0.f);
    ct_ptr x = CT_PTR(m, 0);
    ct_conv2d_p bad_groups = {1, 6, 4, 4, 4, 3, 3, 1, 1, 4};  /* 4 does not divide 6 */
    ct_conv2d_p too_big = {1, 1, 2, 2, 1, 5, 5, 1, 1, 1};      /* 5x5 on padded 4x4 */
    ct_conv2d_p zero_stride = {1, 1, 4, 4, 1, 3, 3, 0, 1, 1};
    T_CHECK(ct_conv2d_forward(ctx, x, x, x, CT_PTR_NULL, &bad_groups) == CT_ERR_INVALID_ARG,
            "groups not dividing c_in must be rejected");
    T_CHECK(ct_conv2d_backward_data(ctx, x, 0, x, x, &too_big) == CT_ERR_INVALID_ARG,
            "a kernel larger than the padded input must be rejected");
    T_CHECK(ct_conv2d_backward_weight(ctx, x, x, x, x, &zero_stride) == CT_ERR_INVALID_ARG,
            "stride 0 must be rejected");
    ct_conv2d_p ok = {2, 3, 13, 7, 4, 3, 1, 2, 1, 1};
    T_CHECK(ct_conv2d_out_h(&ok) == 7 && ct_conv2d_out_w(&ok) == 5, "out size of 13x7 k3x1 s2 p1");
    ct_error_clear();
    ct_buf_free(ctx, m);
}

int main(void)
{
    ct_ctx *ctx;
    int rc = t_ctx(&ctx);
    if (rc != T_PASS) return rc;
    t_rng r;
    t_rng_seed(&r, 7);
    const size_t n_cases = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < n_cases; i++) check_reference_fd(&r, &cases[i]);
    /* every route of src/ops/conv.c, whatever the device would choose: the tiled back end with
     * and without the implicit GEMM for stride-1 windows here, CLBlast in test_conv_clblast
     * (this file built with -DCONV_TEST_CLBLAST: a separate program, as compiling CLBlast's
     * kernels on a cold PoCL cache takes most of a minute) */
#ifdef CONV_TEST_CLBLAST
    const char *backends[] = {"clblast"}, *implicit[] = {"1"};
#else
    const char *backends[] = {"tiled", "tiled"}, *implicit[] = {"1", "0"};
#endif
    for (size_t b = 0; b < sizeof backends / sizeof backends[0]; b++) {
        setenv("CLTRAIN_CONV_GEMM", backends[b], 1);
        setenv("CLTRAIN_CONV_IMPLICIT", implicit[b], 1);
        fprintf(stderr, "conv GEMM back end: %s, implicit %s\n", backends[b], implicit[b]);
        for (size_t i = 0; i < n_cases; i++) check_kernels(ctx, &r, &cases[i]);
        for (size_t i = 0; i < sizeof golden_files / sizeof golden_files[0]; i++)
            check_golden(ctx, golden_files[i]);
    }
    unsetenv("CLTRAIN_CONV_GEMM");
    unsetenv("CLTRAIN_CONV_IMPLICIT");
    check_invalid(ctx);
    ct_ctx_free(ctx);
#ifdef CONV_TEST_CLBLAST
    return t_finish("test_conv_clblast");
#else
    return t_finish("test_conv");
#endif
}
