/* Host half of kernels/conv.cl: conv2d forward, backward data and backward weight, batched over N
 * in chunks bounded by a scratch budget, groups as the GEMM batch. Two back ends:
 *  - CLBlast (GPUs and other non-CPU devices): im2col / col2im around ct_gemm_strided;
 *  - tiled (CPU devices such as PoCL): conv.cl's register-tiled gemm_tile on panel-packed
 *    operands, implicit GEMM for windowed convs of stride 1 and 2 (no im2col columns; 16-column
 *    row tiles, or two rows of 5-8 columns per vector), stride-1 data gradients as forward convs
 *    with flipped weights, 3x3 stride-1 weight gradients as an implicit GEMM, and one-pixel
 *    outputs whose window covers the input as small dot GEMMs on the live taps.
 * CLTRAIN_CONV_GEMM=clblast|tiled, CLTRAIN_CONV_IMPLICIT=0 and CLTRAIN_CONV_1PX=0 override the
 * choices, CLTRAIN_CONV_CHUNK caps the images per chunk (tests use the first three and the last).
 * Enqueue only: never waits, allocates nothing but the context's scratch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/ops.h"
#include "ops/conv_bias.h"

#define TILE_R 8 /* GEMM_R of kernels/conv.cl: rows of C per gemm_tile work item */
#define PACK_KB 16 /* PACK_KB of kernels/conv.cl: values of k per pack_a work item */
#ifndef WGRAD_CO
#define WGRAD_CO 3 /* WG_CO of kernels/conv.cl: output channels per 3x3 weight-gradient item */
#endif

/* Scratch budget for one chunk of images (columns + packed GEMM operand), in bytes. */
#define CONV_SCRATCH_BUDGET ((size_t)64 << 20)

/* Padded in + dout bytes per chunk of the 3x3 implicit weight gradient: most of a 2 MB per-core
 * L2 (Sapphire Rapids; 1-2 MB on most x86 server cores). OpenCL has no query for it: PoCL
 * reports the shared L3 as the global memory cache. */
#define WGRAD_L2_BUDGET ((size_t)5 << 18)

int ct_conv2d_out_h(const ct_conv2d_p *p) { return (p->h + 2 * p->pad - p->kh) / p->stride + 1; }
int ct_conv2d_out_w(const ct_conv2d_p *p) { return (p->w + 2 * p->pad - p->kw) / p->stride + 1; }

static ct_status check_p(const ct_conv2d_p *p, const char *what)
{
    if (p->n < 0 || p->c_in <= 0 || p->h <= 0 || p->w <= 0 || p->c_out <= 0 || p->kh <= 0 ||
        p->kw <= 0 || p->stride <= 0 || p->pad < 0 || p->groups <= 0)
        return ct_error(CT_ERR_INVALID_ARG,
                        "conv2d %s (src/ops/conv.c): bad shape n %d c_in %d h %d w %d c_out %d "
                        "k %dx%d stride %d pad %d groups %d",
                        what, p->n, p->c_in, p->h, p->w, p->c_out, p->kh, p->kw, p->stride, p->pad,
                        p->groups);
    if (p->c_in % p->groups || p->c_out % p->groups)
        return ct_error(CT_ERR_INVALID_ARG,
                        "conv2d %s (src/ops/conv.c): groups %d must divide c_in %d and c_out %d",
                        what, p->groups, p->c_in, p->c_out);
    if (p->h + 2 * p->pad < p->kh || p->w + 2 * p->pad < p->kw)
        return ct_error(CT_ERR_INVALID_ARG,
                        "conv2d %s (src/ops/conv.c): kernel %dx%d larger than padded input %dx%d",
                        what, p->kh, p->kw, p->h + 2 * p->pad, p->w + 2 * p->pad);
    return CT_OK;
}

/* conv.cl's build options: the 1-D work-group size and the GEMM tile rows */
static const char *conv_opts(ct_ctx *ctx, char *buf, size_t n)
{
    snprintf(buf, n, "-DCONV_WG=%zu -DGEMM_R=%d -DWG_CO=%d", ct_ctx_wg1d(ctx), TILE_R, WGRAD_CO);
    return buf;
}

static ct_status get_kernel(ct_ctx *ctx, const char *name, cl_kernel *k)
{
    char opts[64];
    return ct_kernel_get(ctx, "conv.cl", name, conv_opts(ctx, opts, sizeof opts), k);
}

static ct_status launch1d(ct_ctx *ctx, const char *name, size_t n, const ct_karg *args, int nargs)
{
    char opts[64];
    return ct_launch_1d(ctx, "conv.cl", name, conv_opts(ctx, opts, sizeof opts), n, args, nargs);
}

/* Geometry of a window operation for the layout kernels (see kernels/conv.cl). */
typedef struct {
    cl_int c, h, w, kh, kw, stride, pad, oh, ow;
} win;

static win conv_win(const ct_conv2d_p *p)
{
    return (win){p->c_in, p->h, p->w, p->kh, p->kw, p->stride, p->pad, ct_conv2d_out_h(p),
                 ct_conv2d_out_w(p)};
}

/* The identity window on (C, H, W): im2col packs, col2im unpacks. */
static win pack_win(int c, int h, int w) { return (win){c, h, w, 1, 1, 1, 0, h, w}; }

/* Kernels with 32-bit index math take at most 2^31 - 1 elements. */
static ct_status check_32bit(size_t total, const char *kernel)
{
    if (total < ((size_t)1 << 31)) return CT_OK;
    return ct_error(CT_ERR_UNSUPPORTED, "%s (src/ops/conv.c): %zu elements exceed the kernel's "
                    "32-bit indexing", kernel, total);
}

/* Launch one of the im2col family over `items` work items: (in, out, the window, nb) and, when
 * groups > 0, the group count (im2col_panel, im2col_panel_t). */
static ct_status launch_window(ct_ctx *ctx, const char *name, size_t items, ct_ptr out, ct_ptr in,
                               const win *g, int nb, int groups)
{
    cl_ulong io = in.off, oo = out.off;
    cl_int nbi = nb, gi = groups;
    const ct_karg args[] = {CT_KA(in.mem), CT_KA(io),     CT_KA(out.mem), CT_KA(oo),
                            CT_KA(g->c),   CT_KA(g->h),   CT_KA(g->w),    CT_KA(g->kh),
                            CT_KA(g->kw),  CT_KA(g->stride), CT_KA(g->pad), CT_KA(g->oh),
                            CT_KA(g->ow),  CT_KA(nbi),    CT_KA(gi)};
    return launch1d(ctx, name, items, args, groups > 0 ? 15 : 14);
}

/* col (C*KH*KW, nb*OH*OW) <- in (nb, C, H, W) */
static ct_status im2col(ct_ctx *ctx, ct_ptr col, ct_ptr in, const win *g, int nb)
{
    size_t total = (size_t)g->c * g->kh * g->kw * nb * g->oh * g->ow;
    return launch_window(ctx, "im2col", total, col, in, g, nb, 0);
}

static int use_tiled(ct_ctx *ctx);

