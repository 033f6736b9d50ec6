/* Host half of kernels/misc.cl: row reductions, channel-wise scale, dropout, spectral norm and
 * fastai's SimpleSelfAttention (batched GEMMs through ct_gemm_strided). Enqueue only; no waits. */
#include "cltrain/ops.h"

static ct_status get_misc(ct_ctx *ctx, const char *name, cl_kernel *k)
{
    return ct_kernel_get(ctx, "misc.cl", name, NULL, k);
}

static ct_status run1d(ct_ctx *ctx, const char *name, size_t n, const ct_karg *args, int nargs)
{
    return ct_launch_1d(ctx, "misc.cl", name, NULL, n, args, nargs);
}

/* A power-of-two work-group size for one-group-per-row kernels, at most `cap`. */
static size_t group_size(ct_ctx *ctx, cl_kernel k, size_t cap)
{
    size_t lim = ct_kernel_max_wg(ctx, k), wg = 1;
    while (wg * 2 <= cap && wg * 2 <= lim) wg *= 2;
    return wg;
}

/* y = / += a * b[i / div] over n elements (see mul_bcast in kernels/misc.cl) */
static ct_status mul_bcast(ct_ctx *ctx, ct_ptr y, int accum, ct_ptr a, ct_ptr b, size_t div,
                           size_t n)
{
    if (n == 0) return CT_OK;
    cl_ulong yo = y.off, ao = a.off, bo = b.off, dv = div, nn = n;
    cl_int acc = accum != 0;
    return run1d(ctx, "mul_bcast", n,
                 (ct_karg[]){CT_KA(y.mem), CT_KA(yo), CT_KA(acc), CT_KA(a.mem), CT_KA(ao),
                             CT_KA(b.mem), CT_KA(bo), CT_KA(dv), CT_KA(nn)},
                 9);
}

ct_status ct_rowdot(ct_ctx *ctx, ct_ptr out, int accum, float scale, ct_ptr a, ct_ptr b,
                    size_t rows, size_t len)
{
    if (rows == 0) return CT_OK;
    cl_kernel k;
    ct_status st = get_misc(ctx, "rowdot", &k);
    if (st != CT_OK) return st;
    /* short rows get small groups: most of a 256-wide group would idle on a 4x4 plane */
    size_t wg = group_size(ctx, k, len >= 4096 ? 256 : len >= 256 ? 64 : 16);
    size_t global = rows * wg;
    cl_ulong oo = out.off, ao = a.off, bo = b.off, ln = len;
    cl_int acc = accum != 0, has_b = b.mem != NULL;
    cl_mem bm = has_b ? b.mem : a.mem;
    return ct_launch(ctx, k, 1, &global, &wg,
                     (ct_karg[]){CT_KA(out.mem), CT_KA(oo), CT_KA(acc), CT_KA(scale),
                                 CT_KA(a.mem), CT_KA(ao), CT_KA(bm), CT_KA(bo), CT_KA(has_b),
                                 CT_KA(ln), CT_KA_LOCAL(wg * sizeof(float))},
                     11);
}

/* ---- channel-wise scale ---------------------------------------------------------------------- */

ct_status ct_chscale_forward(ct_ctx *ctx, ct_ptr out, ct_ptr x, ct_ptr gate, int n, int c, int hw)
{
    if (n < 1 || c < 1 || hw < 1)
        return ct_error(CT_ERR_INVALID_ARG, "src/ops/misc.c ct_chscale_forward: bad shape %d %d %d",
                        n, c, hw);
    return mul_bcast(ctx, out, 0, x, gate, (size_t)hw, (size_t)n * c * hw);
}

ct_status ct_chscale_backward(ct_ctx *ctx, ct_ptr dx, int x_accum, ct_ptr dgate, int gate_accum,
                              ct_ptr dout, ct_ptr x, ct_ptr gate, int n, int c, int hw)
{
    if (n < 1 || c < 1 || hw < 1)
        return ct_error(CT_ERR_INVALID_ARG,
                        "src/ops/misc.c ct_chscale_backward: bad shape %d %d %d", n, c, hw);
    ct_status st = CT_OK;
    if (dx.mem) st = mul_bcast(ctx, dx, x_accum, dout, gate, (size_t)hw, (size_t)n * c * hw);
    if (st == CT_OK && dgate.mem)
        st = ct_rowdot(ctx, dgate, gate_accum, 1.0f, dout, x, (size_t)n * c, (size_t)hw);
    return st;
}

/* ---- dropout --------------------------------------------------------------------------------- */

/* splitmix64 finaliser: the (seed, step) pair becomes one 64-bit stream key */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t dropout_key(uint64_t seed, uint64_t step)
{
    return mix64(seed ^ mix64(step + 0x9E3779B97F4A7C15ULL));
}

