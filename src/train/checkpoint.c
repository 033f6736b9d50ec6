/* Checkpoints of a learner: model.safetensors (PyTorch state-dict names, loadable into fastai's
 * xresnet) and train_state.safetensors (optimizer state, position, history, config), save and
 * bit-exact resume; predictors (eval/predict) built from a model file. No training loop here. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cltrain/checkpoint.h"
#include "learner_internal.h"

#define MODEL_FILE "model.safetensors"
#define STATE_FILE "train_state.safetensors"

/* ---- model weights ------------------------------------------------------------------------- */

ct_status ct_train_save_model(ct_model *m, const char *path, const ct_st_meta *meta, int n_meta)
{
    ct_status st;
    size_t np = ct_model_param_count(m), nb = ct_model_buffer_count(m);
    int n = ct_model_tensor_count(m);
    float *p = malloc(4 * (np ? np : 1)), *b = malloc(4 * (nb ? nb : 1));
    ct_st_tensor *t = calloc((size_t)(n ? n : 1), sizeof *t);
    int64_t nbt = ct_model_batches_tracked(m);
    if (!p || !b || !t) CT_FAIL(CT_ERR_HOST_OOM, "checkpoint.c: no memory to save %s", path);
    CT_TRY(ct_model_read_state(m, p, b));
    for (int i = 0; i < n; i++) {
        const ct_state_tensor *s = ct_model_tensor(m, i);
        t[i].name = s->name;
        t[i].ndim = s->ndim;
        for (int d = 0; d < s->ndim; d++) t[i].shape[d] = s->shape[d];
        if (s->dtype == CT_DTYPE_I64) {
            t[i].dtype = CT_ST_I64;
            t[i].data = &nbt;
        } else {
            t[i].dtype = CT_ST_F32;
            t[i].data = (s->kind == CT_TENSOR_PARAM ? p : b) + s->offset;
        }
    }
    st = ct_st_write(path, t, n, meta, n_meta);
fail:
    free(p), free(b), free(t);
    return st;
}

ct_status ct_train_load_model(ct_model *m, const ct_st_file *f, const char *path)
{
    ct_status st;
    size_t np = ct_model_param_count(m), nb = ct_model_buffer_count(m);
    int n = ct_model_tensor_count(m), seen = 0;
    float *p = malloc(4 * (np ? np : 1)), *b = malloc(4 * (nb ? nb : 1));
    if (!p || !b) CT_FAIL(CT_ERR_HOST_OOM, "checkpoint.c: no memory to load %s", path);
    for (int i = 0; i < n; i++) {
        const ct_state_tensor *s = ct_model_tensor(m, i);
        const ct_st_tensor *t = ct_st_find(f, s->name);
        if (!t) CT_FAIL(CT_ERR_FORMAT, "%s: tensor '%s' of %s is missing (another architecture?)",
                        path, s->name, ct_model_spec_arch(ct_model_spec_of(m)));
        int ok = t->ndim == s->ndim && t->dtype == (s->dtype == CT_DTYPE_I64 ? CT_ST_I64 : CT_ST_F32);
        for (int d = 0; ok && d < s->ndim; d++) ok = t->shape[d] == s->shape[d];
        if (!ok) CT_FAIL(CT_ERR_FORMAT, "%s: tensor '%s' has another dtype or shape than the model's",
                         path, s->name);
        if (s->dtype == CT_DTYPE_I64)
            ct_model_set_batches_tracked(m, *(const int64_t *)t->data);
        else
            memcpy((s->kind == CT_TENSOR_PARAM ? p : b) + s->offset, t->data, 4 * s->numel);
        seen++;
    }
    if (seen != ct_st_count(f))
        CT_FAIL(CT_ERR_FORMAT, "%s: holds %d tensors, the model has %d (strict load)", path,
                ct_st_count(f), seen);
    st = ct_model_write_state(m, p, b);
fail:
    free(p), free(b);
    return st;
}

/* ---- dataset facts ------------------------------------------------------------------------- */