/* out (nb, C, H, W) = / += col2im(col) (+ bias[c] when bias.mem) */
static ct_status col2im(ct_ctx *ctx, ct_ptr out, int accum, ct_ptr col, ct_ptr bias, const win *g,
                        int nb)
{
    cl_ulong oo = out.off, co = col.off, bo = bias.off;
    cl_int acc = accum, has_b = bias.mem != NULL, nbi = nb;
    cl_mem bm = bias.mem ? bias.mem : col.mem; /* an absent bias still needs a valid buffer */
    size_t total = (size_t)nb * g->c * g->h * g->w;
    ct_status st = check_32bit(total, "col2im");
    if (st != CT_OK) return st;
    /* the tiled (CPU) back end: a work item per row (the per-element index split cost more than
     * the gather: xresnet18's stride-2 data gradients at 128 px, batch 32, -27 % CPU with rows);
     * CLBlast (GPUs): per element, coalesced */
    const int rows = use_tiled(ctx);
    return launch1d(ctx, rows ? "col2im_rows" : "col2im", rows ? total / g->w : total,
                    (ct_karg[]){CT_KA(col.mem), CT_KA(co), CT_KA(out.mem), CT_KA(oo), CT_KA(acc),
                                CT_KA(bm), CT_KA(bo), CT_KA(has_b), CT_KA(g->c), CT_KA(g->h),
                                CT_KA(g->w), CT_KA(g->kh), CT_KA(g->kw), CT_KA(g->stride),
                                CT_KA(g->pad), CT_KA(g->oh), CT_KA(g->ow), CT_KA(nbi)},
                    18);
}

ct_status ct_ops_bias_add(ct_ctx *ctx, ct_ptr x, ct_ptr bias, int n, int c, int p)
{
    if (!bias.mem || n == 0) return CT_OK;
    cl_ulong xo = x.off, bo = bias.off;
    cl_int ni = n, ci = c, pi = p;
    return launch1d(ctx, "bias_add", (size_t)n * c * p,
                    (ct_karg[]){CT_KA(x.mem), CT_KA(xo), CT_KA(bias.mem), CT_KA(bo), CT_KA(ni),
                                CT_KA(ci), CT_KA(pi)},
                    7);
}

ct_status ct_ops_bias_backward(ct_ctx *ctx, ct_ptr dbias, ct_ptr dout, int n, int c, int p)
{
    if (!dbias.mem || n == 0) return CT_OK;
    cl_kernel k;
    ct_status st = get_kernel(ctx, "bias_backward", &k);
    if (st != CT_OK) return st;
    size_t local = ct_ctx_wg1d(ctx); /* == CONV_WG the program was built with */
    if (local > ct_kernel_max_wg(ctx, k))
        return ct_error(CT_ERR_UNSUPPORTED,
                        "bias_backward (src/ops/conv.c): kernel allows %zu work items, built for %zu",
                        ct_kernel_max_wg(ctx, k), local);
    size_t global = (size_t)c * local;
    cl_ulong bo = dbias.off, go = dout.off;
    cl_int ni = n, ci = c, pi = p;
    return ct_launch(ctx, k, 1, &global, &local,
                     (ct_karg[]){CT_KA(dbias.mem), CT_KA(bo), CT_KA(dout.mem), CT_KA(go),
                                 CT_KA(ni), CT_KA(ci), CT_KA(pi), CT_KA_LOCAL(local * sizeof(float))},
                     8);
}

/* Images per chunk when each takes per_img bytes of scratch (at least 1, at most N);
 * CLTRAIN_CONV_CHUNK (a positive integer) caps it further, for tests of the chunking. */
static int chunk_for(ct_ctx *ctx, const ct_conv2d_p *p, size_t per_img)
{
    size_t budget = CONV_SCRATCH_BUDGET;
    size_t max_alloc = ct_ctx_info(ctx)->max_alloc;
    if (max_alloc && budget > max_alloc) budget = max_alloc;
    size_t nb = per_img ? budget / per_img : (size_t)p->n;
    const char *env = getenv("CLTRAIN_CONV_CHUNK");
    if (env && atoi(env) > 0 && (size_t)atoi(env) < nb) nb = (size_t)atoi(env);
    if (nb < 1) nb = 1;
    if (nb > (size_t)p->n) nb = (size_t)p->n;
    return (int)nb;
}

/* ... for im2col columns plus a packed operand: (C_in*KH*KW + C_out) * OH*OW floats per image */
static int chunk_images(ct_ctx *ctx, const ct_conv2d_p *p)
{
    return chunk_for(ctx, p, ((size_t)p->c_in * p->kh * p->kw + p->c_out) * ct_conv2d_out_h(p) *
                                 ct_conv2d_out_w(p) * sizeof(float));
}

/* Images in the chunk starting at image n0. */
static int chunk_len(const ct_conv2d_p *p, int n0, int nb_max)
{
    return p->n - n0 < nb_max ? p->n - n0 : nb_max;
}

/* One scratch buffer holding col (col_n floats), pk (pk_n), then ap (ap_n; the tiled path's
 * packed A operand). */
typedef struct {
    ct_ptr col, pk, ap;
} conv_scratch;

static ct_status get_scratch_n(ct_ctx *ctx, size_t col_n, size_t pk_n, size_t ap_n,
                               conv_scratch *s)
{
    cl_mem m;
    ct_status st = ct_ctx_scratch(ctx, (col_n + pk_n + ap_n) * sizeof(float), &m);
    if (st != CT_OK) return st;
    s->col = CT_PTR(m, 0);
    s->pk = CT_PTR(m, col_n);
    s->ap = CT_PTR(m, col_n + pk_n);
    return CT_OK;
}

/* col (C_in*KH*KW, nb*P) and pk (C_out, nb*P) for the CLBlast path */
static ct_status get_scratch(ct_ctx *ctx, const ct_conv2d_p *p, int nb, conv_scratch *s)
{
    size_t np = (size_t)nb * ct_conv2d_out_h(p) * ct_conv2d_out_w(p);
    return get_scratch_n(ctx, (size_t)p->c_in * p->kh * p->kw * np, (size_t)p->c_out * np, 0, s);
}

/* Shape constants every pass needs. */
typedef struct {
    int g;
    size_t cg, cog, kk, np_img, in_img, out_img;
    win gw, gp; /* the conv's window; the identity window on the output (pack/unpack) */
} conv_dims;

static conv_dims dims_of(const ct_conv2d_p *p)
{
    conv_dims d;
    d.g = p->groups;
    d.cg = (size_t)p->c_in / d.g, d.cog = (size_t)p->c_out / d.g, d.kk = (size_t)p->kh * p->kw;
    int oh = ct_conv2d_out_h(p), ow = ct_conv2d_out_w(p);
    d.np_img = (size_t)oh * ow;
    d.in_img = (size_t)p->c_in * p->h * p->w, d.out_img = (size_t)p->c_out * d.np_img;
    d.gw = conv_win(p), d.gp = pack_win(p->c_out, oh, ow);
    return d;
}

static int is_pointwise(const ct_conv2d_p *p)
{
    return p->kh == 1 && p->kw == 1 && p->stride == 1 && p->pad == 0;
}

/* 1x1 stride-1 convs need no im2col: per image, C (M, P) = op(A) . B (K, P) on the NCHW planes,
 * batched over groups (a: the weight, group stride a_gs; b/c: per-image planes). Images are
 * batched in one call when groups == 1 (the weight repeats with stride 0). */
