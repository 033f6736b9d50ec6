/* Building the static graph: values with shapes, named state tensors from a name stack, nodes with
 * shape checks, parameter offsets and groups, one-line node descriptions. Host only: no device. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/graph.h"

/* Grow *arr (elements of size sz) so that index n fits. */
static int grow(void **arr, int *cap, int n, size_t sz)
{
    if (n < *cap) return 0;
    int nc = *cap ? *cap * 2 : 64;
    void *p = realloc(*arr, (size_t)nc * sz);
    if (!p) return -1;
    *arr = p;
    *cap = nc;
    return 0;
}

static int fail(ct_graph *g, ct_status st, const char *what)
{
    if (g->st == CT_OK) g->st = ct_error(st, "src/nn/graph.c: %s", what);
    return -1;
}

static int new_value(ct_graph *g, int c, int h, int w, int per_sample, int is_int, int train_only)
{
    if (g->st != CT_OK) return -1;
    if (c <= 0 || h <= 0 || w <= 0) return fail(g, CT_ERR_INVALID_ARG, "a layer output is empty "
                                                "(input size too small for the network?)");
    if (grow((void **)&g->vals, &g->cap_vals, g->n_vals, sizeof *g->vals))
        return fail(g, CT_ERR_HOST_OOM, "out of host memory for values");
    g->vals[g->n_vals] = (ct_value){c, h, w, per_sample, is_int, train_only};
    return g->n_vals++;
}

ct_status ct_graph_create(ct_graph **out, int c_in, int h, int w)
{
    *out = NULL;
    if (c_in <= 0 || h <= 0 || w <= 0)
        return ct_error(CT_ERR_INVALID_ARG, "src/nn/graph.c: input shape (%d, %d, %d) is empty",
                        c_in, h, w);
    ct_graph *g = calloc(1, sizeof *g);
    if (!g) return ct_error(CT_ERR_HOST_OOM, "src/nn/graph.c: out of host memory");
    g->input = new_value(g, c_in, h, w, 1, 0, 0);
    g->output = -1;
    if (g->st != CT_OK) {
        ct_status st = g->st;
        ct_graph_free(g);
        return st;
    }
    *out = g;
    return CT_OK;
}

void ct_graph_free(ct_graph *g)
{
    if (!g) return;
    free(g->nodes);
    free(g->vals);
    free(g->state);
    free(g);
}

void ct_graph_push(ct_graph *g, const char *fmt, ...)
{
    if (g->depth >= (int)(sizeof g->scope / sizeof g->scope[0])) {
        fail(g, CT_ERR_OVERFLOW, "name stack too deep");
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->scope[g->depth], sizeof g->scope[0], fmt, ap);
    va_end(ap);
    g->depth++;
}

void ct_graph_pop(ct_graph *g)
{
    if (g->depth > 0) g->depth--;
}

/* The current scope joined by '.', then ".leaf" when leaf is given. */
static void scoped_name(const ct_graph *g, const char *leaf, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < g->depth; i++)
        len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s%s", i ? "." : "", g->scope[i]);
    if (leaf) snprintf(buf + len, len < n ? n - len : 0, "%s%s", g->depth ? "." : "", leaf);
}

static int new_state(ct_graph *g, const char *leaf, int ndim, const int *shape, ct_tensor_kind kind,
                     ct_dtype dtype)
{
    if (g->st != CT_OK) return -1;
    if (ndim < 0 || ndim > 4) return fail(g, CT_ERR_INVALID_ARG, "a state tensor has ndim > 4");
    if (grow((void **)&g->state, &g->cap_state, g->n_state, sizeof *g->state))
        return fail(g, CT_ERR_HOST_OOM, "out of host memory for state tensors");
    ct_state_tensor *t = &g->state[g->n_state];
    memset(t, 0, sizeof *t);
    scoped_name(g, leaf, t->name, sizeof t->name);
    t->ndim = ndim;
    t->numel = 1;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = shape[i];
        t->numel *= (size_t)shape[i];
    }
    t->kind = kind;
    t->dtype = dtype;
    return g->n_state++;
}

int ct_graph_param(ct_graph *g, const char *leaf, int ndim, const int *shape, int do_wd,
                   ct_init_kind init, float value, int fan_in)
{
    int id = new_state(g, leaf, ndim, shape, CT_TENSOR_PARAM, CT_DTYPE_F32);
    if (id < 0) return id;
    ct_state_tensor *t = &g->state[id];
    t->do_wd = do_wd;
    t->init = init;
    t->init_value = value;
    t->fan_in = fan_in;
    return id;
}