json_t *ct_train_data_to_json(const ct_data_info *info, const ct_dataset *ds)
{
    json_t *o = json_object(), *mean = json_array(), *std = json_array(), *cls = json_array();
    for (int c = 0; c < info->channels && c < 3; c++) {
        json_array_append_new(mean, json_real(info->mean[c]));
        json_array_append_new(std, json_real(info->std[c]));
    }
    for (int i = 0; i < info->n_classes; i++)
        json_array_append_new(cls, json_string(ct_data_class_name(ds, i)));
    json_object_set_new(o, "format", json_string(info->format_name));
    json_object_set_new(o, "n_classes", json_integer(info->n_classes));
    json_object_set_new(o, "channels", json_integer(info->channels));
    json_object_set_new(o, "size", json_integer(info->size));
    json_object_set_new(o, "small", json_integer(info->small));
    json_object_set_new(o, "mean", mean);
    json_object_set_new(o, "std", std);
    json_object_set_new(o, "classes", cls);
    return o;
}

/* ---- files and JSON helpers ---------------------------------------------------------------- */

/* mkdir -p */
static ct_status make_dirs(const char *dir)
{
    char buf[1024];
    size_t n = strlen(dir);
    if (n >= sizeof buf) return ct_error(CT_ERR_INVALID_ARG, "checkpoint.c: path too long: %s", dir);
    memcpy(buf, dir, n + 1);
    for (size_t i = 1; i <= n; i++)
        if (buf[i] == '/' || buf[i] == 0) {
            char c = buf[i];
            buf[i] = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return ct_error(CT_ERR_IO, "cannot create directory %s: %s", buf, strerror(errno));
            buf[i] = c;
        }
    return CT_OK;
}

static void join(char *out, size_t n, const char *dir, const char *file)
{
    snprintf(out, n, "%s/%s", dir, file);
}

/* A metadata value parsed as a JSON object; CT_ERR_FORMAT naming the file when absent or bad. */
static ct_status meta_json(const ct_st_file *f, const char *key, const char *path, json_t **out)
{
    const char *s = ct_st_meta_get(f, key);
    json_error_t e;
    *out = s ? json_loads(s, 0, &e) : NULL;
    if (!*out || !json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return ct_error(CT_ERR_FORMAT, "%s: metadata '%s' is %s (not a cltrain checkpoint?)", path,
                        key, s ? "not a JSON object" : "missing");
    }
    return CT_OK;
}

static char *dumps(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(j);
    return s;
}

/* ---- save ---------------------------------------------------------------------------------- */

json_t *ct_train_epoch_json(const ct_epoch_result *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "epoch", json_integer(r->epoch));
    json_object_set_new(o, "train_loss", json_real(r->train_loss));
    json_object_set_new(o, "train_mean", json_real(r->train_mean));
    json_object_set_new(o, "valid_loss", json_real(r->valid_loss));
    json_object_set_new(o, "accuracy", json_real(r->accuracy));
    json_object_set_new(o, "top5", json_real(r->top5));
    json_object_set_new(o, "seconds", json_real(r->seconds));
    json_object_set_new(o, "img_per_s", json_real(r->img_per_s));
    return o;
}

static json_t *state_json(ct_learner *L)
{
    json_t *o = json_object(), *ep = json_array();
    char canon[1024] = "";
    if (ct_sched_canonical(L->sched, canon, sizeof canon) != CT_OK) ct_error_clear();
    json_object_set_new(o, "epoch", json_integer(L->epoch));
    json_object_set_new(o, "iter", json_integer(L->iter));
    json_object_set_new(o, "step", json_integer(L->step));
    json_object_set_new(o, "n_iter", json_integer(L->run.n_iter));
    json_object_set_new(o, "opt_step", json_integer(ct_optim_get_step(L->opt)));
    json_object_set_new(o, "batches_tracked", json_integer(ct_model_batches_tracked(L->model)));
    json_object_set_new(o, "smooth_val", json_real(L->smooth.val));
    json_object_set_new(o, "smooth_count", json_integer(L->smooth.count));
    json_object_set_new(o, "epoch_seconds", json_real(L->epoch_seconds));
    json_object_set_new(o, "sched", json_string(canon));
    /* every random stream is counter-based: batches from (seed, epoch, batch), dropout masks from
     * (seed, batches_tracked); the seed is in the config */
    json_object_set_new(o, "rng", json_string("counter-based: data (seed, epoch, batch), dropout "
                                              "(seed, batches_tracked)"));
    for (int i = 0; i < L->n_epochs_done; i++) json_array_append_new(ep, ct_train_epoch_json(&L->epochs[i]));
    json_object_set_new(o, "epochs", ep);
    return o;
}