static ct_status pointwise_gemm(ct_ctx *ctx, int trans_a, size_t m, size_t k, ct_ptr a, size_t lda,
                                size_t a_gs, ct_ptr b, size_t b_img, ct_ptr c, size_t c_img,
                                float beta, const ct_conv2d_p *p)
{
    size_t hw = (size_t)p->h * p->w;
    if (p->groups == 1)
        return ct_gemm_strided(ctx, trans_a, 0, m, hw, k, 1.f, a, lda, 0, b, hw, b_img, beta, c, hw,
                               c_img, (size_t)p->n);
    for (int i = 0; i < p->n; i++) {
        ct_status st = ct_gemm_strided(ctx, trans_a, 0, m, hw, k, 1.f, a, lda, a_gs,
                                       ct_ptr_add(b, i * b_img), hw, k * hw,
                                       beta, ct_ptr_add(c, i * c_img), hw, m * hw,
                                       (size_t)p->groups);
        if (st != CT_OK) return st;
    }
    return CT_OK;
}


/* ---- register-tiled back end (kernels/conv.cl gemm_tile, panel-packed B) ---------------------- */

/* Work items per work-group of the tiled kernels' 2-D/3-D launches. PoCL's CPU device pays a
 * fixed cost per work-group, and with local size 1 the tiled convs ran one ~100k-flop work item
 * per group: grouping up to 8 neighbouring items (dim 0 first: output-channel tiles that share
 * one B panel in L1) cut the forward and data-gradient convs' CPU time by 18-22 % at 128 px
 * (xresnet18, bs 32); 4, 8 and 16 measured alike, 64 slightly worse. Only exact divisors, so
 * the kernels never see items past the launch's grid. */
#define TILE_WG 8

static void tile_local(const size_t global[3], size_t local[3])
{
    size_t budget = TILE_WG;
    for (int d = 0; d < 3; d++) {
        size_t l = global[d] < budget ? global[d] : budget;
        while (l > 1 && global[d] % l) l--;
        local[d] = d == 2 || l == 0 ? 1 : l;
        budget /= local[d];
    }
}

#define TILE_KC 1024 /* K per launch: keeps a work item's B panel slice and A rows in cache */

/* CLTRAIN_CONV_IMPLICIT=0 sends stride-1 convs through im2col panels instead (tests use it to
 * cover both routes). */
static int implicit_off(void)
{
    const char *env = getenv("CLTRAIN_CONV_IMPLICIT");
    return env && !strcmp(env, "0");
}

static int use_tiled(ct_ctx *ctx)
{
    const char *env = getenv("CLTRAIN_CONV_GEMM");
    if (env && !strcmp(env, "clblast")) return 0;
    if (env && !strcmp(env, "tiled")) return 1;
    return (ct_ctx_info(ctx)->type & CL_DEVICE_TYPE_CPU) != 0;
}

/* Floats of a panel-layout B (kdim, ndim) per group, all groups. */
static size_t panel_n(size_t kdim, size_t ndim, int groups)
{
    return (size_t)groups * ((ndim + 15) / 16) * 16 * kdim;
}

/* Panel B (C*KH*KW/groups, nb*OH*OW) per group <- im2col(in) (kernels/conv.cl im2col_panel) */
static ct_status im2col_panel(ct_ctx *ctx, ct_ptr out, ct_ptr in, const win *g, int nb, int groups)
{
    size_t kg = (size_t)g->c * g->kh * g->kw / groups, npos = (size_t)nb * g->oh * g->ow;
    size_t total = panel_n(kg, npos, groups);
    ct_status st = check_32bit(total, "im2col_panel");
    if (st != CT_OK) return st;
    return launch_window(ctx, "im2col_panel", total / 16, out, in, g, nb, groups); /* 16 each */
}

/* Floats of a row-panel A (m, k) per group, all groups. */
static size_t apanel_n(size_t m, size_t k, int groups)
{
    return (size_t)groups * ((m + TILE_R - 1) / TILE_R) * TILE_R * k;
}

/* How to read a GEMM's A_g (m, k) for pack_a: element (i, kk) of group g at a + g*gs +
 * mode 0: i*ld + kk, 1: kk*ld + i, 2: (kk/plane)*ld + i*plane + kk%plane (NCHW dout),
 * 3: (kk/plane)*ld + i*plane + plane-1 - kk%plane (weights transposed and flipped). */
typedef struct {
    ct_ptr a;
    size_t ld, gs;
    int mode, plane;
} tile_a;

/* ap <- the row-panel packing of A (kernels/conv.cl pack_a) */
static ct_status pack_a(ct_ctx *ctx, ct_ptr ap, const tile_a *a, size_t m, size_t k, int groups)
{
    size_t total = apanel_n(m, k, groups);
    ct_status st = check_32bit(total, "pack_a");
    if (st != CT_OK) return st;
    cl_ulong ao = a->a.off, gs = a->gs, oo = ap.off;
    cl_int ld = (cl_int)a->ld, mode = a->mode, plane = a->plane, mi = (cl_int)m, ki = (cl_int)k;
    cl_int gi = groups;
    size_t items = (size_t)groups * ((m + TILE_R - 1) / TILE_R) * ((k + PACK_KB - 1) / PACK_KB);
    return launch1d(ctx, "pack_a", items,
                    (ct_karg[]){CT_KA(a->a.mem), CT_KA(ao), CT_KA(ld), CT_KA(gs), CT_KA(mode),
                                CT_KA(plane), CT_KA(mi), CT_KA(ki), CT_KA(gi), CT_KA(ap.mem),
                                CT_KA(oo)},
                    11);
}

/* Panel B (nb*OH*OW, C*KH*KW/groups) per group: im2col's matrix transposed, for the weight
 * gradient (kernels/conv.cl im2col_panel_t). */
static ct_status im2col_panel_t(ct_ctx *ctx, ct_ptr out, ct_ptr in, const win *g, int nb,
                                int groups)
{
    size_t kg = (size_t)g->c * g->kh * g->kw / groups, npos = (size_t)nb * g->oh * g->ow;
    size_t items = (size_t)groups * ((kg + 15) / 16) * ((npos + 15) / 16) * 16;
    ct_status st = check_32bit(items * 16, "im2col_panel_t");
    if (st != CT_OK) return st;
    return launch_window(ctx, "im2col_panel_t", items, out, in, g, nb, groups);
}

/* Where a tiled GEMM's C goes: row-major (plane 0, row stride ld) or NCHW (plane P: column j is
 * image j / P, position j % P; ld is the image stride), g_stride apart per group. */
typedef struct {
    ct_ptr c;
    size_t ld, g_stride;
    int plane;
} tile_out;

/* C_g (m, n) = / += A_g (m, k) . B_g (k, n) (+ bias) for `groups` groups; A packed by pack_a,
 * B by im2col_panel. K is split into TILE_KC slices, later ones accumulating. */
