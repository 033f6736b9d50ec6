/* fastai's xresnet family as cltrain models: a host-only spec (structure, names, parameter count;
 * no device needed) and a device model (one param buffer, one grad buffer, one buffer region, a
 * planned activation arena) with forward/backward for the trainer. Never calls clFinish.
 *
 * One training step (the trainer's view):
 *
 *     ct_model_opts o;
 *     ct_model_opts_default(&o);
 *     o.c_in = 1; o.n_out = 10; o.size = 28; o.act = CT_ACT_MISH;
 *     ct_model_spec *spec;
 *     CT_TRY(ct_model_spec_create(&spec, "xresnet18", &o));
 *     printf("%zu parameters\n", ct_model_spec_param_count(spec));
 *     ct_model *m;
 *     CT_TRY(ct_model_create(&m, ctx, spec, 64, 1));       // batch capacity 64, train-capable
 *     ct_model_spec_free(spec);                             // the model keeps its own copy
 *     ct_ptr x = ct_model_input(m);                         // (N, 1, 28, 28) float
 *     CT_TRY(ct_normalize_u8(ctx, x, batch_u8, 0, 64, 1, 28 * 28, mean, std));
 *     CT_TRY(ct_buf_zero(ctx, ct_model_grads(m), 0, 4 * ct_model_param_count(m)));
 *     ct_ptr logits;                                        // (N, n_out) float
 *     CT_TRY(ct_model_forward(m, 1, &logits));
 *     ct_ptr dl = ct_model_dlogits(m);                      // (N, n_out), planned in the arena
 *     CT_TRY(ct_xent_backward(ctx, dl, logits, labels, 64, 10, 0.1f));
 *     CT_TRY(ct_model_backward(m, dl));                     // grads += d loss / d params
 *     // optimizer: one launch per ct_model_groups() entry over ct_model_params()/grads()
 *
 * State dict: ct_model_tensor(m, i) for i < ct_model_tensor_count(m) walks every tensor in
 * PyTorch state_dict() order; F32 params live at .offset in ct_model_params(), F32 buffers at
 * .offset in ct_model_buffers(); every BN's num_batches_tracked (I64) equals
 * ct_model_batches_tracked(m) (the count of train-mode forwards, also the dropout step). */
#ifndef CLTRAIN_MODELS_H
#define CLTRAIN_MODELS_H

#include <stddef.h>
#include <stdint.h>

#include "cltrain/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { CT_IDPOOL_AVG = 0, CT_IDPOOL_MAX = 1 } ct_idpool;

typedef struct {
    int c_in;       /* input channels (1 for Fashion-MNIST); default 3 */
    int n_out;      /* classes; default 10 */
    int size;       /* input H = W in pixels; default 128 */
    ct_act act;     /* CT_ACT_RELU (default) or CT_ACT_MISH */
    int sa;         /* fastai SimpleSelfAttention in the last block of stage len(layers)-4 */
    ct_idpool pool; /* identity-path pool: AvgPool2d(2, ceil_mode=True) or MaxPool2d(2) */
    float p;        /* head dropout; 0 (default): no dropout node */
    uint64_t seed;  /* init RNG seed (kaiming normal) and dropout mask stream; default 0 */
    /* fastai XResNet constructor knobs (0 = the arch's own): blocks per stage, widen (stage widths
     * int(w * widen)), stem_szs; small values give tiny nets with the same module names */
    int layers[4];
    float widen;
    int stem[3];
    /* largest single device buffer for the activation arena (0: the device's max allocation);
     * bigger arenas are split into several buffers */
    size_t arena_chunk_bytes;
} ct_model_opts;

void ct_model_opts_default(ct_model_opts *o);

/* Architecture names: xresnet18 34 50 101 152, xresnext50, xse_resnext18 34 50 101,
 * xse_resnet18 34 50. NULL-terminated. */
const char *const *ct_model_archs(void);

/* ---- host-only spec -------------------------------------------------------------------------- */

typedef struct ct_model_spec ct_model_spec;

