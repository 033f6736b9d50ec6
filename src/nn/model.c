/* Models: the host-only spec (graph, names, counts) and the device model that owns one param
 * buffer, one grad buffer, one buffer region and the planned arena. No clFinish on the step path;
 * only init and host state copies block. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"

struct ct_model_spec {
    char arch[32];
    ct_model_opts opts;
    ct_graph *g;
};

struct ct_model {
    ct_ctx *ctx;
    ct_model_spec *spec;
    int capacity, batch, train_ok;
    ct_plan plan_train, plan_eval;
    ct_graph_mem mem;
    int64_t tracked;  /* num_batches_tracked of every BN: train-mode forwards so far */
    int last_train;   /* 1 when the last forward was train mode (backward allowed) */
};

void ct_model_opts_default(ct_model_opts *o)
{
    memset(o, 0, sizeof *o);
    o->c_in = 3;
    o->n_out = 10;
    o->size = 128;
    o->act = CT_ACT_RELU;
    o->pool = CT_IDPOOL_AVG;
}

/* ---- host RNG -------------------------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void ct_nn_rng_seed(ct_nn_rng *r, uint64_t seed)
{
    r->s = seed;
    r->has_spare = 0;
}

double ct_nn_rng_normal(ct_nn_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u1 = ((splitmix64(&r->s) >> 11) + 0.5) * 0x1.0p-53; /* (0, 1) */
    double u2 = (splitmix64(&r->s) >> 11) * 0x1.0p-53;
    double rad = sqrt(-2.0 * log(u1)), th = 6.283185307179586 * u2;
    r->spare = rad * sin(th);
    r->has_spare = 1;
    return rad * cos(th);
}

void ct_nn_init_host(const ct_graph *g, uint64_t seed, float *params, float *buffers)
{
    ct_nn_rng r;
    ct_nn_rng_seed(&r, seed);
    for (int i = 0; i < g->n_state; i++) {
        const ct_state_tensor *t = &g->state[i];
        if (t->dtype != CT_DTYPE_F32) continue;
        float *x = (t->kind == CT_TENSOR_PARAM ? params : buffers) + t->offset;
        if (t->init == CT_INIT_CONST) {
            for (size_t k = 0; k < t->numel; k++) x[k] = t->init_value;
        } else if (t->init == CT_INIT_KAIMING) {
            double std = sqrt(2.0 / (t->fan_in > 0 ? t->fan_in : 1));
            for (size_t k = 0; k < t->numel; k++) x[k] = (float)(std * ct_nn_rng_normal(&r));
        } else { /* unit vector */
            double ss = 0;
            for (size_t k = 0; k < t->numel; k++) {
                x[k] = (float)ct_nn_rng_normal(&r);
                ss += (double)x[k] * x[k];
            }
            double inv = ss > 0 ? 1.0 / sqrt(ss) : 0;
            for (size_t k = 0; k < t->numel; k++) x[k] = (float)(x[k] * inv);
        }
    }
}

/* ---- spec ------------------------------------------------------------------------------------ */

ct_status ct_model_spec_create(ct_model_spec **out, const char *arch, const ct_model_opts *o)
{
    *out = NULL;
    ct_model_opts def;
    if (!o) ct_model_opts_default(&def), o = &def;
    if (!arch || strlen(arch) >= sizeof((ct_model_spec *)0)->arch)
        return ct_error(CT_ERR_INVALID_ARG, "src/nn/model.c: architecture name missing or too long");
    ct_model_spec *s = calloc(1, sizeof *s);
    if (!s) return ct_error(CT_ERR_HOST_OOM, "src/nn/model.c: out of host memory");
    strcpy(s->arch, arch);
    s->opts = *o;
    ct_status st = ct_nn_build(arch, o, &s->g);
    if (st != CT_OK) {
        free(s);
        return st;
    }
    *out = s;
    return CT_OK;
}

void ct_model_spec_free(ct_model_spec *s)
{
    if (!s) return;
    ct_graph_free(s->g);
    free(s);
}

const ct_graph *ct_model_spec_graph(const ct_model_spec *s) { return s->g; }
const char *ct_model_spec_arch(const ct_model_spec *s) { return s->arch; }
const ct_model_opts *ct_model_spec_opts(const ct_model_spec *s) { return &s->opts; }
size_t ct_model_spec_param_count(const ct_model_spec *s) { return s->g->n_params; }
int ct_model_spec_tensor_count(const ct_model_spec *s) { return s->g->n_state; }

const ct_state_tensor *ct_model_spec_tensor(const ct_model_spec *s, int i)
{
    return i >= 0 && i < s->g->n_state ? &s->g->state[i] : NULL;
}

