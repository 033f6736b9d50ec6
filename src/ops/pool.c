/* Host half of kernels/pool.cl: maxpool2d, avgpool2d (PyTorch output sizes, ceil_mode,
 * count_include_pad) and global average pool. Enqueue only; backward gathers, never scatters. */
#include <stdio.h>

#include "cltrain/ops.h"

/* PyTorch's pooling_output_shape: floor or ceil of (size + 2 pad - k) / stride, plus one; with
 * ceil_mode the last window must start inside the input or the left padding. */
static int out_size(int size, int k, int s, int pad, int ceil_mode)
{
    int num = size + 2 * pad - k + (ceil_mode ? s - 1 : 0);
    int o = (num >= 0 ? num / s : -((-num + s - 1) / s)) + 1; /* floor division */
    if (ceil_mode && (o - 1) * s >= size + pad) o--;
    return o;
}

int ct_pool_out_h(const ct_pool_p *p) { return out_size(p->h, p->k, p->stride, p->pad, p->ceil_mode); }
int ct_pool_out_w(const ct_pool_p *p) { return out_size(p->w, p->k, p->stride, p->pad, p->ceil_mode); }

static ct_status check(const ct_pool_p *p, const char *fn)
{
    if (p->n < 1 || p->c < 1 || p->h < 1 || p->w < 1 || p->k < 1 || p->stride < 1 || p->pad < 0)
        return ct_error(CT_ERR_INVALID_ARG, "src/ops/pool.c %s: bad shape n%d c%d %dx%d k%d s%d p%d",
                        fn, p->n, p->c, p->h, p->w, p->k, p->stride, p->pad);
    if (2 * p->pad > p->k)
        return ct_error(CT_ERR_INVALID_ARG, "src/ops/pool.c %s: padding %d exceeds half the "
                        "kernel %d (PyTorch rejects it too)", fn, p->pad, p->k);
    if (ct_pool_out_h(p) < 1 || ct_pool_out_w(p) < 1)
        return ct_error(CT_ERR_INVALID_ARG, "src/ops/pool.c %s: input %dx%d too small for k%d p%d",
                        fn, p->h, p->w, p->k, p->pad);
    return CT_OK;
}

/* Work item per row of the planes walked (kernels/pool.cl POOL_ROWS) on CPU devices, where a
 * per-element index split cost as much as the pooling (batch 32, 32x64x64: 3x3 s2 maxpool
 * backward 26.7 -> 16.3 ms of CPU, 2x2 avgpool backward 26.2 -> 14.4, forward 7.3 -> 4.6);
 * per element elsewhere (coalesced). CLTRAIN_POOL_ROWS=0/1 overrides (the tests run
 * both). */
static int by_rows(ct_ctx *ctx) { return ct_ctx_cpu_layout(ctx, "CLTRAIN_POOL_ROWS"); }

/* Launch `name` over n items with the common pool tail (h, w, oh, ow, k, s, pad, n) appended
 * to the nhead leading arguments. */
static ct_status run_pool(ct_ctx *ctx, const char *name, const ct_pool_p *p, int over_input,
                          const ct_karg *head, int nhead)
{
    ct_status st = check(p, name);
    if (st != CT_OK) return st;
    cl_int h = p->h, w = p->w, oh = ct_pool_out_h(p), ow = ct_pool_out_w(p), k = p->k,
           s = p->stride, pad = p->pad;
    const int rows = by_rows(ctx);
    size_t n = (size_t)p->n * p->c * (over_input ? (size_t)h * w : (size_t)oh * ow);
    if (n > 0xffffffffu)
        return ct_error(CT_ERR_UNSUPPORTED, "src/ops/pool.c %s: %zu elements exceed the kernels' "
                        "32-bit indexing", name, n);
    cl_ulong nn = rows ? n / (over_input ? w : ow) : n; /* rows or elements */
    ct_karg args[16];
    for (int i = 0; i < nhead; i++) args[i] = head[i];
    const ct_karg tail[] = {CT_KA(h), CT_KA(w), CT_KA(oh), CT_KA(ow), CT_KA(k), CT_KA(s),
                            CT_KA(pad), CT_KA(nn)};
    for (int i = 0; i < 8; i++) args[nhead + i] = tail[i];
    /* the xresnet stem (3, 2, 1) and idpath (2, 2, 0) windows get compile-time constants */
    const char *win = "";
    if (k == 3 && s == 2 && pad == 1) win = " -DPOOL_K=3 -DPOOL_S=2 -DPOOL_PAD=1";
    if (k == 2 && s == 2 && pad == 0) win = " -DPOOL_K=2 -DPOOL_S=2 -DPOOL_PAD=0";
    char opts[96];
    snprintf(opts, sizeof opts, "-DPOOL_ROWS=%d%s", rows, win);
    cl_kernel kern;
    st = ct_kernel_get(ctx, "pool.cl", name, opts, &kern);
    if (st != CT_OK) return st;
    size_t items = (size_t)nn, local = ct_ctx_wg1d(ctx);
    if (rows && local > 16) local = 16; /* rows are long: more work-groups to spread */
    return ct_launch(ctx, kern, 1, &items, &local, args, nhead + 8);
}

