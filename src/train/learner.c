/* The training loop: one function per stage (create, train batch, validate, fit), fastai's
 * position and smoothing rules. Never exits or handles signals; the CLI polls a flag for it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/checkpoint.h"
#include "learner_internal.h"

/* ---- device buffers of one batch ---------------------------------------------------------- */

/* Turn a device allocation failure into advice naming the batch size. */
static ct_status oom_advice(ct_status st, int bs, const char *what)
{
    if (st != CT_ERR_DEVICE_OOM && st != CL_MEM_OBJECT_ALLOCATION_FAILURE && st != CL_OUT_OF_RESOURCES)
        return st;
    char detail[512];
    snprintf(detail, sizeof detail, "%s", ct_last_error());
    return ct_error(CT_ERR_DEVICE_OOM, "%s with batch size %d does not fit in device memory (%s); "
                    "try a smaller one, e.g. --bs %d", what, bs, detail, bs > 1 ? bs / 2 : 1);
}

ct_status ct_batch_bufs_alloc(ct_batch_bufs *b, ct_ctx *ctx, int bs, int chans, int side)
{
    ct_status st;
    memset(b, 0, sizeof *b);
    b->ctx = ctx;
    b->chans = chans;
    b->side = side;
    size_t px = (size_t)bs * (size_t)chans * (size_t)side * (size_t)side;
    if ((st = ct_buf_alloc(ctx, px, &b->images)) != CT_OK) return st;
    if ((st = ct_buf_alloc(ctx, 4 * (size_t)bs, &b->labels)) != CT_OK) return st;
    if ((st = ct_buf_alloc(ctx, 4 * (size_t)bs, &b->loss)) != CT_OK) return st;
    if ((st = ct_buf_alloc(ctx, 4 * (size_t)bs, &b->correct)) != CT_OK) return st;
    b->h_loss = malloc(4 * (size_t)bs);
    b->h_correct = malloc(4 * (size_t)bs);
    if (!b->h_loss || !b->h_correct) return ct_error(CT_ERR_HOST_OOM, "learner.c: no memory for a batch");
    return CT_OK;
}

void ct_batch_bufs_free(ct_batch_bufs *b)
{
    if (!b->ctx) return;
    ct_buf_free(b->ctx, b->images);
    ct_buf_free(b->ctx, b->labels);
    ct_buf_free(b->ctx, b->loss);
    ct_buf_free(b->ctx, b->correct);
    free(b->h_loss), free(b->h_correct);
    memset(b, 0, sizeof *b);
}

ct_status ct_batch_bufs_upload(ct_batch_bufs *bb, ct_model *m, const ct_batch *b, const float *mean,
                               const float *std)
{
    ct_status st;
    size_t hw = (size_t)bb->side * (size_t)bb->side;
    if ((st = ct_model_set_batch(m, b->n)) != CT_OK) return st;
    if ((st = ct_buf_write(bb->ctx, bb->images, 0, (size_t)b->n * (size_t)bb->chans * hw, b->images)))
        return st;
    if ((st = ct_buf_write(bb->ctx, bb->labels, 0, 4 * (size_t)b->n, b->labels)) != CT_OK) return st;
    return ct_normalize_u8(bb->ctx, ct_model_input(m), bb->images, 0, b->n, bb->chans, (int)hw, mean,
                           std);
}

/* ---- evaluation --------------------------------------------------------------------------- */

