/* The activation memory plan: live intervals of values (and, in train mode, of their gradients)
 * on the forward/backward time line, packed into one arena by greedy first fit; the += / = flag
 * of every activation gradient; which batchnorm + ReLU pairs run fused. Host only: it computes offsets, it allocates nothing on a device. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/graph.h"

#define ALIGN_ELEMS 64 /* 256-byte alignment of every arena slot */

typedef struct {
    size_t size;    /* elements, aligned */
    int start, end; /* inclusive time steps */
    size_t *dst;    /* where the chosen offset goes */
    int pinned;     /* placed first, so at offset 0 (the network input in every plan) */
} interval;

/* 1 when node nd's backward reads value v (besides the gradient of its output). */
static int backward_reads(const ct_node *nd, int v)
{
    switch (nd->kind) {
    case CT_NODE_CONV:
    case CT_NODE_LINEAR:
    case CT_NODE_SA:
        return v == nd->in[0] || v == nd->aux[0] || v == nd->aux[1] || v == nd->aux[2] ||
               v == nd->aux[3];
    case CT_NODE_BN: return v == nd->in[0] || v == nd->aux[0] || v == nd->aux[1];
    case CT_NODE_ACT: return v == (ct_act_backward_uses_output(nd->act) ? nd->out : nd->in[0]);
    case CT_NODE_MAXPOOL:
    case CT_NODE_DROPOUT: return v == nd->aux[0];
    case CT_NODE_CHSCALE: return v == nd->in[0] || v == nd->in[1];
    default: return 0;
    }
}

static int cmp_size_desc(const void *a, const void *b)
{
    const interval *x = *(interval *const *)a, *y = *(interval *const *)b;
    if (x->pinned != y->pinned) return y->pinned - x->pinned;
    if (x->size != y->size) return x->size < y->size ? 1 : -1;
    return x->start - y->start;
}

/* Greedy placement: largest first, each at the lowest offset clear of every placed interval that
 * overlaps it in time and inside one chunk of cap elements (0: unlimited). Returns the arena
 * size in elements. */
static size_t pack(interval *iv, int n, interval **order, size_t cap)
{
    for (int i = 0; i < n; i++) order[i] = &iv[i];
    qsort(order, (size_t)n, sizeof *order, cmp_size_desc);
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        interval *x = order[i];
        size_t off = 0;
        for (int moved = 1; moved;) {
            moved = 0;
            for (int j = 0; j < i; j++) {
                const interval *y = order[j];
                if (y->end < x->start || x->end < y->start) continue;
                if (off < *y->dst + y->size && *y->dst < off + x->size) {
                    off = *y->dst + y->size;
                    moved = 1;
                }
            }
            if (cap && off / cap != (off + x->size - 1) / cap) { /* straddles: next chunk */
                off = (off / cap + 1) * cap;
                moved = 1;
            }
        }
        *x->dst = off;
        if (off + x->size > total) total = off + x->size;
    }
    return total;
}

/* Node j, a batchnorm, runs fused with the ReLU of node j+1 (ct_bn_p.act in src/nn/exec.c):
 * that ReLU is the only reader of the batchnorm's output, neither output is the graph's, and
 * the plan put the ReLU's output exactly on the batchnorm's input or apart from it (the fused
 * kernels read the input and write the output element by element). The batchnorm's output is
 * then never written, and the ReLU's forward and backward are no-ops: one pass over the
 * activation less each way. readers: per value, how many node inputs read it. */
static void plan_fusion(const ct_graph *g, int n, const int *readers, ct_plan *out)
{
    const char *env = getenv("CLTRAIN_FUSE");
    if (env && !strcmp(env, "0")) return;
    for (int j = 0; j + 1 < g->n_nodes; j++) {
        const ct_node *b = &g->nodes[j], *a = &g->nodes[j + 1];
        if (b->kind != CT_NODE_BN || a->kind != CT_NODE_ACT || a->act != CT_ACT_RELU ||
            a->in[0] != b->out || readers[b->out] != 1 || b->out == g->output ||
            a->out == g->output)
            continue;
        size_t xo = out->off[b->in[0]], yo = out->off[a->out];
        size_t len = ct_graph_value_numel(g, a->out, n);
        if (xo != SIZE_MAX && yo != SIZE_MAX && (xo == yo || xo + len <= yo || yo + len <= xo))
            out->fuse[j] = 1;
    }
}

void ct_plan_free(ct_plan *p)
{
    free(p->off);
    free(p->goff);
    free(p->accum);
    free(p->fuse);
    memset(p, 0, sizeof *p);
}

size_t ct_plan_chunk_elems(const ct_plan *p, int k)
{
    if (k < 0 || k >= p->n_chunks) return 0;
    if (!p->chunk_elems) return p->elems;
    size_t start = (size_t)k * p->chunk_elems, left = p->elems - start;
    return left < p->chunk_elems ? left : p->chunk_elems;
}

ct_ptr ct_plan_at(const ct_plan *plan, const ct_graph_mem *mem, size_t off)
{
    if (!plan->chunk_elems) return CT_PTR(mem->arena[0], off);
    size_t k = off / plan->chunk_elems;
    return CT_PTR(mem->arena[k], off - k * plan->chunk_elems);
}