ct_status ct_learner_save(ct_learner *L, const char *dir)
{
    ct_status st;
    char path[1100], step[32];
    char *cfg = NULL, *data = NULL, *state = NULL;
    float **bufs = NULL;
    ct_st_tensor *t = NULL;
    int n_opt = ct_optim_state_count(L->opt);
    CT_TRY(make_dirs(dir));
    cfg = dumps(ct_train_cfg_to_json(&L->cfg));
    data = dumps(ct_train_data_to_json(L->info, L->ds));
    state = dumps(state_json(L));
    if (!cfg || !data || !state) CT_FAIL(CT_ERR_HOST_OOM, "checkpoint.c: no memory for metadata");
    snprintf(step, sizeof step, "%ld", L->step);

    /* train_state first: model.safetensors is the file that says "a checkpoint is here" */
    bufs = calloc((size_t)n_opt + 1, sizeof *bufs);
    t = calloc((size_t)n_opt + 3, sizeof *t);
    if (!bufs || !t) CT_FAIL(CT_ERR_HOST_OOM, "checkpoint.c: no memory");
    char names[8][64];
    for (int i = 0; i < n_opt && i < 8; i++) {
        ct_optim_state s;
        CT_TRY(ct_optim_state_at(L->opt, i, &s));
        bufs[i] = malloc(4 * (s.n ? s.n : 1));
        if (!bufs[i]) CT_FAIL(CT_ERR_HOST_OOM, "checkpoint.c: no memory for optimizer state");
        CT_TRY(ct_buf_read(L->ctx, s.mem, 0, 4 * s.n, bufs[i]));
        snprintf(names[i], sizeof names[i], "optim.%s", s.name);
        t[i] = (ct_st_tensor){names[i], CT_ST_F32, 1, {(int64_t)s.n}, bufs[i]};
    }
    int k = n_opt < 8 ? n_opt : 8;
    t[k++] = (ct_st_tensor){"hist.lr", CT_ST_F32, 1, {L->step}, L->hist_lr};
    t[k++] = (ct_st_tensor){"hist.mom", CT_ST_F32, 1, {L->step}, L->hist_mom};
    t[k++] = (ct_st_tensor){"hist.loss", CT_ST_F32, 1, {L->step}, L->hist_loss};
    ct_st_meta sm[] = {{"format", "cltrain-train-state"}, {"cltrain.step", step},
                       {"cltrain.config", cfg}, {"cltrain.state", state}};
    join(path, sizeof path, dir, STATE_FILE);
    CT_TRY(ct_st_write(path, t, k, sm, 4));

    ct_st_meta mm[] = {{"format", "pt"}, {"cltrain.arch", L->cfg.arch}, {"cltrain.step", step},
                       {"cltrain.config", cfg}, {"cltrain.data", data}};
    join(path, sizeof path, dir, MODEL_FILE);
    CT_TRY(ct_train_save_model(L->model, path, mm, 5));
fail:
    for (int i = 0; bufs && i < n_opt; i++) free(bufs[i]);
    free(bufs), free(t);
    free(cfg), free(data), free(state);
    return st;
}

/* ---- resume -------------------------------------------------------------------------------- */

static ct_status restore_history(ct_learner *L, const ct_st_file *f, const char *path)
{
    const char *names[3] = {"hist.lr", "hist.mom", "hist.loss"};
    float *dst[3] = {L->hist_lr, L->hist_mom, L->hist_loss};
    for (int i = 0; i < 3; i++) {
        const ct_st_tensor *t = ct_st_find(f, names[i]);
        if (!t || t->dtype != CT_ST_F32 || t->ndim != 1 || t->shape[0] != L->step ||
            L->step > L->hist_cap)
            return ct_error(CT_ERR_FORMAT, "%s: '%s' missing or not %ld floats", path, names[i],
                            L->step);
        memcpy(dst[i], t->data, 4 * (size_t)L->step);
    }
    return CT_OK;
}