static ct_status tiled_gemm(ct_ctx *ctx, size_t m, size_t n, size_t k, int groups, int accum,
                            ct_ptr ap, ct_ptr b, const tile_out *o, ct_ptr bias)
{
    cl_kernel kern;
    ct_status st = get_kernel(ctx, "gemm_tile", &kern);
    if (st != CT_OK) return st;
    /* dim 1: pairs of 16-column panels (gemm_tile computes TILE_R x 32 tiles) */
    const size_t global[3] = {(m + TILE_R - 1) / TILE_R, (n + 31) / 32, (size_t)groups};
    size_t local[3];
    tile_local(global, local);
    cl_ulong a_ps = k * TILE_R, a_gs = apanel_n(m, k, 1), b_ps = k * 16, b_gs = panel_n(k, n, 1);
    cl_ulong c_off = o->c.off, c_gs = o->g_stride, bias_off = bias.off;
    cl_int mi = (cl_int)m, ni = (cl_int)n, ldci = (cl_int)o->ld, plane = o->plane;
    cl_mem bias_mem = bias.mem ? bias.mem : b.mem; /* an absent bias still needs a buffer */
    for (size_t k0 = 0; k0 < k; k0 += TILE_KC) {
        cl_int kc = (cl_int)(k - k0 < TILE_KC ? k - k0 : TILE_KC);
        cl_int acc = accum || k0 > 0, has_bias = bias.mem != NULL && k0 == 0;
        cl_ulong a_off = ap.off + k0 * TILE_R, b_off = b.off + k0 * 16;
        st = ct_launch(ctx, kern, 3, global, local,
                       (ct_karg[]){CT_KA(mi), CT_KA(ni), CT_KA(kc), CT_KA(acc), CT_KA(ap.mem),
                                   CT_KA(a_off), CT_KA(a_ps), CT_KA(a_gs), CT_KA(b.mem),
                                   CT_KA(b_off), CT_KA(b_ps), CT_KA(b_gs), CT_KA(o->c.mem),
                                   CT_KA(c_off), CT_KA(ldci), CT_KA(c_gs), CT_KA(plane),
                                   CT_KA(bias_mem), CT_KA(bias_off), CT_KA(has_bias)},
                       20);
        if (st != CT_OK) return st;
    }
    return CT_OK;
}

/* pad_planes: out (nb, C, hp, wp) = in (nb, C, H, W) at (pad, pad), zeros elsewhere */
static ct_status pad_planes(ct_ctx *ctx, ct_ptr out, ct_ptr in, int c, int h, int w, int hp,
                            int wp, int pad, int nb)
{
    size_t total = (size_t)nb * c * hp * wp;
    ct_status st = check_32bit(total, "pad_planes");
    if (st != CT_OK) return st;
    cl_ulong io = in.off, oo = out.off;
    return launch1d(ctx, "pad_planes", (size_t)nb * c * hp, /* one work item per row */
                    (ct_karg[]){CT_KA(in.mem), CT_KA(io), CT_KA(out.mem), CT_KA(oo), CT_KA(c),
                                CT_KA(h), CT_KA(w), CT_KA(hp), CT_KA(wp), CT_KA(pad), CT_KA(nb)},
                    11);
}

/* The implicit path computes whole 16-column tiles of each output row: taken for stride-1
 * windows when at most a quarter of those lanes fall past the row end. (The 3x3 weight gradient
 * uses the same rule.) */
static int use_implicit(const ct_conv2d_p *p)
{
    int ow = ct_conv2d_out_w(p), tpr = (ow + 15) / 16;
    return p->stride == 1 && p->kh * p->kw > 1 && tpr * 16 - ow <= tpr * 4 && !implicit_off();
}

/* Rows per float16 vector of the forward implicit GEMM (kernels/conv.cl gemm_implicit and
 * gemm_implicit_r{1,2}s{1,2}), 0 where convs take the im2col-panel path: windowed convs of
 * stride 1 or 2 whose outputs are 5-8 wide (2 rows per vector, columns past OW masked) or fill
 * 16-column tiles by the use_implicit rule (1 row). At 128 px, batch 32, the 8x8 stage's 3x3
 * convs went from 32.0 to 20.0 ms of CPU forward (and as flipped data gradients), the stride-2
 * convs from 20.1, 15.7 and 8.8 to 14.2, 12.7 and 5.3; at 28 px, batch 128, the 7x7 stage's
 * from 14.0 to 6.0. 4-wide outputs as 4 rows per vector measured slower than the panels (s4
 * 3x3 at 128 px: 32.5 against 24.7 ms). */
static int implicit_rows(const ct_conv2d_p *p)
{
    if (implicit_off() || p->kh * p->kw == 1 || p->stride > 2) return 0;
    int ow = ct_conv2d_out_w(p), tpr = (ow + 15) / 16;
    if (ow >= 5 && ow <= 8) return 2;
    return tpr * 16 - ow <= tpr * 4;
}

/* Windowed convs of stride 1 or 2: implicit GEMM on a zero-padded copy of the input
 * (kernels/conv.cl pad_planes, gemm_implicit*), so no im2col columns are stored. Stride 1 with
 * 16-column tiles runs gemm_implicit (output rows in pairs sharing input rows), the rest
 * gemm_implicit_r{1,2}s{1,2}. Same contract as conv_tiled. */
static ct_status conv_implicit(ct_ctx *ctx, ct_ptr out, int accum, ct_ptr in, const tile_a *wa,
                               ct_ptr bias, const ct_conv2d_p *p)
{
    const conv_dims d = dims_of(p);
    const size_t ckk = d.cg * d.kk;
    const int oh = ct_conv2d_out_h(p), ow = ct_conv2d_out_w(p), r = implicit_rows(p);
    const int s1 = p->stride == 1, tpr = r == 1 ? (ow + 15) / 16 : 1;
    const int vrows = (oh + r - 1) / r; /* vector groups per column tile */
    int hp, wp;
    size_t items; /* work items along dim 1 per image */
    char name[32] = "gemm_implicit";
    if (s1 && r == 1) { /* rows in pairs: an odd OH gets one more zero input row */
        /* the unrolled 3x3 kernel wins from 64 input channels per group (128 px, batch 32, ms
         * of CPU: 64->64 at 32 px 20.4 against 24.0, the 64->32 data gradient at 64 px 44
         * against 51) but lost at 32 (32->32 at 64 px: 33-37 against 24-25) */
        if (p->kh == 3 && p->kw == 3 && d.cg >= 64) strcpy(name, "gemm_implicit_k3");
        hp = p->h + 2 * p->pad + (oh & 1), wp = tpr * 16 + p->kw - 1;
        items = (size_t)(oh + 1) / 2 * tpr;
    } else { /* see kernels/conv.cl on the padded sizes; pairs of vector groups per item */
        hp = (vrows * r - 1) * p->stride + p->kh;
        wp = (r == 1 ? tpr * 16 : 16 / r) * p->stride + p->kw - 1;
        if (wp < p->w + 2 * p->pad) wp = p->w + 2 * p->pad;
        items = (size_t)vrows * tpr; /* halved over the chunk below */
        snprintf(name, sizeof name, "gemm_implicit_r%ds%d", r, p->stride);
    }
    const size_t per_img = (size_t)p->c_in * hp * wp;
    const int nb_max = chunk_for(ctx, p, per_img * sizeof(float));
    conv_scratch s;
    ct_status st = get_scratch_n(ctx, nb_max * per_img, 0, apanel_n(d.cog, ckk, d.g), &s);
    if (st == CT_OK) st = pack_a(ctx, s.ap, wa, d.cog, ckk, d.g);
    cl_kernel kern = NULL;
    if (st == CT_OK) st = get_kernel(ctx, name, &kern);
    for (int n0 = 0; n0 < p->n && st == CT_OK; n0 += nb_max) {
        cl_int nb = chunk_len(p, n0, nb_max), pad = p->pad;
        cl_ulong po = s.col.off;
        st = pad_planes(ctx, s.col, ct_ptr_add(in, n0 * d.in_img), p->c_in, p->h, p->w, hp, wp,
                        pad, nb);
        const size_t per_chunk = s1 && r == 1 ? (size_t)nb * items : ((size_t)nb * items + 1) / 2;
        const size_t global[3] = {(d.cog + TILE_R - 1) / TILE_R, per_chunk, (size_t)d.g};
        size_t local[3];
        tile_local(global, local);
        cl_int m = (cl_int)d.cog, cg = (cl_int)d.cg, acc = accum, has_bias = bias.mem != NULL;
        cl_ulong a_ps = ckk * TILE_R, a_gs = apanel_n(d.cog, ckk, 1), oo = out.off + n0 * d.out_img;
        cl_ulong bo = bias.off;
        cl_mem bm = bias.mem ? bias.mem : s.col.mem; /* an absent bias still needs a buffer */
        const ct_karg args[] = {CT_KA(m),        CT_KA(cg),    CT_KA(p->kh),    CT_KA(p->kw),
                                CT_KA(hp),       CT_KA(wp),    CT_KA(oh),       CT_KA(ow),
                                CT_KA(p->c_in),  CT_KA(nb),    CT_KA(acc),      CT_KA(s.ap.mem),
                                CT_KA(s.ap.off), CT_KA(a_ps),  CT_KA(a_gs),     CT_KA(s.col.mem),
                                CT_KA(po),       CT_KA(out.mem), CT_KA(oo),     CT_KA(bm),
                                CT_KA(bo),       CT_KA(has_bias)};
        if (st == CT_OK) st = ct_launch(ctx, kern, 3, global, local, args, 22);
    }
    return st;
}

