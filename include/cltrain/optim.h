/* Optimizers on the device (fastai semantics): SGD, Adam, RAdam, Lookahead and Ranger over one flat
 * parameter buffer, one fused kernel launch per parameter group per step. Never rebuilds a program
 * or writes a buffer from the host when lr/mom change: the hyperparameters are kernel arguments.
 *
 * Memory model. Parameters, gradients and each optimizer state live in ONE device buffer apiece,
 * flat float arrays over all n_params parameters (the state buffers have the same layout as the
 * parameters: element i of grad_avg belongs to parameter element i). A parameter group is a
 * contiguous range [off, off + n) of that layout with a weight-decay switch; fastai's default
 * (wd_bn_bias=False) is no weight decay on batchnorm parameters and biases, so lay the parameter
 * buffer out as [decayed weights ... | batchnorm params and biases ...] and pass two groups.
 * Elements outside every group are never touched.
 *
 * Example (one training step; the trainer owns params/grads, the optimizer owns its state):
 *
 *     ct_optim_cfg cfg;
 *     ct_optim_defaults(CT_OPT_RANGER, &cfg);             // mom .95 sqr .99 eps 1e-6 wd .01 k 6
 *     ct_optim_group groups[2] = {{0, n_decay, 1}, {n_decay, n_params - n_decay, 0}};
 *     ct_optim *opt;
 *     st = ct_optim_create(ctx, &cfg, CT_PTR(params, 0), CT_PTR(grads, 0), n_params,
 *                          groups, 2, &opt);
 *     for each batch:
 *         st = ct_optim_zero_grad(opt);                   // grads = 0 (one fill)
 *         ... forward, backward: grads += dL/dparams ...
 *         ct_sched_value(..., &lr, &mom);                 // mom = NAN when not scheduled
 *         st = ct_optim_step(opt, lr, mom);               // enqueues n_groups kernels, no wait
 *     ct_optim_free(opt);
 *
 * Checkpoints: ct_optim_state_at() lists the named state tensors (grad_avg, sqr_avg, slow) with
 * their buffers; save them with ct_buf_read and ct_optim_get_step(); to resume, create a fresh
 * optimizer, ct_buf_write each tensor back and ct_optim_set_step(): the next steps are bit-exact.
 */
#ifndef CLTRAIN_OPTIM_H
#define CLTRAIN_OPTIM_H

#include <stdint.h>

#include "cltrain/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CT_OPT_SGD = 0, /* momentum without dampening (only when cfg.mom != 0), fastai SGD */
    CT_OPT_ADAM,    /* dampened averages, eps outside the sqrt */
    CT_OPT_RADAM,   /* rectified Adam, strict r_t > 5 switch, optional softplus beta */
    CT_OPT_RANGER,  /* Lookahead(RAdam) with fastai's ranger defaults */
    CT_OPT_KIND_COUNT
} ct_optim_kind;

typedef struct {
    ct_optim_kind kind;
    float mom;       /* SGD momentum / Adam-type beta1; used when ct_optim_step gets mom = NAN */
    float sqr_mom;   /* beta2 (Adam, RAdam, Ranger) */
    float eps;       /* added outside the sqrt (Adam, RAdam, Ranger) */
    float wd;        /* weight decay for the groups whose wd switch is on */
    float beta;      /* RAdam/Ranger softplus of the denominator (SAdam); 0 = off */
    int decouple_wd; /* 1: p *= 1 - lr*wd before the update (default); 0: L2, g += wd*p in the
                        step (the gradient buffer itself is left unchanged) */
    int lookahead;   /* 1: wrap in Lookahead(la_k, la_alpha) (Ranger sets it; any kind may) */
    int la_k;        /* Lookahead sync period in steps (6) */
    float la_alpha;  /* Lookahead slow-weight step (0.5) */
} ct_optim_cfg;

/* fastai's factory defaults for `kind` (optimizer.py): SGD mom 0 wd 0; Adam mom .9 sqr .99
 * eps 1e-5 wd .01; RAdam mom .9 sqr .99 eps 1e-5 wd 0 beta 0; Ranger mom .95 sqr .99 eps 1e-6
 * wd .01 beta 0, lookahead k 6 alpha .5. decouple_wd 1 for all. Lookahead off except Ranger. */
void ct_optim_defaults(ct_optim_kind kind, ct_optim_cfg *cfg);

/* "sgd", "adam", "radam", "ranger" (case-insensitive). An unknown name is CT_ERR_INVALID_ARG
 * with a message that lists the valid names. */