static ct_status restore_optim(ct_learner *L, const ct_st_file *f, const char *path, int64_t step)
{
    ct_status st;
    for (int i = 0; i < ct_optim_state_count(L->opt); i++) {
        ct_optim_state s;
        char name[64];
        if ((st = ct_optim_state_at(L->opt, i, &s)) != CT_OK) return st;
        snprintf(name, sizeof name, "optim.%s", s.name);
        const ct_st_tensor *t = ct_st_find(f, name);
        if (!t || t->dtype != CT_ST_F32 || t->ndim != 1 || (size_t)t->shape[0] != s.n)
            return ct_error(CT_ERR_FORMAT, "%s: optimizer state '%s' missing or not %zu floats",
                            path, name, s.n);
        if ((st = ct_buf_write(L->ctx, s.mem, 0, 4 * s.n, t->data)) != CT_OK) return st;
    }
    return ct_optim_set_step(L->opt, step);
}

static ct_status restore_epochs(ct_learner *L, json_t *ep, const char *path)
{
    size_t i;
    json_t *o;
    if (!json_is_array(ep) || json_array_size(ep) > (size_t)L->run.n_epoch)
        return ct_error(CT_ERR_FORMAT, "%s: bad epoch list", path);
    json_array_foreach(ep, i, o)
    {
        ct_epoch_result *r = &L->epochs[i];
        r->epoch = (int)json_integer_value(json_object_get(o, "epoch"));
        r->train_loss = json_number_value(json_object_get(o, "train_loss"));
        r->train_mean = json_number_value(json_object_get(o, "train_mean"));
        r->valid_loss = json_number_value(json_object_get(o, "valid_loss"));
        r->accuracy = json_number_value(json_object_get(o, "accuracy"));
        r->top5 = json_number_value(json_object_get(o, "top5"));
        r->seconds = json_number_value(json_object_get(o, "seconds"));
        r->img_per_s = json_number_value(json_object_get(o, "img_per_s"));
    }
    L->n_epochs_done = (int)json_array_size(ep);
    return CT_OK;
}