ct_status ct_train_eval_split(ct_eval_ctx *e, int epoch, double *loss, double *acc, double *top5,
                              size_t *n_items)
{
    ct_status st;
    double lsum = 0;
    size_t n = 0, c1 = 0, c5 = 0;
    const ct_batch *b;
    if ((st = ct_loader_start(e->ld, CT_SPLIT_VALID, epoch, 0)) != CT_OK) return st;
    ct_batch_bufs *bb = e->bb;
    for (;;) {
        if ((st = ct_loader_next(e->ld, &b)) != CT_OK) return st;
        if (!b) break;
        if ((st = ct_batch_bufs_upload(bb, e->model, b, e->mean, e->std)) != CT_OK) return st;
        ct_ptr logits, lab = CT_PTR(bb->labels, 0);
        if ((st = ct_model_forward(e->model, 0, &logits)) != CT_OK) return st;
        st = ct_xent_forward(bb->ctx, CT_PTR(bb->loss, 0), logits, lab, b->n, e->n_classes,
                             e->label_smoothing);
        if (st != CT_OK) return st;
        st = ct_topk_correct(bb->ctx, CT_PTR(bb->correct, 0), logits, lab, b->n, e->n_classes);
        if (st != CT_OK) return st;
        if ((st = ct_buf_read(bb->ctx, bb->loss, 0, 4 * (size_t)b->n, bb->h_loss)) != CT_OK) return st;
        if ((st = ct_buf_read(bb->ctx, bb->correct, 0, 4 * (size_t)b->n, bb->h_correct)) != CT_OK)
            return st;
        for (int i = 0; i < b->n; i++) {
            lsum += bb->h_loss[i];
            c1 += (size_t)(bb->h_correct[i] & 1);
            c5 += (size_t)((bb->h_correct[i] >> 1) & 1);
        }
        n += (size_t)b->n;
    }
    if (n == 0) return ct_error(CT_ERR_INVALID_ARG, "learner.c: the validation split is empty");
    *loss = lsum / (double)n;
    *acc = (double)c1 / (double)n;
    *top5 = (double)c5 / (double)n;
    if (n_items) *n_items = n;
    return CT_OK;
}

ct_status ct_learner_validate(ct_learner *L, double *loss, double *acc, double *top5)
{
    ct_eval_ctx e = {L->model, L->ld, &L->bb, L->n_classes, L->info->mean, L->info->std,
                     L->cfg.label_smoothing};
    return ct_train_eval_split(&e, 0, loss, acc, top5, NULL);
}

/* ---- create ------------------------------------------------------------------------------- */

static ct_status open_data(const ct_train_cfg *c, ct_dataset **ds)
{
    ct_data_opts o = ct_data_opts_default();
    o.path = c->data[0] ? c->data : NULL;
    o.size = c->size;
    o.limit_train = c->limit_train;
    o.limit_valid = c->limit_valid;
    o.subset_seed = c->seed;
    o.small_aug = c->small_aug;
    o.presize = c->presize;
    o.strict = c->strict;
    o.labels_csv = c->labels_csv[0] ? c->labels_csv : NULL;
    o.label_col = c->label_col[0] ? c->label_col : NULL;
    return ct_data_open(ds, &o);
}

ct_status ct_train_make_spec(const ct_train_cfg *c, int chans, int n_out, int side,
                           ct_model_spec **spec)
{
    ct_model_opts o;
    ct_model_opts_default(&o);
    o.c_in = chans;
    o.n_out = n_out;
    o.size = side;
    o.act = c->act;
    o.sa = c->sa;
    o.pool = (ct_idpool)c->pool;
    o.p = c->dropout;
    o.seed = c->seed;
    return ct_model_spec_create(spec, c->arch, &o);
}

static ct_status grow_history(ct_learner *L, long need)
{
    if (need <= L->hist_cap) return CT_OK;
    long cap = L->hist_cap ? L->hist_cap : 1024;
    while (cap < need) cap *= 2;
    float *a = realloc(L->hist_lr, sizeof(float) * (size_t)cap);
    if (a) L->hist_lr = a;
    float *b = realloc(L->hist_mom, sizeof(float) * (size_t)cap);
    if (b) L->hist_mom = b;
    float *c = realloc(L->hist_loss, sizeof(float) * (size_t)cap);
    if (c) L->hist_loss = c;
    if (!a || !b || !c) return ct_error(CT_ERR_HOST_OOM, "learner.c: no memory for the history");
    L->hist_cap = cap;
    return CT_OK;
}

