/* fastai's lr_find on a learner: an exponential lr sweep over num_it training batches with the
 * smoothed loss, stopping at divergence, then restoring weights, BN statistics and optimizer state.
 * Does not write files; the CLI plots and prints the suggestions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "learner_internal.h"

/* Host copies of everything a sweep changes. */
typedef struct {
    float *params, *buffers;
    float *opt[8];
    int n_opt;
    int64_t opt_step, tracked;
} saved_state;

static void saved_free(saved_state *s)
{
    free(s->params), free(s->buffers);
    for (int i = 0; i < s->n_opt; i++) free(s->opt[i]);
}

static ct_status save_state(ct_learner *L, saved_state *s)
{
    ct_status st;
    memset(s, 0, sizeof *s);
    s->params = malloc(4 * (ct_model_param_count(L->model) + 1));
    s->buffers = malloc(4 * (ct_model_buffer_count(L->model) + 1));
    if (!s->params || !s->buffers) return ct_error(CT_ERR_HOST_OOM, "lr_find.c: no memory");
    if ((st = ct_model_read_state(L->model, s->params, s->buffers)) != CT_OK) return st;
    s->tracked = ct_model_batches_tracked(L->model);
    s->opt_step = ct_optim_get_step(L->opt);
    int n = ct_optim_state_count(L->opt);
    for (int i = 0; i < n && i < 8; i++) {
        ct_optim_state o;
        if ((st = ct_optim_state_at(L->opt, i, &o)) != CT_OK) return st;
        if (!(s->opt[i] = malloc(4 * (o.n + 1)))) return ct_error(CT_ERR_HOST_OOM, "lr_find.c: no memory");
        s->n_opt = i + 1;
        if ((st = ct_buf_read(L->ctx, o.mem, 0, 4 * o.n, s->opt[i])) != CT_OK) return st;
    }
    return CT_OK;
}

static ct_status restore_state(ct_learner *L, const saved_state *s)
{
    ct_status st;
    if ((st = ct_model_write_state(L->model, s->params, s->buffers)) != CT_OK) return st;
    ct_model_set_batches_tracked(L->model, s->tracked);
    for (int i = 0; i < s->n_opt; i++) {
        ct_optim_state o;
        if ((st = ct_optim_state_at(L->opt, i, &o)) != CT_OK) return st;
        if ((st = ct_buf_write(L->ctx, o.mem, 0, 4 * o.n, s->opt[i])) != CT_OK) return st;
    }
    if ((st = ct_optim_set_step(L->opt, s->opt_step)) != CT_OK) return st;
    return ct_optim_zero_grad(L->opt);
}

void ct_lr_find_free(ct_lr_find_result *r)
{
    free(r->lrs), free(r->losses), free(r->raw);
    memset(r, 0, sizeof *r);
}

/* The sweep itself: batch i at lr = start (end/start)^(i/num_it). */
static ct_status sweep(ct_learner *L, double start, double end, int num_it, ct_lr_find_result *r)
{
    ct_status st;
    ct_anneal a = {.kind = CT_ANNEAL_EXP, .start = start, .end = end};
    ct_smooth sm;
    ct_smooth_init(&sm, 0.98);
    double best = INFINITY;
    int n_iter = L->run.n_iter, epoch = -1;
    for (int i = 0; i < num_it; i++) {
        if (i / n_iter != epoch) {
            epoch = i / n_iter;
            if ((st = ct_loader_start(L->ld, CT_SPLIT_TRAIN, epoch, 0)) != CT_OK) return st;
        }
        const ct_batch *b;
        if ((st = ct_loader_next(L->ld, &b)) != CT_OK) return st;
        if (!b) return ct_error(CT_ERR_FORMAT, "lr_find.c: the loader ended an epoch early");
        float lr = (float)ct_anneal_at(&a, (double)i / num_it);
        double loss = NAN;
        st = ct_batch_bufs_upload(&L->bb, L->model, b, L->info->mean, L->info->std);
        if (st == CT_OK) st = ct_train_step(L, b->n, lr, NAN, &loss);
        if (st != CT_OK) return st;
        double s = ct_smooth_add(&sm, (float)loss);
        r->lrs[i] = lr;
        r->losses[i] = s;
        r->raw[i] = loss;
        r->n = i + 1;
        if (s < best) best = s;
        if (s > 4 * best || isnan(s)) {
            r->diverged = 1;
            break;
        }
    }
    return CT_OK;
}

ct_status ct_learner_lr_find(ct_learner *L, double start, double end, int num_it,
                             ct_lr_find_result *r)
{
    ct_status st;
    saved_state s;
    memset(r, 0, sizeof *r);
    if (num_it < 6) num_it = 6; /* fastai's minimum */
    if (!(start > 0) || !(end > start))
        return ct_error(CT_ERR_INVALID_ARG, "lr_find.c: need 0 < start < end (got %g, %g)", start, end);
    r->lrs = calloc((size_t)num_it, sizeof(double));
    r->losses = calloc((size_t)num_it, sizeof(double));
    r->raw = calloc((size_t)num_it, sizeof(double));
    if (!r->lrs || !r->losses || !r->raw) {
        ct_lr_find_free(r);
        return ct_error(CT_ERR_HOST_OOM, "lr_find.c: no memory");
    }
    st = save_state(L, &s);
    if (st == CT_OK) {
        st = sweep(L, start, end, num_it, r);
        ct_status rs = restore_state(L, &s);
        if (st == CT_OK) st = rs;
    }
    saved_free(&s);
    if (st == CT_OK && ct_lr_suggest(r->lrs, r->losses, r->n, num_it, &r->sug) != CT_OK) {
        /* too few points for suggestions: keep the curve, leave them NAN */
        ct_error_clear();
    }
    return st;
}