ct_status ct_dropout_forward(ct_ctx *ctx, ct_ptr out, ct_ptr mask, ct_ptr in, size_t n, float p,
                             uint64_t seed, uint64_t step, int train)
{
    if (!(p >= 0.0f && p <= 1.0f))
        return ct_error(CT_ERR_INVALID_ARG, "src/ops/misc.c ct_dropout_forward: p = %g is not in "
                        "[0, 1]", (double)p);
    if (n == 0) return CT_OK;
    if (!train)
        return out.mem == in.mem && out.off == in.off ? CT_OK : ct_copy(ctx, out, in, n);
    if (!mask.mem)
        return ct_error(CT_ERR_INVALID_ARG, "src/ops/misc.c ct_dropout_forward: training needs a "
                        "mask buffer");
    uint64_t key = dropout_key(seed, step);
    cl_uint lo = (cl_uint)key, hi = (cl_uint)(key >> 32);
    float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
    cl_ulong oo = out.off, mo = mask.off, io = in.off, nn = n;
    return run1d(ctx, "dropout_forward", n,
                 (ct_karg[]){CT_KA(out.mem), CT_KA(oo), CT_KA(mask.mem), CT_KA(mo), CT_KA(in.mem),
                             CT_KA(io), CT_KA(lo), CT_KA(hi), CT_KA(p), CT_KA(scale), CT_KA(nn)},
                 11);
}

ct_status ct_dropout_backward(ct_ctx *ctx, ct_ptr din, int accum, ct_ptr dout, ct_ptr mask,
                              size_t n)
{
    if (!din.mem) return CT_OK;
    return mul_bcast(ctx, din, accum, dout, mask, 1, n);
}

/* ---- spectral norm --------------------------------------------------------------------------- */

static ct_status bad_sn(int rows, int cols, const char *fn)
{
    return ct_error(CT_ERR_INVALID_ARG, "src/ops/misc.c %s: bad shape %dx%d", fn, rows, cols);
}

ct_status ct_specnorm_forward(ct_ctx *ctx, ct_ptr w_sn, ct_ptr sigma, ct_ptr u, ct_ptr v, ct_ptr w,
                              int rows, int cols, int update)
{
    if (rows < 1 || cols < 1) return bad_sn(rows, cols, "ct_specnorm_forward");
    cl_kernel k;
    ct_status st = get_misc(ctx, "sn_power", &k);
    if (st != CT_OK) return st;
    size_t wg = group_size(ctx, k, 256);
    cl_ulong wso = w_sn.off, so = sigma.off, uo = u.off, vo = v.off, wo = w.off;
    cl_int r = rows, c = cols, up = update != 0;
    float eps = 1e-12f;
    return ct_launch(ctx, k, 1, &wg, &wg,
                     (ct_karg[]){CT_KA(w_sn.mem), CT_KA(wso), CT_KA(sigma.mem), CT_KA(so),
                                 CT_KA(u.mem), CT_KA(uo), CT_KA(v.mem), CT_KA(vo), CT_KA(w.mem),
                                 CT_KA(wo), CT_KA(r), CT_KA(c), CT_KA(up), CT_KA(eps),
                                 CT_KA_LOCAL(wg * sizeof(float))},
                     15);
}

ct_status ct_specnorm_backward(ct_ctx *ctx, ct_ptr dw, ct_ptr dw_sn, ct_ptr w, ct_ptr u, ct_ptr v,
                               ct_ptr sigma, int rows, int cols)
{
    if (rows < 1 || cols < 1) return bad_sn(rows, cols, "ct_specnorm_backward");
    cl_mem scratch;
    ct_status st = ct_ctx_scratch(ctx, sizeof(float), &scratch);
    if (st != CT_OK) return st;
    ct_ptr gw = CT_PTR(scratch, 0); /* <dw_sn, w> */
    size_t n = (size_t)rows * cols;
    st = ct_rowdot(ctx, gw, 0, 1.0f, dw_sn, w, 1, n);
    if (st != CT_OK) return st;
    cl_ulong dwo = dw.off, go = dw_sn.off, gwo = 0, so = sigma.off, uo = u.off, vo = v.off;
    cl_int r = rows, c = cols;
    return run1d(ctx, "sn_backward", n,
                 (ct_karg[]){CT_KA(dw.mem), CT_KA(dwo), CT_KA(dw_sn.mem), CT_KA(go), CT_KA(scratch),
                             CT_KA(gwo), CT_KA(sigma.mem), CT_KA(so), CT_KA(u.mem), CT_KA(uo),
                             CT_KA(v.mem), CT_KA(vo), CT_KA(r), CT_KA(c)},
                 14);
}

/* ---- SimpleSelfAttention --------------------------------------------------------------------- */

