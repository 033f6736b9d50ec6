/* Host half of kernels/batchnorm.cl: BatchNorm2d training forward, eval forward and backward,
 * (N, C, HW) float, optionally with a ReLU fused after it (p->act). Enqueue only; never waits or
 * reads back. */
#include <stdio.h>
#include <stdlib.h>

#include "cltrain/ops.h"

static ct_status check_p(const ct_bn_p *p, const char *fn)
{
    if (!p || p->n <= 0 || p->c <= 0 || p->hw <= 0)
        return ct_error(CT_ERR_INVALID_ARG,
                        "%s (src/ops/batchnorm.c): bad shape (N %d, C %d, HW %d)", fn,
                        p ? p->n : 0, p ? p->c : 0, p ? p->hw : 0);
    if ((double)p->n * p->c * p->hw > 4294967295.0)
        return ct_error(CT_ERR_OVERFLOW, "%s (src/ops/batchnorm.c): N*C*HW over 2^32", fn);
    if (!(p->eps > 0))
        return ct_error(CT_ERR_INVALID_ARG, "%s (src/ops/batchnorm.c): eps %g must be > 0", fn,
                        (double)p->eps);
    if (p->act != CT_ACT_NONE && p->act != CT_ACT_RELU)
        return ct_error(CT_ERR_INVALID_ARG, "%s (src/ops/batchnorm.c): fused activation %d "
                        "unsupported (none or relu)", fn, (int)p->act);
    return CT_OK;
}

static int all_present(const ct_ptr *v, int n)
{
    for (int i = 0; i < n; i++)
        if (!v[i].mem) return 0;
    return 1;
}

/* How work items cover a channel: contiguous runs read 8 wide on CPU devices (caches, SIMD; 20x
 * faster on PoCL than interleaving), interleaved elsewhere (coalesced). CLTRAIN_BN_CONTIG=0/1
 * overrides (the tests run both). */
static int contiguous(ct_ctx *ctx) { return ct_ctx_cpu_layout(ctx, "CLTRAIN_BN_CONTIG"); }

/* Launch kernel `name` with one work-group per channel and a local float2 array of the local size
 * appended as the last argument. The local size is the largest power of two the kernel allows, at
 * most 256 (16 for contiguous runs: on PoCL each work item costs a context switch per barrier,
 * and longer runs vectorise better), and no more than the channel's N*HW elements need. */
static ct_status per_channel(ct_ctx *ctx, const char *name, const ct_bn_p *p, ct_karg *args,
                             int nargs)
{
    cl_kernel k;
    int contig = contiguous(ctx);
    char opts[40];
    snprintf(opts, sizeof opts, "-DBN_CONTIG=%d -DBN_ACT=%d", contig, p->act == CT_ACT_RELU);
    ct_status st = ct_kernel_get(ctx, "batchnorm.cl", name, opts, &k);
    if (st != CT_OK) return st;
    size_t limit = ct_kernel_max_wg(ctx, k), cap = contig ? 16 : 256;
    size_t m = (size_t)p->n * p->hw, local = 1;
    while (local * 2 <= limit && local * 2 <= cap && local < m)
        local *= 2;
    args[nargs] = CT_KA_LOCAL(local * 2 * sizeof(float));
    size_t global = (size_t)p->c * local;
    return ct_launch(ctx, k, 1, &global, &local, args, nargs + 1);
}

ct_status ct_bn_forward_train(ct_ctx *ctx, ct_ptr out, ct_ptr save_mean, ct_ptr save_rstd,
                              ct_ptr run_mean, ct_ptr run_var, ct_ptr in, ct_ptr gamma, ct_ptr beta,
                              const ct_bn_p *p)
{
    ct_status st = check_p(p, "ct_bn_forward_train");
    if (st != CT_OK) return st;
    if (!all_present((ct_ptr[]){out, save_mean, save_rstd, run_mean, run_var, in, gamma, beta}, 8))
        return ct_error(CT_ERR_INVALID_ARG,
                        "ct_bn_forward_train (src/ops/batchnorm.c): a NULL buffer");
    if ((size_t)p->n * p->hw < 2)
        return ct_error(CT_ERR_INVALID_ARG,
                        "ct_bn_forward_train (src/ops/batchnorm.c): expected more than 1 value per "
                        "channel when training (N %d x HW %d), as PyTorch", p->n, p->hw);
    cl_ulong oo = out.off, smo = save_mean.off, sro = save_rstd.off, rmo = run_mean.off,
             rvo = run_var.off, io = in.off, go = gamma.off, bo = beta.off;
    cl_int n = p->n, c = p->c, hw = p->hw;
    float eps = p->eps, mom = p->momentum;
    ct_karg a[] = {CT_KA(out.mem),      CT_KA(oo),  CT_KA(save_mean.mem), CT_KA(smo),
                   CT_KA(save_rstd.mem), CT_KA(sro), CT_KA(run_mean.mem),  CT_KA(rmo),
                   CT_KA(run_var.mem),  CT_KA(rvo), CT_KA(in.mem),        CT_KA(io),
                   CT_KA(gamma.mem),    CT_KA(go),  CT_KA(beta.mem),      CT_KA(bo),
                   CT_KA(n),            CT_KA(c),   CT_KA(hw),            CT_KA(eps),
                   CT_KA(mom),          {0, NULL}};
    return per_channel(ctx, "bn_forward_train", p, a, 21);
}