/* Build the structure of `arch` (no device). Unknown arch: CT_ERR_NOT_FOUND listing the names. */
CT_NODISCARD ct_status ct_model_spec_create(ct_model_spec **out, const char *arch,
                                            const ct_model_opts *o);
void ct_model_spec_free(ct_model_spec *s);
const ct_graph *ct_model_spec_graph(const ct_model_spec *s);
const char *ct_model_spec_arch(const ct_model_spec *s);
const ct_model_opts *ct_model_spec_opts(const ct_model_spec *s);
size_t ct_model_spec_param_count(const ct_model_spec *s);
int ct_model_spec_tensor_count(const ct_model_spec *s);
const ct_state_tensor *ct_model_spec_tensor(const ct_model_spec *s, int i);
/* Planned arena bytes for batch n in train or eval mode (host computation). */
CT_NODISCARD ct_status ct_model_spec_arena_bytes(const ct_model_spec *s, int n, int train,
                                                 size_t *bytes);

/* ---- device model ---------------------------------------------------------------------------- */

typedef struct ct_model ct_model;

/* Allocate params (initialised from opts.seed: kaiming normal on conv/linear weights, biases 0,
 * BN weight 1 and 0 for the last BN of each residual branch, running mean 0 / var 1), buffers, and
 * the arena for batch capacity `batch`. train 0: eval-only (no grads, smaller arena). The model
 * copies what it needs from spec. */
CT_NODISCARD ct_status ct_model_create(ct_model **out, ct_ctx *ctx, const ct_model_spec *spec,
                                       int batch, int train);
void ct_model_free(ct_model *m);
/* Re-initialise params and buffers from seed (as create does); batches_tracked = 0. Blocking. */
CT_NODISCARD ct_status ct_model_init(ct_model *m, uint64_t seed);

const ct_model_spec *ct_model_spec_of(const ct_model *m);
/* Samples per forward: at most the capacity given to create (a smaller last batch). */
CT_NODISCARD ct_status ct_model_set_batch(ct_model *m, int n);
int ct_model_batch(const ct_model *m);
int ct_model_capacity(const ct_model *m);

ct_ptr ct_model_input(const ct_model *m);   /* (N, c_in, size, size) float: write the batch here */
CT_NODISCARD ct_status ct_model_forward(ct_model *m, int train, ct_ptr *logits); /* (N, n_out) */
ct_ptr ct_model_dlogits(const ct_model *m); /* (N, n_out) slot for d loss / d logits (train) */
/* After a train-mode forward: gradients of the parameters += from dlogits (any ct_ptr). */
CT_NODISCARD ct_status ct_model_backward(ct_model *m, ct_ptr dlogits);

cl_mem ct_model_params(const ct_model *m);  /* (ct_model_param_count) float */
cl_mem ct_model_grads(const ct_model *m);   /* same layout; NULL for eval-only models */
cl_mem ct_model_buffers(const ct_model *m); /* (ct_model_buffer_count) float */
size_t ct_model_param_count(const ct_model *m);
size_t ct_model_buffer_count(const ct_model *m);
/* Optimizer groups: contiguous param ranges; do_wd 0 for batchnorm params and all biases. */
const ct_param_group *ct_model_groups(const ct_model *m, int *n);
int ct_model_tensor_count(const ct_model *m);
const ct_state_tensor *ct_model_tensor(const ct_model *m, int i);
int64_t ct_model_batches_tracked(const ct_model *m);
void ct_model_set_batches_tracked(ct_model *m, int64_t v);
size_t ct_model_arena_bytes(const ct_model *m, int train); /* planned; 0 if train unsupported */
/* Profiling: call hook.fn after each node of every later forward/backward (graph.h); {0}: off. */
void ct_model_set_node_hook(ct_model *m, ct_node_hook hook);

/* Host copies of all params (param_count floats) and buffers (buffer_count floats); either
 * pointer may be NULL. Blocking (for checkpoints). */
CT_NODISCARD ct_status ct_model_read_state(ct_model *m, float *params, float *buffers);
CT_NODISCARD ct_status ct_model_write_state(ct_model *m, const float *params,
                                            const float *buffers);

#ifdef __cplusplus
}
#endif
#endif
