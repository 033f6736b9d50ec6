/* Running the static graph: forward walks the nodes in order, backward in reverse, each node one
 * or two ops from ops.h on planned arena views. Enqueues only: never waits, never allocates. */
#include <stdint.h>

#include "cltrain/graph.h"

typedef struct {
    ct_ctx *ctx;
    const ct_graph *g;
    const ct_plan *plan;
    const ct_graph_mem *mem;
    int n;
} run;

static ct_ptr val(const run *r, int v)
{
    if (v < 0 || r->plan->off[v] == SIZE_MAX) return CT_PTR_NULL;
    return ct_plan_at(r->plan, r->mem, r->plan->off[v]);
}

/* Gradient view of value v; NULL for the network input (not needed). */
static ct_ptr grad(const run *r, int v)
{
    if (v < 0 || r->plan->goff[v] == SIZE_MAX) return CT_PTR_NULL;
    return ct_plan_at(r->plan, r->mem, r->plan->goff[v]);
}

static ct_ptr par(const run *r, int id)
{
    return id < 0 ? CT_PTR_NULL : CT_PTR(r->mem->params, r->g->state[id].offset);
}

static ct_ptr dpar(const run *r, int id)
{
    return id < 0 ? CT_PTR_NULL : CT_PTR(r->mem->grads, r->g->state[id].offset);
}

static ct_ptr buf(const run *r, int id)
{
    return id < 0 ? CT_PTR_NULL : CT_PTR(r->mem->buffers, r->g->state[id].offset);
}

static ct_conv2d_p conv_p(const run *r, const ct_node *nd)
{
    const ct_value *in = &r->g->vals[nd->in[0]], *o = &r->g->vals[nd->out];
    return (ct_conv2d_p){r->n, in->c, in->h, in->w, o->c, nd->k, nd->k, nd->stride, nd->pad,
                         nd->groups};
}

static ct_pool_p pool_p(const run *r, const ct_node *nd)
{
    const ct_value *in = &r->g->vals[nd->in[0]];
    return (ct_pool_p){r->n, in->c, in->h, in->w, nd->k, nd->stride, nd->pad, nd->ceil_mode};
}

static size_t numel(const run *r, int v)
{
    return ct_graph_value_numel(r->g, v, r->n);
}

static ct_bn_p bn_p(const run *r, const ct_node *nd)
{
    const ct_value *in = &r->g->vals[nd->in[0]];
    return (ct_bn_p){r->n, in->c, in->h * in->w, 1e-5f, 0.1f, CT_ACT_NONE};
}

/* Node j, a batchnorm, runs fused with the ReLU of node j+1 (decided by the plan). */
static int fused_relu(const run *r, int j)
{
    return r->plan->fuse && r->plan->fuse[j];
}

/* The ReLU node after a fused batchnorm. */
static int relu_fused_away(const run *r, int j)
{
    return j > 0 && fused_relu(r, j - 1);
}

static ct_sa_p sa_p(const run *r, const ct_node *nd)
{
    const ct_value *in = &r->g->vals[nd->in[0]];
    return (ct_sa_p){r->n, in->c, in->h * in->w};
}

/* SA forward: w_sn (C, C) and sigma (1) from spectral norm of weight_orig (power iteration only
 * in train mode, as torch), then the attention; w_sn and sigma share aux[3]. */
static ct_status sa_forward(const run *r, const ct_node *nd, int train)
{
    ct_sa_p p = sa_p(r, nd);
    ct_ptr wsn = val(r, nd->aux[3]), sigma = ct_ptr_add(wsn, (size_t)p.c * p.c);
    ct_status st = ct_specnorm_forward(r->ctx, wsn, sigma, buf(r, nd->buf[0]), buf(r, nd->buf[1]),
                                       par(r, nd->param[1]), p.c, p.c, train);
    if (st != CT_OK) return st;
    return ct_sa_forward(r->ctx, val(r, nd->out), val(r, nd->aux[0]), val(r, nd->aux[1]),
                         val(r, nd->aux[2]), val(r, nd->in[0]), wsn, par(r, nd->param[0]), &p);
}

/* SA backward: d w_sn into the gradient slot of aux[3] (zeroed: ct_sa_backward accumulates),
 * then through the spectral norm into d weight_orig. */