/* out = / += conv(in, w) + bias for the conv p, the weights read through wa (mode 0: as stored;
 * mode 3: a data gradient run as a forward conv). */
static ct_status conv_tiled(ct_ctx *ctx, ct_ptr out, int accum, ct_ptr in, const tile_a *wa,
                            ct_ptr bias, const ct_conv2d_p *p)
{
    if (implicit_rows(p)) return conv_implicit(ctx, out, accum, in, wa, bias, p);
    const conv_dims d = dims_of(p);
    const int nb_max = chunk_images(ctx, p);
    conv_scratch s;
    const size_t ckk = d.cg * d.kk;
    ct_status st = get_scratch_n(ctx, panel_n(ckk, nb_max * d.np_img, d.g), 0,
                                 apanel_n(d.cog, ckk, d.g), &s);
    if (st == CT_OK) st = pack_a(ctx, s.ap, wa, d.cog, ckk, d.g);
    for (int n0 = 0; n0 < p->n && st == CT_OK; n0 += nb_max) {
        int nb = chunk_len(p, n0, nb_max);
        st = im2col_panel(ctx, s.col, ct_ptr_add(in, n0 * d.in_img), &d.gw, nb, d.g);
        /* out_g (Cog, nb*P) = w_g (Cog, Cg*KK) . col_g, stored straight into NCHW */
        tile_out o = {ct_ptr_add(out, n0 * d.out_img), d.out_img, d.cog * d.np_img,
                      (int)d.np_img};
        if (st == CT_OK)
            st = tiled_gemm(ctx, d.cog, nb * d.np_img, ckk, d.g, accum, s.ap, s.col, &o, bias);
    }
    return st;
}

static ct_status forward_tiled(ct_ctx *ctx, ct_ptr out, ct_ptr in, ct_ptr w, ct_ptr bias,
                               const ct_conv2d_p *p)
{
    const size_t ckk = (size_t)p->c_in / p->groups * p->kh * p->kw;
    const tile_a wa = {w, ckk, (size_t)p->c_out / p->groups * ckk, 0, 0}; /* w_g row-major */
    return conv_tiled(ctx, out, 0, in, &wa, bias, p);
}

/* A stride-1 square-window conv's data gradient is the forward conv of dout with the weights'
 * channels swapped and window flipped, padded by k-1-pad: din (N, C_in, H, W) comes out of the
 * vector-loading forward path with no col2im. */
static int data_grad_as_forward(const ct_conv2d_p *p)
{
    /* below 7 output columns the col2im route measured faster (4x4 planes); at 7x7 (xresnet's
     * first stage at 28 px) this route took 14 ms of CPU against col2im's 21 (64 channels,
     * batch 128) */
    return p->stride == 1 && p->kh == p->kw && p->pad <= p->kh - 1 && !is_pointwise(p) &&
           ct_conv2d_out_w(p) >= 7;
}

static ct_status backward_data_flipped(ct_ctx *ctx, ct_ptr din, int accum, ct_ptr dout,
                                       ct_ptr w, const ct_conv2d_p *p)
{
    const ct_conv2d_p q = {p->n,     p->c_out, ct_conv2d_out_h(p), ct_conv2d_out_w(p),
                           p->c_in,  p->kh,    p->kw,              1,
                           p->kh - 1 - p->pad, p->groups};
    const int kk = p->kh * p->kw;
    const size_t ckk = (size_t)p->c_in / p->groups * kk;
    const tile_a wf = {w, ckk, (size_t)p->c_out / p->groups * ckk, 3, kk};
    return conv_tiled(ctx, din, accum, dout, &wf, CT_PTR_NULL, &q);
}

static ct_status backward_data_tiled(ct_ctx *ctx, ct_ptr din, int accum, ct_ptr dout, ct_ptr w,
                                     const ct_conv2d_p *p)
{
    const conv_dims d = dims_of(p);
    const int nb_max = chunk_images(ctx, p), pw = is_pointwise(p);
    const size_t ld_max = nb_max * d.np_img;
    conv_scratch s;
    const size_t ckk = d.cg * d.kk;
    ct_status st = get_scratch_n(ctx, pw ? 0 : p->c_in * d.kk * ld_max,
                                 panel_n(d.cog, ld_max, d.g), apanel_n(ckk, d.cog, d.g), &s);
    const tile_a wt = {w, ckk, d.cog * ckk, 1, 0}; /* w_g^T: w_g (Cog, Cg*KK) read transposed */
    if (st == CT_OK) st = pack_a(ctx, s.ap, &wt, ckk, d.cog, d.g);
    for (int n0 = 0; n0 < p->n && st == CT_OK; n0 += nb_max) {
        int nb = chunk_len(p, n0, nb_max);
        size_t ld = (size_t)nb * d.np_img;
        ct_ptr din_c = ct_ptr_add(din, n0 * d.in_img);
        st = im2col_panel(ctx, s.pk, ct_ptr_add(dout, n0 * d.out_img), &d.gp, nb, d.g);
        /* col_g (Cg*KK, nb*P) = w_g^T (Cg*KK, Cog) . dout_g (Cog, nb*P); for 1x1 stride-1
         * convs col is din itself, written (or added) straight into NCHW */
        tile_out o = {s.col, ld, d.cg * d.kk * ld, 0};
        if (pw) o = (tile_out){din_c, d.in_img, d.cg * d.np_img, (int)d.np_img};
        if (st == CT_OK)
            st = tiled_gemm(ctx, ckk, ld, d.cog, d.g, pw && accum, s.ap, s.pk, &o, CT_PTR_NULL);
        if (st == CT_OK && !pw) st = col2im(ctx, din_c, accum, s.col, CT_PTR_NULL, &d.gw, nb);
    }
    return st;
}