static ct_status check_sa(const ct_sa_p *p, const char *fn)
{
    if (p->b < 1 || p->c < 1 || p->n < 1)
        return ct_error(CT_ERR_INVALID_ARG, "src/ops/misc.c %s: bad shape b%d c%d n%d", fn, p->b,
                        p->c, p->n);
    return CT_OK;
}

ct_status ct_sa_forward(ct_ctx *ctx, ct_ptr out, ct_ptr convx, ct_ptr xxt, ct_ptr o, ct_ptr x,
                        ct_ptr w, ct_ptr gamma, const ct_sa_p *p)
{
    ct_status st = check_sa(p, "ct_sa_forward");
    if (st != CT_OK) return st;
    size_t b = p->b, c = p->c, n = p->n, cn = c * n, cc = c * c, total = b * cn;
    /* convx_b = w x_b (w shared: stride 0); xxt_b = x_b x_b^T; o_b = xxt_b convx_b */
    CT_TRY(ct_gemm_strided(ctx, 0, 0, c, n, c, 1.0f, w, c, 0, x, n, cn, 0.0f, convx, n, cn, b));
    CT_TRY(ct_gemm_strided(ctx, 0, 1, c, c, n, 1.0f, x, n, cn, x, n, cn, 0.0f, xxt, c, cc, b));
    CT_TRY(ct_gemm_strided(ctx, 0, 0, c, n, c, 1.0f, xxt, c, cc, convx, n, cn, 0.0f, o, n, cn, b));
    CT_TRY(ct_copy(ctx, out, x, total));
    CT_TRY(mul_bcast(ctx, out, 1, o, gamma, total, total)); /* out += gamma o */
fail:
    return st;
}

ct_status ct_sa_backward(ct_ctx *ctx, ct_ptr dx, int accum, ct_ptr dw, ct_ptr dgamma, ct_ptr dout,
                         ct_ptr x, ct_ptr w, ct_ptr gamma, ct_ptr convx, ct_ptr xxt, ct_ptr o,
                         const ct_sa_p *p)
{
    ct_status st = check_sa(p, "ct_sa_backward");
    if (st != CT_OK) return st;
    size_t b = p->b, c = p->c, n = p->n, cn = c * n, cc = c * c, total = b * cn;
    cl_mem scratch;
    CT_TRY(ct_ctx_scratch(ctx, (2 * total + b * cc) * sizeof(float), &scratch));
    ct_ptr d_o = CT_PTR(scratch, 0);             /* (B, C, N) gamma * dout = dL/do */
    ct_ptr d_conv = CT_PTR(scratch, total);      /* (B, C, N) dL/dconvx */
    ct_ptr d_xxt = CT_PTR(scratch, 2 * total);   /* (B, C, C) dL/dxxt, then symmetrised */
    if (dgamma.mem) CT_TRY(ct_rowdot(ctx, dgamma, 1, 1.0f, dout, o, 1, total));
    CT_TRY(mul_bcast(ctx, d_o, 0, dout, gamma, total, total));
    /* dxxt_b = do_b convx_b^T; dconvx_b = xxt_b^T do_b (xxt is symmetric) */
    CT_TRY(ct_gemm_strided(ctx, 0, 1, c, c, n, 1.0f, d_o, n, cn, convx, n, cn, 0.0f, d_xxt, c, cc,
                           b));
    CT_TRY(ct_gemm_strided(ctx, 1, 0, c, n, c, 1.0f, xxt, c, cc, d_o, n, cn, 0.0f, d_conv, n, cn,
                           b));
    if (dx.mem) {
        /* dx = dout (identity) + (dxxt + dxxt^T) x + w^T dconvx */
        CT_TRY(accum ? ct_axpy(ctx, dx, 1.0f, dout, total) : ct_copy(ctx, dx, dout, total));
        cl_ulong go = d_xxt.off, nn = b * cc;
        cl_int ci = p->c;
        CT_TRY(run1d(ctx, "symmetrize", b * cc,
                     (ct_karg[]){CT_KA(scratch), CT_KA(go), CT_KA(ci), CT_KA(nn)}, 4));
        CT_TRY(ct_gemm_strided(ctx, 0, 0, c, n, c, 1.0f, d_xxt, c, cc, x, n, cn, 1.0f, dx, n, cn,
                               b));
        CT_TRY(ct_gemm_strided(ctx, 1, 0, c, n, c, 1.0f, w, c, 0, d_conv, n, cn, 1.0f, dx, n, cn,
                               b));
    }
    /* dw += sum_b dconvx_b x_b^T (one GEMM per sample: the batch sum has no strided form) */
    for (size_t i = 0; dw.mem && i < b; i++)
        CT_TRY(ct_gemm(ctx, 0, 1, c, c, n, 1.0f, ct_ptr_add(d_conv, i * cn), n,
                       ct_ptr_add(x, i * cn), n, 1.0f, dw, c));
fail:
    return st;
}