CT_NODISCARD ct_status ct_optim_kind_parse(const char *name, ct_optim_kind *out);
const char *ct_optim_kind_name(ct_optim_kind kind); /* "ranger"; "?" when out of range */

/* The effective settings in one line ("ranger mom=0.95 sqr_mom=0.99 ..."), for run logs. */
void ct_optim_describe(const ct_optim_cfg *cfg, char *buf, size_t n);

typedef struct {
    size_t off, n; /* element range [off, off + n) of the flat parameter layout */
    int wd;        /* 1: apply cfg.wd; 0: no weight decay (batchnorm params, biases) */
} ct_optim_group;

typedef struct ct_optim ct_optim;

/* An optimizer over n_params floats at `params` (updated in place) with gradients at `grads`
 * (read only by the step; same layout). Groups must lie in [0, n_params) and not overlap; empty
 * groups are allowed and skipped. Allocates and zeroes the state buffers the kind needs (SGD with
 * mom 0: none; SGD with mom: grad_avg; Adam/RAdam: grad_avg, sqr_avg; Lookahead adds slow), and
 * fetches the kernel once. cfg is copied. */
CT_NODISCARD ct_status ct_optim_create(ct_ctx *ctx, const ct_optim_cfg *cfg, ct_ptr params,
                                       ct_ptr grads, size_t n_params, const ct_optim_group *groups,
                                       int n_groups, ct_optim **out);
void ct_optim_free(ct_optim *opt); /* NULL is fine; frees the state buffers */

/* One optimizer step with learning rate lr for every group and momentum / beta1 `mom`
 * (NAN: cfg.mom, i.e. mom not scheduled). Enqueues one kernel per non-empty group; does not
 * wait. The step counter t advances by one; Adam-type debias terms use the CURRENT mom:
 * debias1 = 1 - mom^t, debias2 = 1 - sqr_mom^t. SGD's momentum on/off is fixed at creation by
 * cfg.mom != 0 (as fastai fixes its stepper list); a scheduled mom then sets its value. */
CT_NODISCARD ct_status ct_optim_step(ct_optim *opt, float lr, float mom);
/* The same with one learning rate per group (lrs[n_groups]; fastai's lr slices). */
CT_NODISCARD ct_status ct_optim_step_lrs(ct_optim *opt, const float *lrs, float mom);

/* grads[0 .. n_params) = 0: one fill, enqueued without waiting. */
CT_NODISCARD ct_status ct_optim_zero_grad(ct_optim *opt);

/* fastai clear_state: zero every state tensor and the step counter; Lookahead's slow weights are
 * copied again from the parameters at the next step. */
CT_NODISCARD ct_status ct_optim_reset(ct_optim *opt);

/* ---- state for checkpoints ------------------------------------------------------------------- */

typedef struct {
    const char *name; /* "grad_avg", "sqr_avg" or "slow" (fastai's state names) */
    cl_mem mem;       /* owned by the optimizer; n floats at offset 0, parameter layout */
    size_t n;
} ct_optim_state;

int ct_optim_state_count(const ct_optim *opt);
/* State tensor i in [0, ct_optim_state_count) in the order grad_avg, sqr_avg, slow (those the
 * kind has). CT_ERR_INVALID_ARG when i is out of range. */
CT_NODISCARD ct_status ct_optim_state_at(const ct_optim *opt, int i, ct_optim_state *out);
/* The state tensor called `name`; CT_ERR_NOT_FOUND (message lists the ones there are) if none. */
CT_NODISCARD ct_status ct_optim_state_find(const ct_optim *opt, const char *name,
                                           ct_optim_state *out);

/* The step counter t: steps taken since creation or reset. It is fastai's per-parameter `step`
 * and, with Lookahead, also its `count` (all parameters step together, so one counter): the next
 * step is t + 1, Lookahead copies the slow weights when t == 0 and syncs when (t + 1) % k == 0.
 * Set it together with the state tensors when resuming. */
int64_t ct_optim_get_step(const ct_optim *opt);
CT_NODISCARD ct_status ct_optim_set_step(ct_optim *opt, int64_t step);

const ct_optim_cfg *ct_optim_config(const ct_optim *opt);
/* Kernel launches enqueued by steps so far (one per non-empty group per step): for tests and
 * benchmarks. */
uint64_t ct_optim_launches(const ct_optim *opt);

#ifdef __cplusplus
}
#endif
#endif