ct_status ct_learner_create(ct_learner **out, ct_ctx *ctx, const ct_train_cfg *cfg,
                            const char *out_dir)
{
    ct_status st;
    ct_model_spec *spec = NULL;
    *out = NULL;
    ct_learner *L = calloc(1, sizeof *L);
    if (!L) return ct_error(CT_ERR_HOST_OOM, "learner.c: no memory");
    L->ctx = ctx;
    L->cfg = *cfg;
    L->started = ct_train_now();
    if (out_dir) snprintf(L->out_dir, sizeof L->out_dir, "%s", out_dir);
    if (cfg->bs < 1 || cfg->epochs < 1 || !(cfg->lr > 0))
        CT_FAIL(CT_ERR_INVALID_ARG, "learner.c: need bs >= 1, epochs >= 1 and lr > 0 (got %d, %d, %g)",
                cfg->bs, cfg->epochs, cfg->lr);
    CT_TRY(open_data(cfg, &L->ds));
    L->info = ct_data_get_info(L->ds);
    L->n_classes = L->info->n_classes;
    L->chans = L->info->channels;
    L->side = L->info->size;
    size_t n_iter = ct_data_n_batches(L->ds, CT_SPLIT_TRAIN, cfg->bs);
    if (n_iter < 1)
        CT_FAIL(CT_ERR_INVALID_ARG, "learner.c: %zu training items make no full batch of %d",
                L->info->n_train, cfg->bs);
    CT_TRY(ct_sched_parse(cfg->sched, &L->sched));
    CT_TRY(ct_sched_plan(L->sched, cfg->epochs, (int)n_iter, &L->run));
    L->cfg.epochs = L->run.n_epoch;

    CT_TRY(ct_train_make_spec(&L->cfg, L->chans, L->n_classes, L->side, &spec));
    st = ct_model_create(&L->model, ctx, spec, cfg->bs, 1);
    if (st != CT_OK) {
        st = oom_advice(st, cfg->bs, "the model");
        goto fail;
    }
    int n_groups;
    const ct_param_group *pg = ct_model_groups(L->model, &n_groups);
    ct_optim_group og[4];
    for (int i = 0; i < n_groups && i < 4; i++) og[i] = (ct_optim_group){pg[i].offset, pg[i].count, pg[i].do_wd};
    CT_TRY(ct_optim_create(ctx, &L->cfg.opt, CT_PTR(ct_model_params(L->model), 0),
                           CT_PTR(ct_model_grads(L->model), 0), ct_model_param_count(L->model), og,
                           n_groups < 4 ? n_groups : 4, &L->opt));
    st = ct_batch_bufs_alloc(&L->bb, ctx, cfg->bs, L->chans, L->side);
    if (st != CT_OK) {
        st = oom_advice(st, cfg->bs, "the batch buffers");
        goto fail;
    }
    ct_loader_opts lo = {.batch_size = cfg->bs, .workers = cfg->workers, .prefetch = 0, .seed = cfg->seed};
    CT_TRY(ct_loader_create(&L->ld, L->ds, &lo));
    CT_TRY(grow_history(L, (long)L->run.n_batches));
    L->epochs = calloc((size_t)L->run.n_epoch, sizeof *L->epochs);
    if (!L->epochs) CT_FAIL(CT_ERR_HOST_OOM, "learner.c: no memory");
    ct_smooth_init(&L->smooth, 0.98);
    ct_model_spec_free(spec);
    *out = L;
    return CT_OK;
fail:
    ct_model_spec_free(spec);
    ct_learner_free(L);
    return st;
}

void ct_learner_free(ct_learner *L)
{
    if (!L) return;
    ct_loader_free(L->ld);
    ct_optim_free(L->opt);
    ct_model_free(L->model);
    ct_sched_free(L->sched);
    ct_data_free(L->ds);
    ct_batch_bufs_free(&L->bb);
    free(L->hist_lr), free(L->hist_mom), free(L->hist_loss);
    free(L->epochs);
    free(L);
}