int ct_graph_buffer(ct_graph *g, const char *leaf, int ndim, const int *shape, ct_dtype dtype,
                    ct_init_kind init, float value)
{
    int id = new_state(g, leaf, ndim, shape, CT_TENSOR_BUFFER, dtype);
    if (id < 0) return id;
    g->state[id].init = init;
    g->state[id].init_value = value;
    return id;
}

/* Append a node of `kind` reading x (and y), labelled with the scope; returns its index. */
static ct_node *new_node(ct_graph *g, ct_node_kind kind, int x, int y)
{
    if (g->st != CT_OK) return NULL;
    if (x < 0 || x >= g->n_vals || y >= g->n_vals) {
        fail(g, CT_ERR_INVALID_ARG, "a node reads a value that does not exist");
        return NULL;
    }
    if (grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes, sizeof *g->nodes)) {
        fail(g, CT_ERR_HOST_OOM, "out of host memory for nodes");
        return NULL;
    }
    ct_node *nd = &g->nodes[g->n_nodes++];
    memset(nd, 0, sizeof *nd);
    nd->kind = kind;
    scoped_name(g, NULL, nd->label, sizeof nd->label);
    nd->in[0] = x;
    nd->in[1] = y;
    nd->out = nd->aux[0] = nd->aux[1] = nd->aux[2] = nd->aux[3] = -1;
    nd->param[0] = nd->param[1] = nd->buf[0] = nd->buf[1] = -1;
    return nd;
}

/* The node's output value (c, h, w) per sample; sets nd->out. */
static int node_out(ct_graph *g, ct_node *nd, int c, int h, int w)
{
    int v = new_value(g, c, h, w, 1, 0, 0);
    if (v >= 0) nd->out = v;
    return v;
}

static int check_param(ct_graph *g, int id, size_t numel, const char *what)
{
    if (g->st != CT_OK) return -1;
    if (id < 0 || id >= g->n_state || g->state[id].kind != CT_TENSOR_PARAM ||
        g->state[id].numel != numel) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s: parameter %d missing or of the wrong size (%zu wanted)",
                 what, id, numel);
        return fail(g, CT_ERR_INVALID_ARG, msg);
    }
    return 0;
}

int ct_graph_conv(ct_graph *g, int x, int w, int bias, int c_out, int k, int stride, int pad,
                  int groups)
{
    ct_node *nd = new_node(g, CT_NODE_CONV, x, -1);
    if (!nd) return -1;
    ct_value in = g->vals[x];
    if (groups <= 0 || in.c % groups || c_out % groups)
        return fail(g, CT_ERR_INVALID_ARG, "conv: channels not divisible by groups");
    if (check_param(g, w, (size_t)c_out * (in.c / groups) * k * k, "conv weight") ||
        (bias >= 0 && check_param(g, bias, (size_t)c_out, "conv bias")))
        return -1;
    nd->param[0] = w;
    nd->param[1] = bias;
    nd->k = k, nd->stride = stride, nd->pad = pad, nd->groups = groups;
    int oh = (in.h + 2 * pad - k) / stride + 1, ow = (in.w + 2 * pad - k) / stride + 1;
    return node_out(g, nd, c_out, oh, ow);
}

int ct_graph_bn(ct_graph *g, int x, int gamma, int beta, int run_mean, int run_var)
{
    ct_node *nd = new_node(g, CT_NODE_BN, x, -1);
    if (!nd) return -1;
    ct_value in = g->vals[x];
    if (check_param(g, gamma, (size_t)in.c, "bn weight") ||
        check_param(g, beta, (size_t)in.c, "bn bias"))
        return -1;
    nd->param[0] = gamma, nd->param[1] = beta;
    nd->buf[0] = run_mean, nd->buf[1] = run_var;
    int i = (int)(nd - g->nodes);
    int m = new_value(g, in.c, 1, 1, 0, 0, 1), r = new_value(g, in.c, 1, 1, 0, 0, 1);
    if (m < 0 || r < 0) return -1;
    g->nodes[i].aux[0] = m, g->nodes[i].aux[1] = r;
    return node_out(g, &g->nodes[i], in.c, in.h, in.w);
}

int ct_graph_act(ct_graph *g, int x, ct_act act)
{
    ct_node *nd = new_node(g, CT_NODE_ACT, x, -1);
    if (!nd) return -1;
    nd->act = act;
    ct_value in = g->vals[x];
    return node_out(g, nd, in.c, in.h, in.w);
}