ct_status ct_graph_plan(const ct_graph *g, int n, int mode, size_t chunk_elems, ct_plan *out)
{
    const int train = (mode & CT_PLAN_TRAIN) != 0, input_grad = train && (mode & CT_PLAN_INPUT_GRAD);
    memset(out, 0, sizeof *out);
    if (n <= 0 || g->output < 0)
        return ct_error(CT_ERR_INVALID_ARG, "src/nn/plan.c: batch %d or graph without output", n);
    const int V = g->n_vals, F = g->n_nodes, END = 2 * F;
    int *start = malloc(sizeof(int) * (size_t)V), *end = malloc(sizeof(int) * (size_t)V);
    int *gstart = malloc(sizeof(int) * (size_t)V), *gend = malloc(sizeof(int) * (size_t)V);
    interval *iv = malloc(sizeof *iv * (size_t)(2 * V + 1));
    interval **order = malloc(sizeof *order * (size_t)(2 * V + 1));
    out->off = malloc(sizeof(size_t) * (size_t)V);
    out->goff = malloc(sizeof(size_t) * (size_t)V);
    out->accum = calloc((size_t)F * 2 + 1, 1);
    out->fuse = calloc((size_t)F + 1, 1);
    unsigned char *touched = calloc((size_t)V, 1);
    int *readers = calloc((size_t)V + 1, sizeof(int));
    ct_status st = CT_OK;
    if (!start || !end || !gstart || !gend || !iv || !order || !out->off || !out->goff ||
        !out->accum || !out->fuse || !touched || !readers) {
        st = ct_error(CT_ERR_HOST_OOM, "src/nn/plan.c: out of host memory planning %d values", V);
        goto done;
    }
    for (int v = 0; v < V; v++) {
        start[v] = -1, end[v] = -1, gstart[v] = -1, gend[v] = -1;
        out->off[v] = out->goff[v] = SIZE_MAX;
    }
    start[g->input] = end[g->input] = 0;
    if (input_grad) gend[g->input] = END;
    for (int j = 0; j < F; j++) {
        const ct_node *nd = &g->nodes[j];
        const int tb = END - 1 - j; /* time of this node's backward */
        int defs[5] = {nd->out, nd->aux[0], nd->aux[1], nd->aux[2], nd->aux[3]};
        for (int d = 0; d < 5; d++)
            if (defs[d] >= 0) start[defs[d]] = end[defs[d]] = j;
        for (int s = 0; s < 2; s++) {
            int v = nd->in[s];
            if (v < 0) continue;
            readers[v]++;
            if (end[v] < j) end[v] = j;
            if (train && (v != g->input || input_grad)) {
                /* gradient of v: from the first backward writing it (last consumer) */
                if (gstart[v] < 0 || tb < gstart[v]) gstart[v] = tb;
            }
        }
        if (train) {
            /* values this node's backward reads stay alive until then */
            int cand[7] = {nd->in[0], nd->in[1], nd->out, nd->aux[0], nd->aux[1], nd->aux[2],
                           nd->aux[3]};
            for (int c = 0; c < 7; c++)
                if (cand[c] >= 0 && backward_reads(nd, cand[c]) && end[cand[c]] < tb)
                    end[cand[c]] = tb;
            if (nd->out >= 0) gend[nd->out] = tb; /* read by this backward, then dead */
            if (nd->kind == CT_NODE_SA) gstart[nd->aux[3]] = gend[nd->aux[3]] = tb; /* dw_sn */
        }
    }
    end[g->output] = END; /* the caller reads the logits after the forward (and backward) */
    end[g->input] = END;  /* the input stays intact until the caller overwrites it */
    int ni = 0;
    for (int v = 0; v < V; v++) {
        if (start[v] < 0) continue;
        if (!train && g->vals[v].train_only) continue; /* bn saved stats */
        size_t sz = (ct_graph_value_numel(g, v, n) + ALIGN_ELEMS - 1) / ALIGN_ELEMS * ALIGN_ELEMS;
        iv[ni++] = (interval){sz, start[v], end[v], &out->off[v], v == g->input};
        if (train && gstart[v] >= 0 && gend[v] >= gstart[v])
            iv[ni++] = (interval){sz, gstart[v], gend[v], &out->goff[v], 0};
    }
    if (train) {
        /* d loss / d logits: written between forward and backward, read by the last backward */
        size_t sz = (ct_graph_value_numel(g, g->output, n) + ALIGN_ELEMS - 1) / ALIGN_ELEMS *
                    ALIGN_ELEMS;
        iv[ni++] = (interval){sz, F - 1, F, &out->dlogits_off, 0};
        /* the += flags: backward runs nodes in reverse; the first to reach a value writes it */
        for (int j = F - 1; j >= 0; j--)
            for (int s = 0; s < 2; s++) {
                int v = g->nodes[j].in[s];
                if (v < 0) continue;
                out->accum[2 * j + s] = touched[v];
                touched[v] = 1;
            }
    }
    size_t cap = chunk_elems / ALIGN_ELEMS * ALIGN_ELEMS;
    for (int i = 0; cap && i < ni; i++)
        if (iv[i].size > cap) {
            st = ct_error(CT_ERR_DEVICE_OOM, "src/nn/plan.c: one activation at batch %d needs %zu "
                          "bytes, more than one device buffer may hold (%zu); try a smaller batch "
                          "size", n, iv[i].size * 4, cap * 4);
            goto done;
        }
    out->elems = pack(iv, ni, order, cap);
    out->chunk_elems = cap;
    out->n_chunks = cap ? (int)((out->elems + cap - 1) / cap) : 1;
    if (out->n_chunks > CT_ARENA_CHUNKS) {
        st = ct_error(CT_ERR_DEVICE_OOM, "src/nn/plan.c: the activation arena at batch %d needs "
                      "%zu bytes, more than %d device buffers of %zu; try a smaller batch size", n,
                      out->elems * 4, CT_ARENA_CHUNKS, cap * 4);
        goto done;
    }
    plan_fusion(g, n, readers, out);
    out->batch = n;
    out->train = train;
done:
    free(start), free(end), free(gstart), free(gend), free(iv), free(order), free(touched);
    free(readers);
    if (st != CT_OK) ct_plan_free(out);
    return st;
}