const ct_train_cfg *ct_learner_cfg(const ct_learner *L) { return &L->cfg; }
const ct_data_info *ct_learner_data(const ct_learner *L) { return L->info; }
const ct_model *ct_learner_model(const ct_learner *L) { return L->model; }
const ct_sched_run *ct_learner_run(const ct_learner *L) { return &L->run; }

void ct_learner_position(const ct_learner *L, int *epoch, int *iter, long *step)
{
    if (epoch) *epoch = L->epoch;
    if (iter) *iter = L->iter;
    if (step) *step = L->step;
}

ct_status ct_learner_last_epoch(const ct_learner *L, ct_epoch_result *r)
{
    if (L->n_epochs_done == 0) return ct_error(CT_ERR_NOT_FOUND, "learner.c: no epoch finished yet");
    *r = L->epochs[L->n_epochs_done - 1];
    return CT_OK;
}

/* ---- one training batch ------------------------------------------------------------------- */

ct_status ct_train_step(ct_learner *L, int n, float lr, float mom, double *loss)
{
    ct_status st;
    ct_ptr logits, lab = CT_PTR(L->bb.labels, 0), dl = ct_model_dlogits(L->model);
    float eps = L->cfg.label_smoothing;
    if ((st = ct_optim_zero_grad(L->opt)) != CT_OK) return st;
    if ((st = ct_model_forward(L->model, 1, &logits)) != CT_OK) return st;
    if ((st = ct_xent_forward(L->ctx, CT_PTR(L->bb.loss, 0), logits, lab, n, L->n_classes, eps)))
        return st;
    if ((st = ct_xent_backward(L->ctx, dl, logits, lab, n, L->n_classes, eps)) != CT_OK) return st;
    if ((st = ct_model_backward(L->model, dl)) != CT_OK) return st;
    if ((st = ct_optim_step(L->opt, lr, mom)) != CT_OK) return st;
    if ((st = ct_buf_read(L->ctx, L->bb.loss, 0, 4 * (size_t)n, L->bb.h_loss)) != CT_OK) return st;
    double sum = 0;
    for (int i = 0; i < n; i++) sum += L->bb.h_loss[i];
    *loss = sum / n;
    return CT_OK;
}

/* Checkpoint into out_dir (nothing when there is none). */
static ct_status checkpoint(ct_learner *L, const ct_fit_hooks *h)
{
    if (!L->out_dir[0]) return CT_OK;
    ct_status st = ct_learner_save(L, L->out_dir);
    if (st == CT_OK) st = ct_train_write_outputs(L);
    if (st == CT_OK && h && h->on_checkpoint) h->on_checkpoint(h->user, L->out_dir);
    return st;
}

/* Validate, record and report the epoch that just finished training. */
static ct_status end_epoch(ct_learner *L, double t0, double train_seconds, long images,
                           const ct_fit_hooks *h)
{
    ct_epoch_result r = {.epoch = L->epoch};
    ct_status st = ct_learner_validate(L, &r.valid_loss, &r.accuracy, &r.top5);
    if (st != CT_OK) return st;
    if (!isfinite(r.valid_loss))
        return ct_error(CT_ERR_NONFINITE, "validation loss is %g after epoch %d (last batch %ld, lr "
                        "%g); stopped; the last good checkpoint (if any) is kept%s%s", r.valid_loss,
                        L->epoch, L->step - 1, L->step > 0 ? (double)L->hist_lr[L->step - 1] : 0.0,
                        L->out_dir[0] ? " in " : "", L->out_dir);
    long first = (long)L->epoch * L->run.n_iter;
    double s = 0;
    for (long i = first; i < L->step; i++) s += L->hist_loss[i];
    r.train_mean = L->step > first ? s / (double)(L->step - first) : NAN;
    r.train_loss = ct_smooth_value(&L->smooth);
    r.seconds = L->epoch_seconds + (ct_train_now() - t0);
    r.img_per_s = train_seconds > 0 ? (double)images / train_seconds : 0;
    L->epochs[L->n_epochs_done++] = r;
    L->epoch++;
    L->iter = 0;
    L->epoch_seconds = 0;
    if (h && h->on_epoch) h->on_epoch(h->user, &r);
    return CT_OK;
}