/* Stride-1 3x3 weight gradients from padded copies of in and dout (kernels/conv.cl
 * wgrad3x3_implicit, and wgrad3x3_implicit_r2 for 5- to 8-wide outputs: at 28 px, batch 128,
 * the 7x7 stage's went from 16.5 to 8.5 ms of CPU, at 64 px, batch 64, the 8x8 stage's from 25
 * to 16 against the panel route): no im2col panel, no K-sliced GEMM. */
static ct_status backward_weight_implicit(ct_ctx *ctx, ct_ptr dw, ct_ptr dout, ct_ptr in,
                                          const ct_conv2d_p *p)
{
    const conv_dims d = dims_of(p);
    const int oh = ct_conv2d_out_h(p), ow = ct_conv2d_out_w(p), r = implicit_rows(p);
    const int s2 = p->stride == 2;
    /* r 2: 8-column dout planes of even height; stride 2: 16-column tiles read from twice as
     * wide and high a padded input (see kernels/conv.cl wgrad3x3_rows) */
    const int wpd = r == 2 && !s2 ? 8 : (ow + 15) / 16 * 16;
    const int ohp = r == 2 && !s2 ? (oh + 1) / 2 * 2 : oh;
    int hp = s2 ? 2 * ohp + 1 : ohp + 2, wp = s2 ? 2 * wpd + 2 : wpd + 2;
    if (hp < p->h + p->pad) hp = p->h + p->pad; /* pad_planes copies every input row it holds */
    if (wp < p->w + p->pad) wp = p->w + p->pad;
    const size_t in_img = (size_t)p->c_in * hp * wp, out_img = (size_t)p->c_out * ohp * wpd;
    /* Every work item streams all of its launch's images of its channels, and each input plane
     * is re-read by every output-channel group and each dout plane by every input channel: so a
     * launch takes the images that fit a core's L2, not the scratch budget. 128 px, batch 32, ms
     * of CPU for the whole batch at 1 image / 32 per launch: stem 32->64 at 64 px 52 / 69,
     * stage 1 (32 px) 26.6 / 38.0; at 16 px 4 images measured best (28.3 against 37.4 for 32).
     * The padded copies are made a scratch-budget chunk at a time (fewer, larger launches). */
    const int nb_max = chunk_for(ctx, p, (in_img + out_img) * sizeof(float));
    const size_t per_l2 = WGRAD_L2_BUDGET / ((in_img + out_img) * sizeof(float));
    const int nb_l2 = per_l2 < 1 ? 1 : per_l2 < (size_t)nb_max ? (int)per_l2 : nb_max;
    conv_scratch s;
    ct_status st = get_scratch_n(ctx, nb_max * in_img, nb_max * out_img, 0, &s);
    cl_kernel kern = NULL;
    if (st == CT_OK)
        st = get_kernel(ctx, s2       ? "wgrad3x3_implicit_s2"
                             : r == 2 ? "wgrad3x3_implicit_r2"
                                      : "wgrad3x3_implicit",
                        &kern);
    const size_t global[3] = {(d.cog + WGRAD_CO - 1) / WGRAD_CO, d.cg, (size_t)d.g};
    size_t local[3];
    tile_local(global, local);
    cl_int cog = (cl_int)d.cog, cg = (cl_int)d.cg;
    for (int n0 = 0; n0 < p->n && st == CT_OK; n0 += nb_max) {
        cl_int nb = chunk_len(p, n0, nb_max);
        st = pad_planes(ctx, s.col, ct_ptr_add(in, n0 * d.in_img), p->c_in, p->h, p->w, hp, wp,
                        p->pad, nb);
        if (st == CT_OK)
            st = pad_planes(ctx, s.pk, ct_ptr_add(dout, n0 * d.out_img), p->c_out, oh, ow, ohp,
                            wpd, 0, nb);
        for (int k0 = 0; k0 < nb && st == CT_OK; k0 += nb_l2) {
            cl_int nk = nb - k0 < nb_l2 ? nb - k0 : nb_l2;
            cl_ulong io = s.col.off + (size_t)k0 * in_img, doo = s.pk.off + (size_t)k0 * out_img;
            st = ct_launch(ctx, kern, 3, global, local,
                           (ct_karg[]){CT_KA(cog), CT_KA(cg), CT_KA(hp), CT_KA(wp), CT_KA(ohp),
                                       CT_KA(ow), CT_KA(wpd), CT_KA(p->c_in), CT_KA(nk),
                                       CT_KA(s.col.mem), CT_KA(io), CT_KA(s.pk.mem), CT_KA(doo),
                                       CT_KA(dw.mem), CT_KA(dw.off)},
                           15);
        }
    }
    return st;
}

/* 1x1 stride-1 weight gradients straight from the NCHW planes (kernels/conv.cl
 * wgrad1x1_implicit; H*W a multiple of 16): no packing at all. */
static ct_status backward_weight_1x1(ct_ctx *ctx, ct_ptr dw, ct_ptr dout, ct_ptr in,
                                     const ct_conv2d_p *p)
{
    const conv_dims d = dims_of(p);
    cl_kernel kern;
    ct_status st = get_kernel(ctx, "wgrad1x1_implicit", &kern);
    if (st != CT_OK) return st;
    const size_t global[3] = {(d.cog + 3) / 4, (d.cg + 3) / 4, (size_t)d.g};
    size_t local[3];
    tile_local(global, local);
    cl_int cog = (cl_int)d.cog, cg = (cl_int)d.cg, np = (cl_int)d.np_img, nb = p->n;
    return ct_launch(ctx, kern, 3, global, local,
                     (ct_karg[]){CT_KA(cog), CT_KA(cg), CT_KA(np), CT_KA(p->c_in), CT_KA(nb),
                                 CT_KA(in.mem), CT_KA(in.off), CT_KA(dout.mem), CT_KA(dout.off),
                                 CT_KA(dw.mem), CT_KA(dw.off)},
                     11);
}

/* Taps per output channel and group: the weight-gradient GEMM's N. */
static int d_taps(const ct_conv2d_p *p) { return p->c_in / p->groups * p->kh * p->kw; }

static ct_status backward_weight_tiled(ct_ctx *ctx, ct_ptr dw, ct_ptr dout, ct_ptr in,
                                       const ct_conv2d_p *p)
{
    if (is_pointwise(p) && (size_t)p->h * p->w % 16 == 0 && !implicit_off())
        return backward_weight_1x1(ctx, dw, dout, in, p);
    if (p->kh == 3 && p->kw == 3 && p->stride == 1 && (use_implicit(p) || implicit_rows(p) == 2))
        return backward_weight_implicit(ctx, dw, dout, in, p);
    /* stride 2 with few taps (the stem's first conv, C_in*9 under 4 panels of 16): 17-18 -> 7-9
     * ms of CPU at 128 px, batch 32; with 64 input channels the panel GEMM measured the same */
    if (p->kh == 3 && p->kw == 3 && p->stride == 2 && implicit_rows(p) == 1 && d_taps(p) < 64)
        return backward_weight_implicit(ctx, dw, dout, in, p);
    const conv_dims d = dims_of(p);
    const int nb_max = chunk_images(ctx, p);
    const size_t ld_max = nb_max * d.np_img;
    conv_scratch s;
    const size_t ckk = d.cg * d.kk;
    ct_status st = get_scratch_n(ctx, panel_n(ld_max, ckk, d.g), 0,
                                 apanel_n(d.cog, ld_max, d.g), &s);
    for (int n0 = 0; n0 < p->n && st == CT_OK; n0 += nb_max) {
        int nb = chunk_len(p, n0, nb_max);
        size_t ld = (size_t)nb * d.np_img;
        st = im2col_panel_t(ctx, s.col, ct_ptr_add(in, n0 * d.in_img), &d.gw, nb, d.g);
        /* A = dout_g (Cog, nb*P), read from NCHW */
        const tile_a da = {ct_ptr_add(dout, n0 * d.out_img), d.out_img, d.cog * d.np_img, 2,
                           (int)d.np_img};
        if (st == CT_OK) st = pack_a(ctx, s.ap, &da, d.cog, ld, d.g);
        /* dw_g (Cog, Cg*KK) += dout_g (Cog, nb*P) . col_g^T (nb*P, Cg*KK) */
        tile_out o = {dw, ckk, d.cog * ckk, 0};
        if (st == CT_OK) st = tiled_gemm(ctx, d.cog, ckk, ld, d.g, 1, s.ap, s.col, &o, CT_PTR_NULL);
    }
    return st;
}