ct_status ct_maxpool_forward(ct_ctx *ctx, ct_ptr out, ct_ptr argmax, ct_ptr in, const ct_pool_p *p)
{
    cl_ulong oo = out.off, ao = argmax.off, io = in.off;
    return run_pool(ctx, "maxpool_forward", p, 0,
                    (ct_karg[]){CT_KA(out.mem), CT_KA(oo), CT_KA(argmax.mem), CT_KA(ao),
                                CT_KA(in.mem), CT_KA(io)},
                    6);
}

ct_status ct_maxpool_backward(ct_ctx *ctx, ct_ptr din, int accum, ct_ptr dout, ct_ptr argmax,
                              const ct_pool_p *p)
{
    if (!din.mem) return CT_OK;
    cl_ulong dio = din.off, doo = dout.off, ao = argmax.off;
    cl_int acc = accum != 0;
    return run_pool(ctx, "maxpool_backward", p, 1,
                    (ct_karg[]){CT_KA(din.mem), CT_KA(dio), CT_KA(acc), CT_KA(dout.mem), CT_KA(doo),
                                CT_KA(argmax.mem), CT_KA(ao)},
                    7);
}

ct_status ct_avgpool_forward(ct_ctx *ctx, ct_ptr out, ct_ptr in, const ct_pool_p *p)
{
    cl_ulong oo = out.off, io = in.off;
    return run_pool(ctx, "avgpool_forward", p, 0,
                    (ct_karg[]){CT_KA(out.mem), CT_KA(oo), CT_KA(in.mem), CT_KA(io)}, 4);
}

ct_status ct_avgpool_backward(ct_ctx *ctx, ct_ptr din, int accum, ct_ptr dout, const ct_pool_p *p)
{
    if (!din.mem) return CT_OK;
    cl_ulong dio = din.off, doo = dout.off;
    cl_int acc = accum != 0;
    return run_pool(ctx, "avgpool_backward", p, 1,
                    (ct_karg[]){CT_KA(din.mem), CT_KA(dio), CT_KA(acc), CT_KA(dout.mem), CT_KA(doo)},
                    5);
}

ct_status ct_gap_forward(ct_ctx *ctx, ct_ptr out, ct_ptr in, int n, int c, int hw)
{
    if (n < 1 || c < 1 || hw < 1)
        return ct_error(CT_ERR_INVALID_ARG, "src/ops/pool.c ct_gap_forward: bad shape %d %d %d", n,
                        c, hw);
    return ct_rowdot(ctx, out, 0, 1.0f / (float)hw, in, CT_PTR_NULL, (size_t)n * c, (size_t)hw);
}

ct_status ct_gap_backward(ct_ctx *ctx, ct_ptr din, int accum, ct_ptr dout, int n, int c, int hw)
{
    if (!din.mem) return CT_OK;
    if (n < 1 || c < 1 || hw < 1)
        return ct_error(CT_ERR_INVALID_ARG, "src/ops/pool.c ct_gap_backward: bad shape %d %d %d",
                        n, c, hw);
    cl_kernel k;
    ct_status st = ct_kernel_get(ctx, "pool.cl", "gap_backward", NULL, &k);
    if (st != CT_OK) return st;
    size_t total = (size_t)n * c * hw, local = ct_ctx_wg1d(ctx);
    cl_ulong dio = din.off, doo = dout.off, nn = total;
    cl_int acc = accum != 0, h = hw;
    return ct_launch(ctx, k, 1, &total, &local,
                     (ct_karg[]){CT_KA(din.mem), CT_KA(dio), CT_KA(acc), CT_KA(dout.mem),
                                 CT_KA(doo), CT_KA(h), CT_KA(nn)},
                     7);
}