/* PyTorch's pooled size: with ceil_mode the last window must start inside input + left pad. */
static int pool_len(int len, int k, int s, int pad, int ceil_mode)
{
    int num = len + 2 * pad - k;
    int o = (ceil_mode ? (num + s - 1) / s : num / s) + 1;
    if (ceil_mode && (o - 1) * s >= len + pad) o--;
    return o;
}

static int pool_node(ct_graph *g, ct_node_kind kind, int x, int k, int stride, int pad,
                     int ceil_mode)
{
    ct_node *nd = new_node(g, kind, x, -1);
    if (!nd) return -1;
    nd->k = k, nd->stride = stride, nd->pad = pad, nd->ceil_mode = ceil_mode;
    int i = (int)(nd - g->nodes);
    ct_value in = g->vals[x];
    int oh = pool_len(in.h, k, stride, pad, ceil_mode), ow = pool_len(in.w, k, stride, pad, ceil_mode);
    int v = node_out(g, nd, in.c, oh, ow);
    if (v >= 0 && kind == CT_NODE_MAXPOOL) {
        int a = new_value(g, in.c, oh, ow, 1, 1, 0);
        if (a < 0) return -1;
        g->nodes[i].aux[0] = a;
    }
    return v;
}

int ct_graph_maxpool(ct_graph *g, int x, int k, int stride, int pad, int ceil_mode)
{
    return pool_node(g, CT_NODE_MAXPOOL, x, k, stride, pad, ceil_mode);
}

int ct_graph_avgpool(ct_graph *g, int x, int k, int stride, int pad, int ceil_mode)
{
    return pool_node(g, CT_NODE_AVGPOOL, x, k, stride, pad, ceil_mode);
}

int ct_graph_gap(ct_graph *g, int x)
{
    ct_node *nd = new_node(g, CT_NODE_GAP, x, -1);
    if (!nd) return -1;
    return node_out(g, nd, g->vals[x].c, 1, 1);
}

int ct_graph_linear(ct_graph *g, int x, int w, int bias, int out_f)
{
    ct_node *nd = new_node(g, CT_NODE_LINEAR, x, -1);
    if (!nd) return -1;
    ct_value in = g->vals[x];
    size_t in_f = (size_t)in.c * in.h * in.w;
    if (check_param(g, w, (size_t)out_f * in_f, "linear weight") ||
        (bias >= 0 && check_param(g, bias, (size_t)out_f, "linear bias")))
        return -1;
    nd->param[0] = w, nd->param[1] = bias;
    return node_out(g, nd, out_f, 1, 1);
}

static int same_shape(const ct_value *a, const ct_value *b)
{
    return a->c == b->c && a->h == b->h && a->w == b->w;
}

int ct_graph_add(ct_graph *g, int a, int b)
{
    ct_node *nd = new_node(g, CT_NODE_ADD, a, b);
    if (!nd) return -1;
    if (b < 0 || !same_shape(&g->vals[a], &g->vals[b]))
        return fail(g, CT_ERR_INVALID_ARG, "add: operand shapes differ");
    ct_value in = g->vals[a];
    return node_out(g, nd, in.c, in.h, in.w);
}

int ct_graph_chscale(ct_graph *g, int x, int gate)
{
    ct_node *nd = new_node(g, CT_NODE_CHSCALE, x, gate);
    if (!nd) return -1;
    ct_value in = g->vals[x];
    if (gate < 0 || g->vals[gate].c != in.c || g->vals[gate].h != 1 || g->vals[gate].w != 1)
        return fail(g, CT_ERR_INVALID_ARG, "chscale: gate is not (N, C, 1, 1)");
    return node_out(g, nd, in.c, in.h, in.w);
}

int ct_graph_dropout(ct_graph *g, int x, float p)
{
    ct_node *nd = new_node(g, CT_NODE_DROPOUT, x, -1);
    if (!nd) return -1;
    nd->p = p;
    int i = (int)(nd - g->nodes);
    ct_value in = g->vals[x];
    int v = node_out(g, nd, in.c, in.h, in.w);
    int mk = new_value(g, in.c, in.h, in.w, 1, 0, 0);
    if (v < 0 || mk < 0) return -1;
    g->nodes[i].aux[0] = mk;
    return v;
}