static ct_status sa_backward(const run *r, const ct_node *nd, ct_ptr dy, ct_ptr dx, int accum)
{
    ct_sa_p p = sa_p(r, nd);
    size_t cc = (size_t)p.c * p.c;
    ct_ptr wsn = val(r, nd->aux[3]), sigma = ct_ptr_add(wsn, cc), dwsn = grad(r, nd->aux[3]);
    ct_status st = ct_fill(r->ctx, dwsn, 0.0f, cc);
    if (st != CT_OK) return st;
    st = ct_sa_backward(r->ctx, dx, accum, dwsn, dpar(r, nd->param[0]), dy, val(r, nd->in[0]), wsn,
                        par(r, nd->param[0]), val(r, nd->aux[0]), val(r, nd->aux[1]),
                        val(r, nd->aux[2]), &p);
    if (st != CT_OK) return st;
    return ct_specnorm_backward(r->ctx, dpar(r, nd->param[1]), dwsn, par(r, nd->param[1]),
                                buf(r, nd->buf[0]), buf(r, nd->buf[1]), sigma, p.c, p.c);
}

static ct_status forward_node(const run *r, int j, int train, uint64_t seed, uint64_t step)
{
    ct_ctx *ctx = r->ctx;
    const ct_node *nd = &r->g->nodes[j];
    ct_ptr x = val(r, nd->in[0]), y = val(r, nd->out);
    const ct_value *in = &r->g->vals[nd->in[0]];
    switch (nd->kind) {
    case CT_NODE_CONV: {
        ct_conv2d_p p = conv_p(r, nd);
        return ct_conv2d_forward(ctx, y, x, par(r, nd->param[0]), par(r, nd->param[1]), &p);
    }
    case CT_NODE_BN: {
        ct_bn_p p = bn_p(r, nd);
        if (fused_relu(r, j)) p.act = CT_ACT_RELU, y = val(r, r->g->nodes[j + 1].out);
        if (train)
            return ct_bn_forward_train(ctx, y, val(r, nd->aux[0]), val(r, nd->aux[1]),
                                       buf(r, nd->buf[0]), buf(r, nd->buf[1]), x,
                                       par(r, nd->param[0]), par(r, nd->param[1]), &p);
        return ct_bn_forward_eval(ctx, y, x, par(r, nd->param[0]), par(r, nd->param[1]),
                                  buf(r, nd->buf[0]), buf(r, nd->buf[1]), &p);
    }
    case CT_NODE_ACT:
        if (relu_fused_away(r, j)) return CT_OK;
        return ct_act_forward(ctx, nd->act, y, x, numel(r, nd->in[0]));
    case CT_NODE_MAXPOOL: {
        ct_pool_p p = pool_p(r, nd);
        return ct_maxpool_forward(ctx, y, val(r, nd->aux[0]), x, &p);
    }
    case CT_NODE_AVGPOOL: {
        ct_pool_p p = pool_p(r, nd);
        return ct_avgpool_forward(ctx, y, x, &p);
    }
    case CT_NODE_GAP: return ct_gap_forward(ctx, y, x, r->n, in->c, in->h * in->w);
    case CT_NODE_LINEAR:
        return ct_linear_forward(ctx, y, x, par(r, nd->param[0]), par(r, nd->param[1]), r->n,
                                 in->c * in->h * in->w, r->g->vals[nd->out].c);
    case CT_NODE_ADD: return ct_add_forward(ctx, y, x, val(r, nd->in[1]), numel(r, nd->out));
    case CT_NODE_CHSCALE:
        return ct_chscale_forward(ctx, y, x, val(r, nd->in[1]), r->n, in->c, in->h * in->w);
    case CT_NODE_DROPOUT:
        return ct_dropout_forward(ctx, y, val(r, nd->aux[0]), x, numel(r, nd->in[0]), nd->p, seed,
                                  step, train);
    case CT_NODE_SA: return sa_forward(r, nd, train);
    }
    return ct_error(CT_ERR_INVALID_ARG, "src/nn/exec.c: node kind %d unknown", (int)nd->kind);
}