static long long jint(json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

ct_status ct_learner_resume(ct_learner **out, ct_ctx *ctx, const char *dir, const char *out_dir,
                            int workers)
{
    ct_status st;
    char mpath[1100], spath[1100];
    ct_st_file *mf = NULL, *sf = NULL;
    json_t *cj = NULL, *sj = NULL;
    ct_learner *L = NULL;
    ct_train_cfg cfg;
    *out = NULL;
    join(mpath, sizeof mpath, dir, MODEL_FILE);
    join(spath, sizeof spath, dir, STATE_FILE);
    CT_TRY(ct_st_read(spath, &sf));
    CT_TRY(ct_st_read(mpath, &mf));
    const char *s1 = ct_st_meta_get(sf, "cltrain.step"), *s2 = ct_st_meta_get(mf, "cltrain.step");
    if (!s1 || !s2 || strcmp(s1, s2))
        CT_FAIL(CT_ERR_FORMAT, "%s and %s are from different steps (%s, %s): an interrupted save?",
                mpath, spath, s2 ? s2 : "?", s1 ? s1 : "?");
    CT_TRY(meta_json(sf, "cltrain.config", spath, &cj));
    CT_TRY(meta_json(sf, "cltrain.state", spath, &sj));
    CT_TRY(ct_train_cfg_from_json(cj, &cfg, spath));
    if (workers > 0) cfg.workers = workers;
    CT_TRY(ct_learner_create(&L, ctx, &cfg, out_dir ? out_dir : dir));
    if (jint(sj, "n_iter") != L->run.n_iter)
        CT_FAIL(CT_ERR_FORMAT, "%s: saved with %lld batches per epoch, the data now gives %d (dataset "
                "changed?)", spath, jint(sj, "n_iter"), L->run.n_iter);
    CT_TRY(ct_train_load_model(L->model, mf, mpath));
    L->epoch = (int)jint(sj, "epoch");
    L->iter = (int)jint(sj, "iter");
    L->step = (long)jint(sj, "step");
    if (L->step != (long)L->epoch * L->run.n_iter + L->iter || L->step > L->run.n_batches)
        CT_FAIL(CT_ERR_FORMAT, "%s: position epoch %d iter %d step %ld is inconsistent", spath,
                L->epoch, L->iter, L->step);
    ct_model_set_batches_tracked(L->model, (int64_t)jint(sj, "batches_tracked"));
    L->smooth.val = json_number_value(json_object_get(sj, "smooth_val"));
    L->smooth.count = (long)jint(sj, "smooth_count");
    L->epoch_seconds = json_number_value(json_object_get(sj, "epoch_seconds"));
    CT_TRY(restore_history(L, sf, spath));
    CT_TRY(restore_optim(L, sf, spath, (int64_t)jint(sj, "opt_step")));
    CT_TRY(restore_epochs(L, json_object_get(sj, "epochs"), spath));
    CT_TRY(ct_ctx_finish(ctx));
    *out = L;
    L = NULL;
fail:
    ct_learner_free(L);
    json_decref(cj), json_decref(sj);
    ct_st_free(mf), ct_st_free(sf);
    return st;
}

/* ---- predictors ---------------------------------------------------------------------------- */

struct ct_predictor {
    ct_ctx *ctx;
    ct_train_cfg cfg;
    ct_model *model;
    int n_classes, chans, side, small, batch;
    float mean[3], std[3];
    char **classes;
    ct_batch_bufs bb;
};

void ct_predictor_free(ct_predictor *p)
{
    if (!p) return;
    ct_model_free(p->model);
    for (int i = 0; p->classes && i < p->n_classes; i++) free(p->classes[i]);
    free(p->classes);
    ct_batch_bufs_free(&p->bb);
    free(p);
}

static ct_status read_data_json(ct_predictor *p, json_t *d, const char *path)
{
    p->n_classes = (int)jint(d, "n_classes");
    p->chans = (int)jint(d, "channels");
    p->side = (int)jint(d, "size");
    p->small = (int)jint(d, "small");
    json_t *mean = json_object_get(d, "mean"), *std = json_object_get(d, "std"),
           *cls = json_object_get(d, "classes");
    if (p->n_classes < 1 || p->chans < 1 || p->chans > 3 || p->side < 1 || !json_is_array(mean) ||
        !json_is_array(std) || json_array_size(mean) != (size_t)p->chans ||
        json_array_size(std) != (size_t)p->chans || !json_is_array(cls) ||
        json_array_size(cls) != (size_t)p->n_classes)
        return ct_error(CT_ERR_FORMAT, "%s: metadata 'cltrain.data' is incomplete", path);
    for (int c = 0; c < p->chans; c++) {
        p->mean[c] = (float)json_number_value(json_array_get(mean, (size_t)c));
        p->std[c] = (float)json_number_value(json_array_get(std, (size_t)c));
    }
    p->classes = calloc((size_t)p->n_classes, sizeof(char *));
    if (!p->classes) return ct_error(CT_ERR_HOST_OOM, "checkpoint.c: no memory");
    for (int i = 0; i < p->n_classes; i++) {
        const char *s = json_string_value(json_array_get(cls, (size_t)i));
        p->classes[i] = strdup(s ? s : "?");
        if (!p->classes[i]) return ct_error(CT_ERR_HOST_OOM, "checkpoint.c: no memory");
    }
    return CT_OK;
}

ct_status ct_predictor_open(ct_predictor **out, ct_ctx *ctx, const char *checkpoint, int batch)
{
    ct_status st;
    char path[1100];
    struct stat sb;
    ct_st_file *f = NULL;
    json_t *cj = NULL, *dj = NULL;
    ct_model_spec *spec = NULL;
    *out = NULL;
    ct_predictor *p = calloc(1, sizeof *p);
    if (!p) return ct_error(CT_ERR_HOST_OOM, "checkpoint.c: no memory");
    p->ctx = ctx;
    p->batch = batch;
    if (stat(checkpoint, &sb) == 0 && S_ISDIR(sb.st_mode))
        join(path, sizeof path, checkpoint, MODEL_FILE);
    else
        snprintf(path, sizeof path, "%s", checkpoint);
    CT_TRY(ct_st_read(path, &f));
    CT_TRY(meta_json(f, "cltrain.config", path, &cj));
    CT_TRY(meta_json(f, "cltrain.data", path, &dj));
    CT_TRY(ct_train_cfg_from_json(cj, &p->cfg, path));
    CT_TRY(read_data_json(p, dj, path));
    if (p->batch <= 0) p->batch = p->cfg.bs;
    batch = p->batch;
    CT_TRY(ct_train_make_spec(&p->cfg, p->chans, p->n_classes, p->side, &spec));
    CT_TRY(ct_model_create(&p->model, ctx, spec, batch, 0));
    CT_TRY(ct_train_load_model(p->model, f, path));
    CT_TRY(ct_batch_bufs_alloc(&p->bb, ctx, batch, p->chans, p->side));
    *out = p;
    p = NULL;
fail:
    ct_model_spec_free(spec);
    json_decref(cj), json_decref(dj);
    ct_st_free(f);
    ct_predictor_free(p);
    return st;
}

const ct_train_cfg *ct_predictor_cfg(const ct_predictor *p) { return &p->cfg; }
int ct_predictor_classes(const ct_predictor *p) { return p->n_classes; }
const char *ct_predictor_class_name(const ct_predictor *p, int i)
{
    return i >= 0 && i < p->n_classes ? p->classes[i] : "?";
}

ct_status ct_predictor_eval(ct_predictor *p, const char *data_path, double *loss, double *acc,
                            double *top5, size_t *n_items)
{
    ct_status st;
    ct_dataset *ds = NULL;
    ct_loader *ld = NULL;
    ct_data_opts o = ct_data_opts_default();
    o.path = data_path && *data_path ? data_path : (p->cfg.data[0] ? p->cfg.data : NULL);
    o.size = p->side;
    o.channels = p->chans;
    o.limit_train = p->cfg.limit_train;
    o.limit_valid = p->cfg.limit_valid;
    o.subset_seed = p->cfg.seed;
    o.presize = p->cfg.presize;
    o.labels_csv = p->cfg.labels_csv[0] ? p->cfg.labels_csv : NULL;
    o.label_col = p->cfg.label_col[0] ? p->cfg.label_col : NULL;
    CT_TRY(ct_data_open(&ds, &o));
    const ct_data_info *info = ct_data_get_info(ds);
    if (info->n_classes != p->n_classes)
        CT_FAIL(CT_ERR_INVALID_ARG, "%s has %d classes, the checkpoint's model %d", info->path,
                info->n_classes, p->n_classes);
    ct_loader_opts lo = {.batch_size = p->batch, .workers = p->cfg.workers, .seed = p->cfg.seed};
    CT_TRY(ct_loader_create(&ld, ds, &lo));
    ct_eval_ctx e = {p->model, ld, &p->bb, p->n_classes, p->mean, p->std, p->cfg.label_smoothing};
    st = ct_train_eval_split(&e, 0, loss, acc, top5, n_items);
fail:
    ct_loader_free(ld);
    ct_data_free(ds);
    return st;
}

ct_status ct_predictor_image(ct_predictor *p, const char *path, float *probs)
{
    ct_status st;
    size_t hw = (size_t)p->side * (size_t)p->side;
    uint8_t *img = malloc((size_t)p->chans * hw);
    float *logits = malloc(4 * (size_t)p->n_classes);
    if (!img || !logits) CT_FAIL(CT_ERR_HOST_OOM, "checkpoint.c: no memory");
    CT_TRY(ct_image_load(path, p->chans, p->side, !p->small, img));
    CT_TRY(ct_model_set_batch(p->model, 1));
    CT_TRY(ct_buf_write(p->ctx, p->bb.images, 0, (size_t)p->chans * hw, img));
    CT_TRY(ct_normalize_u8(p->ctx, ct_model_input(p->model), p->bb.images, 0, 1, p->chans, (int)hw,
                           p->mean, p->std));
    ct_ptr lg;
    CT_TRY(ct_model_forward(p->model, 0, &lg));
    CT_TRY(ct_buf_read(p->ctx, lg.mem, 4 * lg.off, 4 * (size_t)p->n_classes, logits));
    double mx = -INFINITY, sum = 0;
    for (int i = 0; i < p->n_classes; i++) mx = logits[i] > mx ? logits[i] : mx;
    for (int i = 0; i < p->n_classes; i++) sum += exp(logits[i] - mx);
    for (int i = 0; i < p->n_classes; i++) probs[i] = (float)(exp(logits[i] - mx) / sum);
fail:
    free(img), free(logits);
    return st;
}
