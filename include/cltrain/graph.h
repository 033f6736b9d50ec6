/* The static graph: a model built once into a flat list of nodes over numbered values, its named
 * state tensors (parameters and buffers, PyTorch state-dict names), and the activation memory plan.
 * Host-only structures and planning; it never allocates device memory (models.h does that).
 *
 * Usage (what src/nn/xresnet.c does; users normally go through models.h):
 *
 *     ct_graph *g;
 *     CT_TRY(ct_graph_create(&g, 3, 128, 128));     // value 0: the input (N, 3, 128, 128)
 *     ct_graph_push(g, "0");                         // name stack: module path "0"
 *     ct_graph_push(g, "0");                         // "0.0"
 *     int w = ct_graph_param(g, "weight", 4, (int[]){32, 3, 3, 3}, 1, CT_INIT_KAIMING, 0, 27);
 *     ct_graph_pop(g);
 *     int x = ct_graph_conv(g, 0, w, -1, 32, 3, 2, 1, 1);   // (N, 32, 64, 64)
 *     ...
 *     ct_graph_set_output(g, logits);
 *     CT_TRY(ct_graph_finish(g));                    // sticky build error, offsets, groups
 *     ct_plan plan;
 *     CT_TRY(ct_graph_plan(g, 32, CT_PLAN_TRAIN, 0, &plan)); // train arena, batch 32, one buffer
 *
 * Time line used by the plan: forward of node j happens at time j, backward of node j at time
 * 2F-1-j (F nodes). A value lives from its producer until its last reader; in train mode readers
 * include the backward steps that need it (conv/linear/bn inputs, relu outputs, ...). Gradient
 * values live from the first backward that writes them to the backward of their producer.
 * Values and gradients share one arena; intervals that overlap never share bytes. */
#ifndef CLTRAIN_GRAPH_H
#define CLTRAIN_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "cltrain/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- state tensors: parameters and buffers --------------------------------------------------- */

typedef enum { CT_TENSOR_PARAM = 0, CT_TENSOR_BUFFER = 1 } ct_tensor_kind;
typedef enum { CT_DTYPE_F32 = 0, CT_DTYPE_I64 = 1 } ct_dtype;
typedef enum {
    CT_INIT_KAIMING = 0, /* normal(0, sqrt(2 / fan_in)) from the host RNG */
    CT_INIT_CONST = 1,   /* every element = init_value */
    CT_INIT_UNIT = 2,    /* normal(0, 1) then scaled to unit L2 norm (spectral-norm u, v) */
} ct_init_kind;

typedef struct {
    char name[96];        /* PyTorch state-dict name: "4.0.convpath.0.0.weight" */
    int ndim, shape[4];   /* PyTorch shape */
    size_t numel;
    ct_tensor_kind kind;  /* param: in the param (and grad) buffer; buffer: in the buffer region */
    ct_dtype dtype;       /* F32, or I64 for num_batches_tracked (held on the host, see models.h) */
    int do_wd;            /* params: 1 gets weight decay; 0 for batchnorm params and every bias */
    size_t offset;        /* elements into the param buffer (params) or buffer region (F32 buffers) */
    ct_init_kind init;
    float init_value;     /* CT_INIT_CONST */
    int fan_in;           /* CT_INIT_KAIMING: (c_in / groups) * k * k, or in_features */
} ct_state_tensor;

/* A contiguous range of the param buffer that the optimizer treats alike. */
typedef struct {
    size_t offset, count; /* elements */
    int do_wd;
} ct_param_group;

/* ---- values and nodes ------------------------------------------------------------------------ */

typedef struct {
    int c, h, w;    /* per sample: (N, c, h, w); linear/gap outputs are (N, c, 1, 1) */
    int per_sample; /* 1: N*c*h*w elements; 0: c*h*w elements (bn saved stats, sa w_sn) */
    int is_int;     /* int32 contents (maxpool argmax); 4 bytes like float */
    int train_only; /* saved only for backward: not planned in eval mode */
} ct_value;