static ct_status backward_node(const run *r, int j, ct_ptr dy)
{
    ct_ctx *ctx = r->ctx;
    const ct_node *nd = &r->g->nodes[j];
    const unsigned char *acc = &r->plan->accum[2 * j];
    ct_ptr x = val(r, nd->in[0]), dx = grad(r, nd->in[0]);
    const ct_value *in = &r->g->vals[nd->in[0]];
    ct_status st;
    switch (nd->kind) {
    case CT_NODE_CONV: {
        ct_conv2d_p p = conv_p(r, nd);
        st = ct_conv2d_backward_weight(ctx, dpar(r, nd->param[0]), dpar(r, nd->param[1]), dy, x,
                                       &p);
        if (st != CT_OK || !dx.mem) return st;
        return ct_conv2d_backward_data(ctx, dx, acc[0], dy, par(r, nd->param[0]), &p);
    }
    case CT_NODE_BN: {
        ct_bn_p p = bn_p(r, nd);
        if (fused_relu(r, j)) { /* dy from the ReLU's output gradient and value */
            const ct_node *a = &r->g->nodes[j + 1];
            p.act = CT_ACT_RELU;
            return ct_bn_backward_act(ctx, dx, acc[0], dpar(r, nd->param[0]),
                                      dpar(r, nd->param[1]), grad(r, a->out), val(r, a->out), x,
                                      par(r, nd->param[0]), val(r, nd->aux[0]),
                                      val(r, nd->aux[1]), &p);
        }
        return ct_bn_backward(ctx, dx, acc[0], dpar(r, nd->param[0]), dpar(r, nd->param[1]), dy, x,
                              par(r, nd->param[0]), val(r, nd->aux[0]), val(r, nd->aux[1]), &p);
    }
    case CT_NODE_ACT: {
        if (relu_fused_away(r, j)) return CT_OK;
        ct_ptr saved = ct_act_backward_uses_output(nd->act) ? val(r, nd->out) : x;
        return ct_act_backward(ctx, nd->act, dx, acc[0], dy, saved, numel(r, nd->in[0]));
    }
    case CT_NODE_MAXPOOL: {
        ct_pool_p p = pool_p(r, nd);
        return ct_maxpool_backward(ctx, dx, acc[0], dy, val(r, nd->aux[0]), &p);
    }
    case CT_NODE_AVGPOOL: {
        ct_pool_p p = pool_p(r, nd);
        return ct_avgpool_backward(ctx, dx, acc[0], dy, &p);
    }
    case CT_NODE_GAP: return ct_gap_backward(ctx, dx, acc[0], dy, r->n, in->c, in->h * in->w);
    case CT_NODE_LINEAR:
        return ct_linear_backward(ctx, dx, acc[0], dpar(r, nd->param[0]), dpar(r, nd->param[1]),
                                  dy, x, par(r, nd->param[0]), r->n, in->c * in->h * in->w,
                                  r->g->vals[nd->out].c);
    case CT_NODE_ADD:
        return ct_add_backward(ctx, dx, acc[0], grad(r, nd->in[1]), acc[1], dy, numel(r, nd->out));
    case CT_NODE_CHSCALE:
        return ct_chscale_backward(ctx, dx, acc[0], grad(r, nd->in[1]), acc[1], dy, x,
                                   val(r, nd->in[1]), r->n, in->c, in->h * in->w);
    case CT_NODE_DROPOUT:
        return ct_dropout_backward(ctx, dx, acc[0], dy, val(r, nd->aux[0]), numel(r, nd->in[0]));
    case CT_NODE_SA: return sa_backward(r, nd, dy, dx, acc[0]);
    }
    return ct_error(CT_ERR_INVALID_ARG, "src/nn/exec.c: node kind %d unknown", (int)nd->kind);
}

static ct_status check_run(const ct_graph *g, const ct_plan *plan, const ct_graph_mem *mem, int n)
{
    if (n <= 0 || n > plan->batch || !mem->arena[0] || !mem->params || !plan->off)
        return ct_error(CT_ERR_INVALID_ARG, "src/nn/exec.c: batch %d outside 1..%d or memory "
                        "missing", n, plan->batch);
    (void)g;
    return CT_OK;
}

ct_status ct_graph_forward(ct_ctx *ctx, const ct_graph *g, const ct_plan *plan,
                           const ct_graph_mem *mem, int n, int train, uint64_t seed, uint64_t step)
{
    ct_status st = check_run(g, plan, mem, n);
    if (st != CT_OK) return st;
    if (train && !plan->train)
        return ct_error(CT_ERR_INVALID_ARG, "src/nn/exec.c: train-mode forward on an eval plan");
    run r = {ctx, g, plan, mem, n};
    for (int j = 0; j < g->n_nodes; j++) {
        st = forward_node(&r, j, train, seed, step);
        if (st == CT_OK && mem->hook.fn) st = mem->hook.fn(mem->hook.user, j, 0);
        if (st != CT_OK) return st;
    }
    return CT_OK;
}

ct_status ct_graph_backward(ct_ctx *ctx, const ct_graph *g, const ct_plan *plan,
                            const ct_graph_mem *mem, int n, ct_ptr dlogits)
{
    ct_status st = check_run(g, plan, mem, n);
    if (st != CT_OK) return st;
    if (!plan->train || !mem->grads || !dlogits.mem)
        return ct_error(CT_ERR_INVALID_ARG, "src/nn/exec.c: backward needs a train plan, a grad "
                        "buffer and dlogits");
    run r = {ctx, g, plan, mem, n};
    for (int j = g->n_nodes - 1; j >= 0; j--) {
        int o = g->nodes[j].out;
        ct_ptr dy = o == g->output ? dlogits : grad(&r, o);
        st = backward_node(&r, j, dy);
        if (st == CT_OK && mem->hook.fn) st = mem->hook.fn(mem->hook.user, j, 1);
        if (st != CT_OK) return st;
    }
    return CT_OK;
}