/* ---- 1-pixel route (kernels/conv.cl tapmap, gemm_dot) --------------------------------------- */

/* Convs with a one-pixel output whose window covers the whole input, groups 1 (at 28 px input:
 * xresnet's 1x1-map stage and the stride-2 conv into it). With the input image flattened as
 * k = ci*HW + y*W + x the live taps are (y + pad, x + pad): every pass is one small GEMM on the
 * NCHW tensors and the live-tap weights packed (C_out, C_in*HW); im2col panels, 16-column tiles
 * and padded taps cost more than the arithmetic there. CLTRAIN_CONV_1PX=0 turns the route off. */
static int use_1px(const ct_conv2d_p *p)
{
    const char *env = getenv("CLTRAIN_CONV_1PX");
    return p->groups == 1 && ct_conv2d_out_h(p) == 1 && ct_conv2d_out_w(p) == 1 &&
           p->kh >= p->h + p->pad && p->kw >= p->w + p->pad && !(env && !strcmp(env, "0"));
}

/* tapmap over (r, q): map(q) = (q / hw) * kk + base + (q % hw) / w * kw + q % w into rows of ld */
typedef struct {
    cl_int r, q, ld, hw, w, kk, kw, base;
} tap_geom;

/* The live taps of the conv's weights as a (C_out, C_in*HW) matrix. */
static tap_geom taps_of(const ct_conv2d_p *p)
{
    return (tap_geom){p->c_out, p->c_in * p->h * p->w, p->c_in * p->kh * p->kw, p->h * p->w,
                      p->w, p->kh * p->kw, p->kw, p->pad * p->kw + p->pad};
}

/* A plain row-major (r, q) matrix (map = identity), for transposes. */
static tap_geom plain_of(int r, int q) { return (tap_geom){r, q, q, q, q, 0, 0, 0}; }

/* The weight gradient pays two transposes and a scatter-add on this route: it wins only when
 * most taps are padding (3x3 on a 1x1 map measured 2x faster, 3x3 stride 2 on 2x2 and 1x1 convs
 * 2.5-5x slower than the tiled routes). */
static int use_1px_wgrad(const ct_conv2d_p *p)
{
    return use_1px(p) && 3 * p->h * p->w <= p->kh * p->kw;
}

/* dir 0: pk (r, q) <- src through the map; 1: src += pk through the map; 2: pk (q, r) <- src. */
static ct_status tapmap(ct_ctx *ctx, ct_ptr src, ct_ptr pk, const tap_geom *t, int dir)
{
    cl_int di = dir;
    ct_status st = check_32bit((size_t)t->r * t->q + (size_t)t->r * t->ld, "tapmap");
    if (st != CT_OK) return st;
    return launch1d(ctx, "tapmap", (size_t)t->r * t->q,
                    (ct_karg[]){CT_KA(src.mem), CT_KA(src.off), CT_KA(pk.mem), CT_KA(pk.off),
                                CT_KA(t->r), CT_KA(t->q), CT_KA(t->ld), CT_KA(t->hw), CT_KA(t->w),
                                CT_KA(t->kk), CT_KA(t->kw), CT_KA(t->base), CT_KA(di)},
                    13);
}

/* C (m, n) = / += A (m, k) . B (n, k)^T (+ bias[j]); all row-major with the given strides. */
static ct_status gemm_dot(ct_ctx *ctx, int m, int n, int k, int accum, ct_ptr a, cl_int lda,
                          ct_ptr b, cl_int ldb, ct_ptr c, cl_int ldc, ct_ptr bias)
{
    cl_kernel kern;
    ct_status st = get_kernel(ctx, "gemm_dot", &kern);
    if (st != CT_OK) return st;
    const size_t global[2] = {((size_t)n + 3) / 4, ((size_t)m + 3) / 4};
    size_t local[3];
    tile_local((const size_t[3]){global[0], global[1], 1}, local);
    cl_int acc = accum, has_b = bias.mem != NULL;
    cl_mem bm = bias.mem ? bias.mem : c.mem; /* an absent bias still needs a valid buffer */
    return ct_launch(ctx, kern, 2, global, local,
                     (ct_karg[]){CT_KA(m), CT_KA(n), CT_KA(k), CT_KA(acc), CT_KA(a.mem),
                                 CT_KA(a.off), CT_KA(lda), CT_KA(b.mem), CT_KA(b.off), CT_KA(ldb),
                                 CT_KA(c.mem), CT_KA(c.off), CT_KA(ldc), CT_KA(bm),
                                 CT_KA(bias.off), CT_KA(has_b)},
                     16);
}

/* K = C_in*H*W, wp (C_out, K) the live taps. pass 0: out (N, C_out) = in (N, K) . wp^T + bias;
 * 1: din (N, K) = / += dout (N, C_out) . wp, wp packed transposed; 2: dw's live taps +=
 * dout^T (C_out, N) . in (N, K) from transposed copies of dout and in. */
static ct_status conv_1px(ct_ctx *ctx, int pass, ct_ptr y, int accum, ct_ptr x, ct_ptr w,
                          ct_ptr bias, const ct_conv2d_p *p)
{
    const int k = p->c_in * p->h * p->w, co = p->c_out, n = p->n;
    const tap_geom tg = taps_of(p);
    cl_mem m;
    size_t pk_n = (size_t)co * k, extra = pass == 2 ? (size_t)n * (co + k) : 0;
    ct_status st = ct_ctx_scratch(ctx, (pk_n + extra) * sizeof(float), &m);
    ct_ptr pk = CT_PTR(m, 0), dt = CT_PTR(m, pk_n), xt = CT_PTR(m, pk_n + (size_t)n * co);
    if (st != CT_OK) return st;
    if (pass == 0) {
        st = tapmap(ctx, w, pk, &tg, 0);
        return st != CT_OK ? st : gemm_dot(ctx, n, co, k, 0, x, k, pk, k, y, co, bias);
    }
    if (pass == 1) {
        st = tapmap(ctx, w, pk, &tg, 2);
        return st != CT_OK ? st : gemm_dot(ctx, n, k, co, accum, x, co, pk, co, y, k, CT_PTR_NULL);
    }
    const tap_geom gd = plain_of(n, co), gx = plain_of(n, k);
    st = tapmap(ctx, y, dt, &gd, 2);
    if (st == CT_OK) st = tapmap(ctx, x, xt, &gx, 2);
    if (st == CT_OK) st = gemm_dot(ctx, co, k, n, 0, dt, n, xt, n, pk, k, CT_PTR_NULL);
    return st != CT_OK ? st : tapmap(ctx, w, pk, &tg, 1);
}