ct_status ct_learner_fit(ct_learner *L, volatile sig_atomic_t *stop, long stop_after,
                         const ct_fit_hooks *h)
{
    ct_status st = CT_OK;
    const ct_sched_run *run = &L->run;
    int mom_sched = ct_sched_mom_scheduled(L->sched), stopping = 0;
    while (L->epoch < run->n_epoch) {
        double t0 = ct_train_now(), t_train = 0;
        double before = L->epoch_seconds; /* time spent in this epoch before a resume */
        int iter0 = L->iter;
        if ((st = ct_loader_start(L->ld, CT_SPLIT_TRAIN, L->epoch, (size_t)L->iter)) != CT_OK)
            return st;
        while (L->iter < run->n_iter) {
            const ct_batch *b;
            if ((st = ct_loader_next(L->ld, &b)) != CT_OK) return st;
            if (!b) return ct_error(CT_ERR_FORMAT, "learner.c: the loader ended epoch %d after %d of "
                                    "%d batches", L->epoch, L->iter, run->n_iter);
            ct_sched_value v;
            ct_sched_batch(L->sched, run, L->epoch, L->iter, L->cfg.lr, &v);
            float lr = (float)v.lr, mom = mom_sched ? (float)v.mom : L->cfg.opt.mom;
            st = ct_batch_bufs_upload(&L->bb, L->model, b, L->info->mean, L->info->std);
            double loss = NAN;
            if (st == CT_OK) st = ct_train_step(L, b->n, lr, mom_sched ? mom : NAN, &loss);
            if (st != CT_OK) return oom_advice(st, L->cfg.bs, "a training step");
            if (!isfinite(loss))
                return ct_error(CT_ERR_NONFINITE, "loss is %g at epoch %d batch %d (step %ld) with "
                                "lr %g; stopped; the last good checkpoint (if any) is kept%s%s", loss,
                                L->epoch, L->iter, L->step, (double)lr,
                                L->out_dir[0] ? " in " : "", L->out_dir);
            L->hist_lr[L->step] = lr;
            L->hist_mom[L->step] = mom;
            L->hist_loss[L->step] = (float)loss;
            double sm = ct_smooth_add(&L->smooth, (float)loss);
            L->step++;
            L->iter++;
            t_train = ct_train_now() - t0;
            if (h && h->on_batch)
                h->on_batch(h->user, L->epoch, L->iter - 1, run->n_iter, (float)loss, sm, lr, mom,
                            t_train > 0 ? (double)(L->iter - iter0) * L->cfg.bs / t_train : 0);
            stopping = (stop && *stop) || (stop_after > 0 && L->step >= stop_after);
            if (stopping && L->iter < run->n_iter) {
                L->epoch_seconds = before + (ct_train_now() - t0);
                st = checkpoint(L, h);
                return st != CT_OK ? st : ct_error(CT_ERR_INTERRUPTED, "stopped at epoch %d batch "
                                                   "%d (step %ld)", L->epoch, L->iter, L->step);
            }
        }
        L->epoch_seconds = before;
        st = end_epoch(L, t0, t_train, (long)(L->iter - iter0) * L->cfg.bs, h);
        if (st != CT_OK) return st;
        st = checkpoint(L, h);
        if (st != CT_OK) return st;
        stopping = stopping || (stop && *stop);
        if (stopping && L->epoch < run->n_epoch)
            return ct_error(CT_ERR_INTERRUPTED, "stopped after epoch %d (step %ld)", L->epoch - 1,
                            L->step);
    }
    return CT_OK;
}