ct_status ct_model_spec_arena_bytes(const ct_model_spec *s, int n, int train, size_t *bytes)
{
    ct_plan p;
    ct_status st = ct_graph_plan(s->g, n, train ? CT_PLAN_TRAIN : 0, 0, &p);
    *bytes = st == CT_OK ? p.elems * 4 : 0;
    ct_plan_free(&p);
    return st;
}

/* ---- device model ---------------------------------------------------------------------------- */

ct_status ct_model_create(ct_model **out, ct_ctx *ctx, const ct_model_spec *spec, int batch,
                          int train)
{
    *out = NULL;
    ct_status st = CT_OK;
    if (batch <= 0) return ct_error(CT_ERR_INVALID_ARG, "src/nn/model.c: batch size %d", batch);
    ct_model *m = calloc(1, sizeof *m);
    if (!m) return ct_error(CT_ERR_HOST_OOM, "src/nn/model.c: out of host memory");
    m->ctx = ctx;
    m->capacity = m->batch = batch;
    m->train_ok = train != 0;
    CT_TRY(ct_model_spec_create(&m->spec, spec->arch, &spec->opts));
    const ct_graph *g = m->spec->g;
    size_t chunk = spec->opts.arena_chunk_bytes ? spec->opts.arena_chunk_bytes
                                                : (size_t)ct_ctx_info(ctx)->max_alloc;
    CT_TRY(ct_graph_plan(g, batch, 0, chunk / 4, &m->plan_eval));
    if (train) CT_TRY(ct_graph_plan(g, batch, CT_PLAN_TRAIN, chunk / 4, &m->plan_train));
    /* both plans share the chunks: each as large as the larger use */
    for (int k = 0; k < m->plan_eval.n_chunks || k < m->plan_train.n_chunks; k++) {
        size_t e = ct_plan_chunk_elems(&m->plan_eval, k), t = ct_plan_chunk_elems(&m->plan_train, k);
        size_t bytes = (e > t ? e : t) * 4;
        st = ct_buf_alloc(ctx, bytes, &m->mem.arena[k]);
        if (st != CT_OK) {
            char why[256];
            snprintf(why, sizeof why, "%s", ct_last_error());
            CT_FAIL(st, "%s: the activation arena of %s at batch size %d needs %zu bytes in all "
                    "(buffer %d: %zu); try a smaller batch size", why, spec->arch, batch,
                    ct_model_arena_bytes(m, train), k, bytes);
        }
    }
    CT_TRY(ct_buf_alloc(ctx, g->n_params * 4, &m->mem.params));
    if (train) CT_TRY(ct_buf_alloc(ctx, g->n_params * 4, &m->mem.grads));
    CT_TRY(ct_buf_alloc(ctx, (g->n_buffers ? g->n_buffers : 1) * 4, &m->mem.buffers));
    CT_TRY(ct_model_init(m, spec->opts.seed));
    *out = m;
    return CT_OK;
fail:
    ct_model_free(m);
    return st;
}

void ct_model_free(ct_model *m)
{
    if (!m) return;
    for (int k = 0; k < CT_ARENA_CHUNKS; k++) ct_buf_free(m->ctx, m->mem.arena[k]);
    ct_buf_free(m->ctx, m->mem.params);
    ct_buf_free(m->ctx, m->mem.grads);
    ct_buf_free(m->ctx, m->mem.buffers);
    ct_plan_free(&m->plan_train);
    ct_plan_free(&m->plan_eval);
    ct_model_spec_free(m->spec);
    free(m);
}

ct_status ct_model_init(ct_model *m, uint64_t seed)
{
    const ct_graph *g = m->spec->g;
    float *p = malloc((g->n_params + 1) * 4), *b = malloc((g->n_buffers + 1) * 4);
    ct_status st = CT_OK;
    if (!p || !b) {
        st = ct_error(CT_ERR_HOST_OOM, "src/nn/model.c: out of host memory for %zu params",
                      g->n_params);
    } else {
        ct_nn_init_host(g, seed, p, b);
        st = ct_model_write_state(m, p, b);
    }
    m->tracked = 0;
    m->last_train = 0;
    free(p);
    free(b);
    return st;
}

const ct_model_spec *ct_model_spec_of(const ct_model *m) { return m->spec; }
int ct_model_batch(const ct_model *m) { return m->batch; }
int ct_model_capacity(const ct_model *m) { return m->capacity; }

ct_status ct_model_set_batch(ct_model *m, int n)
{
    if (n <= 0 || n > m->capacity)
        return ct_error(CT_ERR_INVALID_ARG, "src/nn/model.c: batch %d outside 1..%d (the size the "
                        "model was created for)", n, m->capacity);
    m->batch = n;
    m->last_train = 0;
    return CT_OK;
}