typedef enum {
    CT_NODE_CONV,     /* in[0] -> out; param[0] weight, param[1] bias or -1 */
    CT_NODE_BN,       /* in[0] -> out; param gamma, beta; buf running mean, var; aux mean, rstd */
    CT_NODE_ACT,      /* in[0] -> out; act */
    CT_NODE_MAXPOOL,  /* in[0] -> out; aux[0] argmax */
    CT_NODE_AVGPOOL,  /* in[0] -> out */
    CT_NODE_GAP,      /* in[0] (N,C,H,W) -> out (N,C,1,1) */
    CT_NODE_LINEAR,   /* in[0] (N,IN,1,1) -> out (N,OUT,1,1); param weight, bias or -1 */
    CT_NODE_ADD,      /* in[0] + in[1] -> out */
    CT_NODE_CHSCALE,  /* in[0] x (N,C,H,W) * in[1] gate (N,C,1,1) -> out */
    CT_NODE_DROPOUT,  /* in[0] -> out; aux[0] mask; p */
    CT_NODE_SA,       /* SimpleSelfAttention: in[0] -> out; param gamma, weight_orig; buf u, v;
                         aux convx (N,C,HW), xxt (N,C,C), o (N,C,HW), w_sn + sigma (C*C+1); the
                         gradient slot of aux[3] holds d loss / d w_sn during backward */
} ct_node_kind;

typedef struct {
    ct_node_kind kind;
    char label[80];   /* module path of the node ("4.0.convpath.0"), "" for unnamed */
    int in[2];        /* value ids, -1 absent */
    int out;          /* value id */
    int aux[4];       /* saved values (bn mean/rstd, argmax, mask, sa), -1 absent */
    int param[2];     /* state tensor ids, -1 absent */
    int buf[2];       /* state tensor ids (bn running mean/var; sa u/v), -1 absent */
    int k, stride, pad, groups, ceil_mode; /* conv and pools */
    ct_act act;       /* CT_NODE_ACT */
    float p;          /* dropout probability */
} ct_node;

typedef struct ct_graph ct_graph;
struct ct_graph {
    ct_node *nodes;
    int n_nodes, cap_nodes;
    ct_value *vals;
    int n_vals, cap_vals;
    ct_state_tensor *state;
    int n_state, cap_state;
    int input, output;          /* value ids: 0 and the logits */
    size_t n_params, n_buffers; /* floats in the param buffer and the buffer region */
    ct_param_group groups[2];
    int n_groups;
    ct_status st;               /* sticky build error: the first failure, later calls no-ops */
    char scope[8][24];          /* the name stack */
    int depth;
};

/* An empty graph whose value 0 is the input (N, c_in, h, w). */
CT_NODISCARD ct_status ct_graph_create(ct_graph **out, int c_in, int h, int w);
void ct_graph_free(ct_graph *g);

/* Name stack: push a path component ("4", "convpath", ...); pop removes the last. */
void ct_graph_push(ct_graph *g, const char *fmt, ...) CT_PRINTF(2, 3);
void ct_graph_pop(ct_graph *g);

/* New state tensors named <scope>.<leaf>; return the tensor id (-1 after a build error). */
int ct_graph_param(ct_graph *g, const char *leaf, int ndim, const int *shape, int do_wd,
                   ct_init_kind init, float value, int fan_in);
int ct_graph_buffer(ct_graph *g, const char *leaf, int ndim, const int *shape, ct_dtype dtype,
                    ct_init_kind init, float value);

/* Node constructors: append a node labelled with the current scope; return the output value id
 * (-1 after a build error; the error sticks in g->st). Shapes are checked here. */
int ct_graph_conv(ct_graph *g, int x, int w, int bias, int c_out, int k, int stride, int pad,
                  int groups);
int ct_graph_bn(ct_graph *g, int x, int gamma, int beta, int run_mean, int run_var);
int ct_graph_act(ct_graph *g, int x, ct_act act);
int ct_graph_maxpool(ct_graph *g, int x, int k, int stride, int pad, int ceil_mode);
int ct_graph_avgpool(ct_graph *g, int x, int k, int stride, int pad, int ceil_mode);
int ct_graph_gap(ct_graph *g, int x);
int ct_graph_linear(ct_graph *g, int x, int w, int bias, int out_f);
int ct_graph_add(ct_graph *g, int a, int b);
int ct_graph_chscale(ct_graph *g, int x, int gate);
int ct_graph_dropout(ct_graph *g, int x, float p);
int ct_graph_sa(ct_graph *g, int x, int gamma, int w, int u, int v);
void ct_graph_set_output(ct_graph *g, int v);