int ct_graph_sa(ct_graph *g, int x, int gamma, int w, int u, int v)
{
    ct_node *nd = new_node(g, CT_NODE_SA, x, -1);
    if (!nd) return -1;
    ct_value in = g->vals[x];
    if (check_param(g, gamma, 1, "sa gamma") ||
        check_param(g, w, (size_t)in.c * in.c, "sa conv weight"))
        return -1;
    nd->param[0] = gamma, nd->param[1] = w;
    nd->buf[0] = u, nd->buf[1] = v;
    int i = (int)(nd - g->nodes);
    int a0 = new_value(g, in.c, in.h, in.w, 1, 0, 0), a1 = new_value(g, in.c, in.c, 1, 1, 0, 0);
    int a2 = new_value(g, in.c, in.h, in.w, 1, 0, 0), a3 = new_value(g, in.c * in.c + 1, 1, 1, 0, 0, 0);
    if (a0 < 0 || a1 < 0 || a2 < 0 || a3 < 0) return -1;
    ct_node *sa = &g->nodes[i];
    sa->aux[0] = a0, sa->aux[1] = a1, sa->aux[2] = a2, sa->aux[3] = a3;
    return node_out(g, sa, in.c, in.h, in.w);
}

void ct_graph_set_output(ct_graph *g, int v)
{
    if (g->st == CT_OK && (v < 0 || v >= g->n_vals)) fail(g, CT_ERR_INVALID_ARG, "bad output");
    g->output = v;
}

ct_status ct_graph_finish(ct_graph *g)
{
    if (g->st != CT_OK) return g->st;
    if (g->output < 0) return fail(g, CT_ERR_INVALID_ARG, "no output set"), g->st;
    /* params: do_wd ones first, then the rest, each in build (state-dict) order */
    size_t off = 0;
    g->n_groups = 0;
    for (int pass = 0; pass < 2; pass++) {
        int want = pass == 0;
        size_t start = off;
        for (int i = 0; i < g->n_state; i++) {
            ct_state_tensor *t = &g->state[i];
            if (t->kind != CT_TENSOR_PARAM || t->do_wd != want) continue;
            t->offset = off;
            off += t->numel;
        }
        if (off > start) g->groups[g->n_groups++] = (ct_param_group){start, off - start, want};
    }
    g->n_params = off;
    off = 0;
    for (int i = 0; i < g->n_state; i++) {
        ct_state_tensor *t = &g->state[i];
        if (t->kind != CT_TENSOR_BUFFER || t->dtype != CT_DTYPE_F32) continue;
        t->offset = off;
        off += t->numel;
    }
    g->n_buffers = off;
    return CT_OK;
}

size_t ct_graph_value_numel(const ct_graph *g, int v, int n)
{
    const ct_value *x = &g->vals[v];
    size_t per = (size_t)x->c * x->h * x->w;
    return x->per_sample ? per * (size_t)n : per;
}

const char *ct_node_kind_name(ct_node_kind k)
{
    static const char *names[] = {"conv", "bn", "act", "maxpool", "avgpool", "gap",
                                  "linear", "add", "chscale", "dropout", "sa"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

static const char *act_name(ct_act a)
{
    switch (a) {
    case CT_ACT_RELU: return "relu";
    case CT_ACT_MISH: return "mish";
    case CT_ACT_SIGMOID: return "sigmoid";
    default: return "none";
    }
}

void ct_graph_describe(const ct_graph *g, int i, char *buf, size_t n)
{
    const ct_node *nd = &g->nodes[i];
    const ct_value *a = &g->vals[nd->in[0]], *o = &g->vals[nd->out];
    char extra[64] = "";
    switch (nd->kind) {
    case CT_NODE_CONV:
        snprintf(extra, sizeof extra, "k%d s%d p%d%s%.0d%s", nd->k, nd->stride, nd->pad,
                 nd->groups > 1 ? " g" : "", nd->groups > 1 ? nd->groups : 0,
                 nd->param[1] >= 0 ? " +bias" : "");
        break;
    case CT_NODE_MAXPOOL:
    case CT_NODE_AVGPOOL:
        snprintf(extra, sizeof extra, "k%d s%d p%d%s", nd->k, nd->stride, nd->pad,
                 nd->ceil_mode ? " ceil" : "");
        break;
    case CT_NODE_ACT: snprintf(extra, sizeof extra, "%s", act_name(nd->act)); break;
    case CT_NODE_DROPOUT: snprintf(extra, sizeof extra, "p=%g", nd->p); break;
    case CT_NODE_ADD:
    case CT_NODE_CHSCALE: snprintf(extra, sizeof extra, "with v%d", nd->in[1]); break;
    default: break;
    }
    snprintf(buf, n, "%-7s %-26s v%-3d (%d,%d,%d) -> v%-3d (%d,%d,%d)  %s",
             ct_node_kind_name(nd->kind), nd->label[0] ? nd->label : "-", nd->in[0], a->c, a->h,
             a->w, nd->out, o->c, o->h, o->w, extra);
}