/* The plan forward uses: the input and logits sit at different offsets in the two plans. */
static const ct_plan *active_plan(const ct_model *m, int train)
{
    return train ? &m->plan_train : &m->plan_eval;
}

ct_ptr ct_model_input(const ct_model *m)
{
    return ct_plan_at(&m->plan_eval, &m->mem, m->plan_eval.off[m->spec->g->input]); /* 0 in both */
}

ct_status ct_model_forward(ct_model *m, int train, ct_ptr *logits)
{
    const ct_graph *g = m->spec->g;
    if (train && !m->train_ok)
        return ct_error(CT_ERR_INVALID_ARG, "src/nn/model.c: train-mode forward on a model "
                        "created eval-only");
    const ct_plan *p = active_plan(m, train);
    for (int i = 0; train && i < g->n_nodes; i++) {
        const ct_value *v = &g->vals[g->nodes[i].in[0]];
        if (g->nodes[i].kind == CT_NODE_BN && (size_t)m->batch * v->h * v->w < 2)
            return ct_error(CT_ERR_INVALID_ARG, "src/nn/model.c: batchnorm %s sees one value per "
                            "channel at batch %d (%dx%d); training needs a larger batch or input",
                            g->nodes[i].label, m->batch, v->h, v->w);
    }
    uint64_t step = (uint64_t)m->tracked;
    ct_status st = ct_graph_forward(m->ctx, g, p, &m->mem, m->batch, train, m->spec->opts.seed,
                                    step);
    if (st != CT_OK) return st;
    if (train) m->tracked++;
    m->last_train = train;
    *logits = ct_plan_at(p, &m->mem, p->off[g->output]);
    return CT_OK;
}

ct_ptr ct_model_dlogits(const ct_model *m)
{
    return m->train_ok ? ct_plan_at(&m->plan_train, &m->mem, m->plan_train.dlogits_off)
                       : CT_PTR_NULL;
}

ct_status ct_model_backward(ct_model *m, ct_ptr dlogits)
{
    if (!m->last_train)
        return ct_error(CT_ERR_INVALID_ARG, "src/nn/model.c: backward needs a train-mode forward "
                        "just before it");
    return ct_graph_backward(m->ctx, m->spec->g, &m->plan_train, &m->mem, m->batch, dlogits);
}

void ct_model_set_node_hook(ct_model *m, ct_node_hook hook) { m->mem.hook = hook; }
cl_mem ct_model_params(const ct_model *m) { return m->mem.params; }
cl_mem ct_model_grads(const ct_model *m) { return m->mem.grads; }
cl_mem ct_model_buffers(const ct_model *m) { return m->mem.buffers; }
size_t ct_model_param_count(const ct_model *m) { return m->spec->g->n_params; }
size_t ct_model_buffer_count(const ct_model *m) { return m->spec->g->n_buffers; }

const ct_param_group *ct_model_groups(const ct_model *m, int *n)
{
    *n = m->spec->g->n_groups;
    return m->spec->g->groups;
}

int ct_model_tensor_count(const ct_model *m) { return m->spec->g->n_state; }
const ct_state_tensor *ct_model_tensor(const ct_model *m, int i)
{
    return ct_model_spec_tensor(m->spec, i);
}
int64_t ct_model_batches_tracked(const ct_model *m) { return m->tracked; }
void ct_model_set_batches_tracked(ct_model *m, int64_t v) { m->tracked = v; }

size_t ct_model_arena_bytes(const ct_model *m, int train)
{
    if (train && !m->train_ok) return 0;
    return active_plan(m, train)->elems * 4;
}

ct_status ct_model_read_state(ct_model *m, float *params, float *buffers)
{
    const ct_graph *g = m->spec->g;
    ct_status st = CT_OK;
    if (params) st = ct_buf_read(m->ctx, m->mem.params, 0, g->n_params * 4, params);
    if (st == CT_OK && buffers && g->n_buffers)
        st = ct_buf_read(m->ctx, m->mem.buffers, 0, g->n_buffers * 4, buffers);
    return st;
}

ct_status ct_model_write_state(ct_model *m, const float *params, const float *buffers)
{
    const ct_graph *g = m->spec->g;
    ct_status st = CT_OK;
    if (params) st = ct_buf_write(m->ctx, m->mem.params, 0, g->n_params * 4, params);
    if (st == CT_OK && buffers && g->n_buffers)
        st = ct_buf_write(m->ctx, m->mem.buffers, 0, g->n_buffers * 4, buffers);
    m->last_train = 0;
    return st;
}