ct_status ct_bn_forward_eval(ct_ctx *ctx, ct_ptr out, ct_ptr in, ct_ptr gamma, ct_ptr beta,
                             ct_ptr run_mean, ct_ptr run_var, const ct_bn_p *p)
{
    ct_status st = check_p(p, "ct_bn_forward_eval");
    if (st != CT_OK) return st;
    if (!all_present((ct_ptr[]){out, in, gamma, beta, run_mean, run_var}, 6))
        return ct_error(CT_ERR_INVALID_ARG,
                        "ct_bn_forward_eval (src/ops/batchnorm.c): a NULL buffer");
    cl_kernel k;
    st = ct_kernel_get(ctx, "batchnorm.cl", "bn_forward_eval",
                       p->act == CT_ACT_RELU ? "-DBN_ACT=1" : NULL, &k);
    if (st != CT_OK) return st;
    cl_ulong oo = out.off, io = in.off, go = gamma.off, bo = beta.off, rmo = run_mean.off,
             rvo = run_var.off, total = (cl_ulong)p->n * p->c * p->hw;
    cl_int c = p->c, hw = p->hw;
    float eps = p->eps;
    size_t global = (size_t)total, local = ct_ctx_wg1d(ctx);
    return ct_launch(ctx, k, 1, &global, &local,
                     (ct_karg[]){CT_KA(out.mem), CT_KA(oo), CT_KA(in.mem), CT_KA(io),
                                 CT_KA(gamma.mem), CT_KA(go), CT_KA(beta.mem), CT_KA(bo),
                                 CT_KA(run_mean.mem), CT_KA(rmo), CT_KA(run_var.mem), CT_KA(rvo),
                                 CT_KA(c), CT_KA(hw), CT_KA(eps), CT_KA(total)},
                     16);
}

/* bn_backward; act_out is read only for a fused ReLU (p->act), dout stands in otherwise */
static ct_status bn_backward(ct_ctx *ctx, ct_ptr din, int accum, ct_ptr dgamma, ct_ptr dbeta,
                             ct_ptr dout, ct_ptr act_out, ct_ptr in, ct_ptr gamma, ct_ptr save_mean,
                             ct_ptr save_rstd, const ct_bn_p *p, const char *fn)
{
    ct_status st = check_p(p, fn);
    if (st != CT_OK) return st;
    if (!all_present((ct_ptr[]){dgamma, dbeta, dout, act_out, in, gamma, save_mean, save_rstd}, 8))
        return ct_error(CT_ERR_INVALID_ARG, "%s (src/ops/batchnorm.c): a NULL buffer (only din "
                                            "may be NULL)", fn);
    cl_int has_dx = din.mem != NULL, acc = accum != 0, n = p->n, c = p->c, hw = p->hw;
    cl_mem dxm = has_dx ? din.mem : dout.mem; /* an absent output still needs a valid buffer */
    cl_ulong xo = din.off, ggo = dgamma.off, gbo = dbeta.off, dyo = dout.off, yo = act_out.off,
             io = in.off, go = gamma.off, smo = save_mean.off, sro = save_rstd.off;
    ct_karg a[] = {CT_KA(dxm),           CT_KA(xo),  CT_KA(acc),          CT_KA(has_dx),
                   CT_KA(dgamma.mem),    CT_KA(ggo), CT_KA(dbeta.mem),    CT_KA(gbo),
                   CT_KA(dout.mem),      CT_KA(dyo), CT_KA(act_out.mem),  CT_KA(yo),
                   CT_KA(in.mem),        CT_KA(io),  CT_KA(gamma.mem),    CT_KA(go),
                   CT_KA(save_mean.mem), CT_KA(smo), CT_KA(save_rstd.mem), CT_KA(sro),
                   CT_KA(n),             CT_KA(c),   CT_KA(hw),           {0, NULL}};
    return per_channel(ctx, "bn_backward", p, a, 23);
}

ct_status ct_bn_backward(ct_ctx *ctx, ct_ptr din, int accum, ct_ptr dgamma, ct_ptr dbeta,
                         ct_ptr dout, ct_ptr in, ct_ptr gamma, ct_ptr save_mean, ct_ptr save_rstd,
                         const ct_bn_p *p)
{
    if (p && p->act != CT_ACT_NONE)
        return ct_error(CT_ERR_INVALID_ARG, "ct_bn_backward (src/ops/batchnorm.c): a fused "
                        "activation's backward is ct_bn_backward_act");
    return bn_backward(ctx, din, accum, dgamma, dbeta, dout, dout, in, gamma, save_mean,
                       save_rstd, p, "ct_bn_backward");
}

ct_status ct_bn_backward_act(ct_ctx *ctx, ct_ptr din, int accum, ct_ptr dgamma, ct_ptr dbeta,
                             ct_ptr dact, ct_ptr act_out, ct_ptr in, ct_ptr gamma,
                             ct_ptr save_mean, ct_ptr save_rstd, const ct_bn_p *p)
{
    if (p && p->act != CT_ACT_RELU)
        return ct_error(CT_ERR_INVALID_ARG, "ct_bn_backward_act (src/ops/batchnorm.c): needs "
                        "p->act = CT_ACT_RELU, got %d", (int)p->act);
    return bn_backward(ctx, din, accum, dgamma, dbeta, dact, act_out, in, gamma, save_mean,
                       save_rstd, p, "ct_bn_backward_act");
}