/* ---- CLBlast back end (ct_gemm_strided on row-major im2col columns) -------------------------- */

static ct_status forward_clblast(ct_ctx *ctx, ct_ptr out, ct_ptr in, ct_ptr w, ct_ptr bias,
                                 const ct_conv2d_p *p)
{
    const conv_dims d = dims_of(p);
    const size_t ckk = d.cg * d.kk;
    ct_status st;
    if (is_pointwise(p)) {
        st = pointwise_gemm(ctx, 0, d.cog, d.cg, w, d.cg, d.cog * d.cg, in, d.in_img, out,
                            d.out_img, 0.f, p);
        return st != CT_OK ? st : ct_ops_bias_add(ctx, out, bias, p->n, p->c_out, (int)d.np_img);
    }
    const int nb_max = chunk_images(ctx, p);
    conv_scratch s;
    st = get_scratch(ctx, p, nb_max, &s);
    for (int n0 = 0; n0 < p->n && st == CT_OK; n0 += nb_max) {
        int nb = chunk_len(p, n0, nb_max);
        size_t ld = (size_t)nb * d.np_img;
        st = im2col(ctx, s.col, ct_ptr_add(in, n0 * d.in_img), &d.gw, nb);
        /* pk_g (Cog, nb*P) = w_g (Cog, Cg*KK) . col_g (Cg*KK, nb*P) */
        if (st == CT_OK)
            st = ct_gemm_strided(ctx, 0, 0, d.cog, ld, ckk, 1.f, w, ckk, d.cog * ckk, s.col, ld,
                                 ckk * ld, 0.f, s.pk, ld, d.cog * ld, (size_t)d.g);
        if (st == CT_OK) st = col2im(ctx, ct_ptr_add(out, n0 * d.out_img), 0, s.pk, bias, &d.gp, nb);
    }
    return st;
}

static ct_status backward_data_clblast(ct_ctx *ctx, ct_ptr din, int accum, ct_ptr dout, ct_ptr w,
                                       const ct_conv2d_p *p)
{
    const conv_dims d = dims_of(p);
    const size_t ckk = d.cg * d.kk;
    if (is_pointwise(p)) /* din_g (Cg, HW) = w_g^T (Cg, Cog) . dout_g (Cog, HW) */
        return pointwise_gemm(ctx, 1, d.cg, d.cog, w, d.cg, d.cog * d.cg, dout, d.out_img, din,
                              d.in_img, accum ? 1.f : 0.f, p);
    const int nb_max = chunk_images(ctx, p);
    conv_scratch s;
    ct_status st = get_scratch(ctx, p, nb_max, &s);
    for (int n0 = 0; n0 < p->n && st == CT_OK; n0 += nb_max) {
        int nb = chunk_len(p, n0, nb_max);
        size_t ld = (size_t)nb * d.np_img;
        st = im2col(ctx, s.pk, ct_ptr_add(dout, n0 * d.out_img), &d.gp, nb);
        /* col_g (Cg*KK, nb*P) = w_g^T (Cg*KK, Cog) . pk_g (Cog, nb*P) */
        if (st == CT_OK)
            st = ct_gemm_strided(ctx, 1, 0, ckk, ld, d.cog, 1.f, w, ckk, d.cog * ckk, s.pk, ld,
                                 d.cog * ld, 0.f, s.col, ld, ckk * ld, (size_t)d.g);
        if (st == CT_OK)
            st = col2im(ctx, ct_ptr_add(din, n0 * d.in_img), accum, s.col, CT_PTR_NULL, &d.gw, nb);
    }
    return st;
}

static ct_status backward_weight_clblast(ct_ctx *ctx, ct_ptr dw, ct_ptr dout, ct_ptr in,
                                         const ct_conv2d_p *p)
{
    const conv_dims d = dims_of(p);
    const size_t ckk = d.cg * d.kk;
    const int nb_max = chunk_images(ctx, p);
    conv_scratch s;
    ct_status st = get_scratch(ctx, p, nb_max, &s);
    for (int n0 = 0; n0 < p->n && st == CT_OK; n0 += nb_max) {
        int nb = chunk_len(p, n0, nb_max);
        size_t ld = (size_t)nb * d.np_img;
        st = im2col(ctx, s.col, ct_ptr_add(in, n0 * d.in_img), &d.gw, nb);
        if (st == CT_OK) st = im2col(ctx, s.pk, ct_ptr_add(dout, n0 * d.out_img), &d.gp, nb);
        /* dw_g (Cog, Cg*KK) += pk_g (Cog, nb*P) . col_g^T (nb*P, Cg*KK) */
        if (st == CT_OK)
            st = ct_gemm_strided(ctx, 0, 1, d.cog, ckk, ld, 1.f, s.pk, ld, d.cog * ld, s.col, ld,
                                 ckk * ld, 1.f, dw, ckk, d.cog * ckk, (size_t)d.g);
    }
    return st;
}

/* ---- public entry points ------------------------------------------------------------------- */

ct_status ct_conv2d_forward(ct_ctx *ctx, ct_ptr out, ct_ptr in, ct_ptr w, ct_ptr bias,
                            const ct_conv2d_p *p)
{
    ct_status st = check_p(p, "forward");
    if (st != CT_OK || p->n == 0) return st;
    if (use_tiled(ctx) && use_1px(p)) return conv_1px(ctx, 0, out, 0, in, w, bias, p);
    return use_tiled(ctx) ? forward_tiled(ctx, out, in, w, bias, p)
                          : forward_clblast(ctx, out, in, w, bias, p);
}

ct_status ct_conv2d_backward_data(ct_ctx *ctx, ct_ptr din, int accum, ct_ptr dout, ct_ptr w,
                                  const ct_conv2d_p *p)
{
    ct_status st = check_p(p, "backward_data");
    if (st != CT_OK || p->n == 0 || !din.mem) return st;
    if (!use_tiled(ctx)) return backward_data_clblast(ctx, din, accum, dout, w, p);
    if (use_1px(p)) return conv_1px(ctx, 1, din, accum, dout, w, CT_PTR_NULL, p);
    return data_grad_as_forward(p) ? backward_data_flipped(ctx, din, accum, dout, w, p)
                                   : backward_data_tiled(ctx, din, accum, dout, w, p);
}

ct_status ct_conv2d_backward_weight(ct_ctx *ctx, ct_ptr dw, ct_ptr dbias, ct_ptr dout, ct_ptr in,
                                    const ct_conv2d_p *p)
{
    ct_status st = check_p(p, "backward_weight");
    if (st != CT_OK || p->n == 0) return st;
    if (dw.mem) {
        st = !use_tiled(ctx) ? backward_weight_clblast(ctx, dw, dout, in, p)
             : use_1px_wgrad(p) ? conv_1px(ctx, 2, dout, 0, in, dw, CT_PTR_NULL, p)
                                : backward_weight_tiled(ctx, dw, dout, in, p);
        if (st != CT_OK) return st;
    }
    return ct_ops_bias_backward(ctx, dbias, dout, p->n, p->c_out,
                                ct_conv2d_out_h(p) * ct_conv2d_out_w(p));
}