/* Close the build: report the sticky error, assign param offsets (do_wd params first, then the
 * rest, each in build order: two groups) and buffer offsets. */
CT_NODISCARD ct_status ct_graph_finish(ct_graph *g);

/* Elements of value v at batch n. */
size_t ct_graph_value_numel(const ct_graph *g, int v, int n);
/* One line describing node i: "conv   4.0.convpath.0  (64,32,32) -> (64,32,32)  k3 s1 p1". */
void ct_graph_describe(const ct_graph *g, int i, char *buf, size_t n);
const char *ct_node_kind_name(ct_node_kind k);

/* ---- memory plan ----------------------------------------------------------------------------- */

enum { CT_ARENA_CHUNKS = 16 }; /* the arena may span this many device buffers */

typedef struct {
    int batch, train;
    /* offsets are in one virtual arena of n_chunks buffers of chunk_elems each (a device's max
     * allocation); no value straddles two: offset o lives in chunk o / chunk_elems */
    size_t chunk_elems;
    int n_chunks;
    size_t *off;          /* per value: element offset in the arena; SIZE_MAX when absent */
    size_t *goff;         /* per value: gradient offset (train only); SIZE_MAX when none */
    unsigned char *accum; /* per node, 2 slots: 1 when the backward of in[s] must use += */
    unsigned char *fuse;  /* per node: 1 when batchnorm node j runs fused with the ReLU of node
                             j+1 (src/nn/plan.c; CLTRAIN_FUSE=0 turns fusion off) */
    size_t elems;         /* arena size in 4-byte elements */
    size_t dlogits_off;   /* train: a planned slot for d loss / d logits (N, n_out) */
} ct_plan;

/* Plan the arena of graph g for batch n: mode 0 eval (reuse after last use), CT_PLAN_TRAIN (keep
 * what backward needs, plan gradients), | CT_PLAN_INPUT_GRAD (also d loss / d input, for tests).
 * chunk_elems: the most elements one device buffer may hold (0: unlimited, one chunk). */
enum { CT_PLAN_TRAIN = 1, CT_PLAN_INPUT_GRAD = 2 };
CT_NODISCARD ct_status ct_graph_plan(const ct_graph *g, int n, int mode, size_t chunk_elems,
                                     ct_plan *out);
void ct_plan_free(ct_plan *p);
/* Elements chunk k of plan p uses (0 beyond n_chunks). */
size_t ct_plan_chunk_elems(const ct_plan *p, int k);

/* ---- execution (src/nn/exec.c) --------------------------------------------------------------- */

/* Profiling hook: when fn is set, forward/backward call fn(user, node, backward) after enqueuing
 * each node's ops (a profiler finishes the queue there and reads a clock); a non-OK return stops
 * the pass with that status. fn NULL (the zeroed default): no calls. */
typedef struct {
    ct_status (*fn)(void *user, int node, int backward);
    void *user;
} ct_node_hook;

typedef struct {
    cl_mem arena[CT_ARENA_CHUNKS]; /* planned values and gradients, chunk by chunk */
    cl_mem params;  /* (n_params) float */
    cl_mem grads;   /* (n_params) float, same layout; NULL in eval-only models */
    cl_mem buffers; /* (n_buffers) float: running stats, spectral-norm vectors */
    ct_node_hook hook; /* profiling only; zeroed: none */
} ct_graph_mem;

/* The view of virtual arena offset off (from plan->off, goff, dlogits_off). */
ct_ptr ct_plan_at(const ct_plan *plan, const ct_graph_mem *mem, size_t off);

/* Forward over n <= plan->batch samples; train selects batchnorm batch statistics (updating the
 * running ones) and live dropout with mask stream (seed, step). Enqueues only. */
CT_NODISCARD ct_status ct_graph_forward(ct_ctx *ctx, const ct_graph *g, const ct_plan *plan,
                                        const ct_graph_mem *mem, int n, int train, uint64_t seed,
                                        uint64_t step);
/* Backward of the last train-mode forward, from dlogits (N, n_out); parameter gradients
 * accumulate into mem->grads. Enqueues only. */
CT_NODISCARD ct_status ct_graph_backward(ct_ctx *ctx, const ct_graph *g, const ct_plan *plan,
                                         const ct_graph_mem *mem, int n, ct_ptr dlogits);

#ifdef __cplusplus
}
#endif
#endif
