/* The graph on the device: central finite differences of sum(logits * r) against backward, with
 * train-mode batchnorm throughout, for tiny fastai nets (layers 1,1,1,1, widen 0.25, stem 8,8,64 at
 * 32 px, batch 4): xse_resnet18 (SE, SA + spectral norm, Mish, dropout, avg idpath) and
 * xresnext50 (bottleneck, 32 groups, SA, MaxPool2d idpath); the gradient rule (= for activations,
 * += for params, checked with a NaN-poisoned arena); the model API on xresnet18 (train vs eval,
 * arena sizes, state round trip, seeded init, batch sizes). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/models.h"
#include "util.h"

enum { B = 4, NOUT = 5 };

typedef struct {
    ct_ctx *ctx;
    const ct_graph *g;
    ct_plan plan;
    ct_graph_mem mem;
    cl_mem dl;               /* (B, NOUT) r = d loss / d logits */
    float *params, *buffers; /* host copies written before every forward */
    float *x, *r;            /* input (B, C, S, S), r (B, NOUT) */
    size_t nx;
} fd_net;

/* Random but well-conditioned values for every state tensor (BN weights away from 0 so the
 * BatchZero branches carry gradient; SA gamma non-zero so attention matters). */
static void fill_state(const ct_graph *g, t_rng *rng, float *params, float *buffers)
{
    for (int i = 0; i < g->n_state; i++) {
        const ct_state_tensor *t = &g->state[i];
        if (t->dtype != CT_DTYPE_F32) continue;
        float *x = (t->kind == CT_TENSOR_PARAM ? params : buffers) + t->offset;
        const char *leaf = strrchr(t->name, '.') + 1;
        if (t->kind == CT_TENSOR_BUFFER) {
            int unit = !strcmp(leaf, "weight_u") || !strcmp(leaf, "weight_v");
            double ss = 0;
            for (size_t k = 0; k < t->numel; k++) {
                x[k] = unit ? (float)t_normal(rng) : !strcmp(leaf, "running_var") ? 1.0f : 0.0f;
                ss += (double)x[k] * x[k];
            }
            for (size_t k = 0; unit && k < t->numel; k++) x[k] = (float)(x[k] / sqrt(ss));
        } else if (t->ndim >= 2 || !strcmp(leaf, "weight_orig")) {
            t_fill_normal(rng, x, t->numel, (float)sqrt(2.0 / t->fan_in));
        } else if (!strcmp(leaf, "gamma")) {
            x[0] = 2e-3f; /* o = x x^T W x is cubic, ~1e3 here: keep gamma o about 1 */
        } else if (!strcmp(leaf, "weight")) {
            t_fill_uniform(rng, x, t->numel, 0.5f, 1.5f);
        } else {
            t_fill_uniform(rng, x, t->numel, -0.2f, 0.2f);
        }
    }
}

/* Spectral norm's u, v set to W's top singular vectors (host power iteration in double): at the
 * fixed point torch's gradient (u, v held constant) equals the true derivative FD measures. */
static void converge_uv(const ct_graph *g, float *params, float *buffers)
{
    for (int i = 0; i < g->n_nodes; i++) {
        const ct_node *nd = &g->nodes[i];
        if (nd->kind != CT_NODE_SA) continue;
        const float *w = params + g->state[nd->param[1]].offset;
        float *u = buffers + g->state[nd->buf[0]].offset, *v = buffers + g->state[nd->buf[1]].offset;
        int c = g->state[nd->param[1]].shape[0];
        double *du = calloc((size_t)c, sizeof(double)), *dv = calloc((size_t)c, sizeof(double));
        for (int k = 0; k < c; k++) du[k] = u[k];
        for (int it = 0; it < 5000; it++) {
            double nv = 0, nu = 0;
            for (int b = 0; b < c; b++) {
                dv[b] = 0;
                for (int a = 0; a < c; a++) dv[b] += w[a * c + b] * du[a];
                nv += dv[b] * dv[b];
            }
            for (int b = 0; b < c; b++) dv[b] /= sqrt(nv);
            for (int a = 0; a < c; a++) {
                du[a] = 0;
                for (int b = 0; b < c; b++) du[a] += w[a * c + b] * dv[b];
                nu += du[a] * du[a];
            }
            for (int a = 0; a < c; a++) du[a] /= sqrt(nu);
        }
        for (int k = 0; k < c; k++) u[k] = (float)du[k], v[k] = (float)dv[k];
        free(du), free(dv);
    }
}

/* Host copies to/from virtual arena offsets (the arena is split into chunks here). */
static ct_status at_write(fd_net *f, size_t off, size_t n, const float *src)
{
    ct_ptr p = ct_plan_at(&f->plan, &f->mem, off);
    return ct_buf_write(f->ctx, p.mem, p.off * 4, n * 4, src);
}

static ct_status at_read(fd_net *f, size_t off, size_t n, float *dst)
{
    ct_ptr p = ct_plan_at(&f->plan, &f->mem, off);
    return ct_buf_read(f->ctx, p.mem, p.off * 4, n * 4, dst);
}

/* Forward (train, fixed dropout step) from the host state; returns sum(logits * r) in double. */
static int fd_loss(fd_net *f, double *loss)
{
    const ct_graph *g = f->g;
    float got[B * NOUT];
    if (ct_buf_write(f->ctx, f->mem.params, 0, g->n_params * 4, f->params) ||
        ct_buf_write(f->ctx, f->mem.buffers, 0, g->n_buffers * 4, f->buffers) ||
        at_write(f, f->plan.off[g->input], f->nx, f->x))
        return 0;
    ct_status st = ct_graph_forward(f->ctx, g, &f->plan, &f->mem, B, 1, 11, 7);
    if (st != CT_OK || at_read(f, f->plan.off[g->output], B * NOUT, got)) {
        fprintf(stderr, "forward: %s: %s\n", ct_status_str(st), ct_last_error());
        return 0;
    }
    double s = 0;
    for (int i = 0; i < B * NOUT; i++) s += (double)got[i] * f->r[i];
    *loss = s;
    return 1;
}

/* Central difference of the loss in element *v (host copy) with step h, Richardson-extrapolated
 * from h and h/2: (4 D(h/2) - D(h)) / 3 has O(h^4) truncation error. The steps actually taken
 * (after float rounding of v +- h) are used in the quotients. */
static int central(fd_net *f, float *v, double h, double *d, int *smooth)
{
    float keep = *v;
    double dd[2] = {0, 0};
    int ok = 1;
    for (int k = 0; k < 2 && ok; k++) {
        double lp = 0, lm = 0, step = k ? h / 2 : h;
        float vp = keep + (float)step, vm = keep - (float)step;
        *v = vp;
        ok = fd_loss(f, &lp);
        *v = vm;
        ok = ok && fd_loss(f, &lm);
        dd[k] = (lp - lm) / ((double)vp - (double)vm);
    }
    *v = keep;
    *d = (4 * dd[1] - dd[0]) / 3;
    /* a kink (argmax switch, ...) inside +-h shows as D(h) far from D(h/2) */
    *smooth = fabs(dd[0] - dd[1]) <= 2e-2 + 5e-2 * fabs(dd[1]);
    return ok;
}

static int find_tensor(const ct_graph *g, const char *name)
{
    for (int i = 0; i < g->n_state; i++)
        if (!strcmp(g->state[i].name, name)) return i;
    return -1;
}

static void graph_fd(ct_ctx *ctx, const char *arch, ct_act act, int sa, float p, ct_idpool pool)
{
    ct_model_opts o;
    ct_model_opts_default(&o);
    o.c_in = 3, o.n_out = NOUT, o.size = 32, o.act = act, o.sa = sa, o.p = p, o.pool = pool;
    o.layers[0] = o.layers[1] = o.layers[2] = o.layers[3] = 1;
    o.widen = 0.25f;
    o.stem[0] = o.stem[1] = 8;
    ct_model_spec *spec = NULL;
    T_OK(ct_model_spec_create(&spec, arch, &o));
    if (!spec) return;
    fd_net f = {.ctx = ctx, .g = ct_model_spec_graph(spec)};
    const ct_graph *g = f.g;
    t_rng rng;
    /* CLTRAIN_TEST_SEED draws other values (seeds 5..12 were run on PoCL, all pass) */
    t_rng_seed(&rng, getenv("CLTRAIN_TEST_SEED") ? strtoull(getenv("CLTRAIN_TEST_SEED"), 0, 10) : 5);
    f.params = malloc(g->n_params * 4);
    f.buffers = malloc(g->n_buffers * 4);
    f.nx = ct_graph_value_numel(g, g->input, B);
    f.x = malloc(f.nx * 4);
    f.r = malloc(B * NOUT * 4);
    float *grads = malloc(g->n_params * 4), *grads2 = malloc(g->n_params * 4);
    float *dx = malloc(f.nx * 4), *dx2 = malloc(f.nx * 4);
    fill_state(g, &rng, f.params, f.buffers);
    converge_uv(g, f.params, f.buffers);
    t_fill_normal(&rng, f.x, f.nx, 1.0f);
    t_fill_normal(&rng, f.r, B * NOUT, 1.0f);
    /* chunks of 64 Ki elements: the arena spans several buffers, as big models do on devices
     * with a small max allocation */
    T_OK(ct_graph_plan(g, B, CT_PLAN_TRAIN | CT_PLAN_INPUT_GRAD, 65536, &f.plan));
    T_CHECK(f.plan.n_chunks > 2, "tiny net arena in %d chunks", f.plan.n_chunks);
    /* the arena starts as NaN: reading anything not written first poisons the result */
    for (int k = 0; k < f.plan.n_chunks; k++)
        f.mem.arena[k] = t_alloc(ctx, ct_plan_chunk_elems(&f.plan, k) * 4, NAN);
    f.mem.params = t_alloc(ctx, g->n_params * 4, 0);
    f.mem.grads = t_alloc(ctx, g->n_params * 4, 0);
    f.mem.buffers = t_alloc(ctx, g->n_buffers * 4, 0);
    f.dl = t_upload(ctx, f.r, B * NOUT * 4);
    double loss;
    if (!f.mem.arena[f.plan.n_chunks - 1] || !f.mem.params || !f.mem.grads || !f.mem.buffers || !f.dl ||
        !fd_loss(&f, &loss)) {
        T_CHECK(0, "tiny net setup or forward failed");
        goto done;
    }
    T_CHECK(isfinite(loss), "tiny net loss %g", loss);
    {
        double again = 0;
        T_CHECK(fd_loss(&f, &again) && again == loss, "forward not repeatable: %.9g then %.9g", loss,
                again);
    }
    T_OK(ct_graph_backward(ctx, g, &f.plan, &f.mem, B, CT_PTR(f.dl, 0)));
    T_OK(ct_buf_read(ctx, f.mem.grads, 0, g->n_params * 4, grads));
    T_OK(at_read(&f, f.plan.goff[g->input], f.nx, dx));
    /* a second forward + backward without zeroing: params += (double), activations = (same) */
    T_CHECK(fd_loss(&f, &loss), "second forward");
    T_OK(ct_graph_backward(ctx, g, &f.plan, &f.mem, B, CT_PTR(f.dl, 0)));
    T_OK(ct_buf_read(ctx, f.mem.grads, 0, g->n_params * 4, grads2));
    T_OK(at_read(&f, f.plan.goff[g->input], f.nx, dx2));
    {
        double *twice = malloc(g->n_params * sizeof(double)), *same = malloc(f.nx * sizeof(double));
        for (size_t i = 0; i < g->n_params; i++) twice[i] = 2.0 * grads[i];
        for (size_t i = 0; i < f.nx; i++) same[i] = dx[i];
        t_close("param grads accumulate (+=) over two backwards", grads2, twice, g->n_params, 1e-6,
                1e-4);
        t_close("input grad is written (=) each backward", dx2, same, f.nx, 1e-6, 1e-4);
        free(twice), free(same);
    }
    /* finite differences of the float forward, Richardson-extrapolated (see central): step 1e-2,
     * 4e-3 before the stem maxpool (an argmax switching inside +-h is a kink); Mish keeps the rest
     * smooth. The loss carries ~1e-4 of float rounding, so |fd - bw| <= 2e-2 + 5e-2 |fd|. */
    /* no stem tensors ("0." .. "2."): a stem weight moves every window of its channel in the stem
     * maxpool, so argmax switches blur FD; the input checks (local perturbations) cover the stem */
    const char *names[] = {"4.0.convpath.0.0.weight", "4.0.convpath.0.1.weight",
                           "4.0.convpath.1.0.weight", "4.0.convpath.1.1.weight",
                           "4.0.convpath.1.1.bias", "4.0.convpath.2.1.weight",
                           "4.0.convpath.2.layers.1.0.weight", "4.0.convpath.2.layers.1.0.bias",
                           "4.0.convpath.2.layers.2.0.weight", "4.0.convpath.3.layers.1.0.weight",
                           "4.0.convpath.3.layers.2.0.bias", "4.0.convpath.3.gamma",
                           "4.0.convpath.3.conv.weight_orig", "4.0.convpath.4.gamma",
                           "4.0.convpath.4.conv.weight_orig", "4.0.idpath.0.0.weight",
                           "4.0.idpath.0.1.bias", "5.0.convpath.0.0.weight",
                           "5.0.idpath.1.0.weight", "5.0.idpath.1.1.weight",
                           "6.0.convpath.1.0.weight", "7.0.convpath.1.0.weight",
                           "7.0.convpath.1.1.weight", "7.0.convpath.0.1.bias",
                           "7.0.idpath.1.0.weight", "7.0.convpath.2.0.weight", "11.weight",
                           "11.bias"};
    int n_names = (int)(sizeof names / sizeof names[0]), bad = 0, n_fd = 0, kinks = 0, redraw = 0;
    /* inputs: 8 elements, none with MaxPool2d idpaths (train-mode BN spreads an input change over
     * whole channels, which then cross the idpath maxpools) */
    for (int k = 0; k < n_names * 2 + (pool == CT_IDPOOL_MAX ? 0 : 8); k++) {
        float *host, got;
        char what[128];
        double h = 1e-2;
        if (k < n_names * 2) {
            int id = find_tensor(g, names[k / 2]);
            if (id < 0) continue; /* SE/SA tensors in nets without them */
            /* with MaxPool2d idpaths only what lies after the last one ("7.", "11."): anything
             * upstream moves whole channels through a maxpool (kinks, as in the stem) */
            if (pool == CT_IDPOOL_MAX && strncmp(names[k / 2], "7.", 2) &&
                strncmp(names[k / 2], "11.", 3))
                continue;
            const ct_state_tensor *t = &g->state[id];
            size_t e = (size_t)(t_uniform(&rng) * t->numel);
            host = f.params + t->offset + e;
            got = grads[t->offset + e];
            snprintf(what, sizeof what, "%s[%zu]", t->name, e);
        } else {
            size_t e = (size_t)(t_uniform(&rng) * f.nx);
            host = f.x + e;
            got = dx[e];
            snprintf(what, sizeof what, "input[%zu]", e);
        }
        /* a step the loss responds to gently: smaller where the gradient is large */
        h = fmin(h, fmax(1e-5, 0.05 / (fabs(got) + 1.0)));
        double fd;
        int smooth;
        if (!central(&f, host, h, &fd, &smooth)) {
            T_CHECK(0, "FD forward failed");
            break;
        }
        if (!smooth) { /* not differentiable enough here: draw another element (3 tries) */
            kinks++;
            if (redraw++ < 3) k--;
            continue;
        }
        redraw = 0;
        n_fd++;
        /* pass when FD at h, h/4 or h/16 agrees: truncation error and kinks shrink with h while
         * a wrong backward disagrees at every step */
        int ok = fabs(fd - got) <= 2e-2 + 5e-2 * fabs(fd);
        double hh = h, fdh = fd;
        for (int tries = 0; !ok && tries < 2; tries++) {
            int sm;
            hh /= 4;
            if (!central(&f, host, hh, &fdh, &sm)) break;
            ok = fabs(fdh - got) <= 2e-2 + 5e-2 * fabs(fdh);
        }
        if (!ok) bad++;
        if (!ok || getenv("CLTRAIN_TEST_VERBOSE"))
            fprintf(stderr, "  %-44s backward %+.6f  fd %+.6f (h %.1e), %+.6f (h %.1e)%s\n", what,
                    got, fd, h, fdh, hh, ok ? "" : "  <-- differs");
    }
    T_CHECK(bad == 0, "%d of %d finite-difference checks differ", bad, n_fd);
    T_CHECK(kinks * 4 <= n_fd, "%d of %d elements non-smooth: the check lost its power", kinks,
            n_fd + kinks);
    printf("tiny %s (act %d, sa %d, p %g, idpool %s) at %d px, batch %d: %d FD checks passed, %d "
           "non-smooth elements redrawn; train arena %zu KiB\n", arch, (int)act, sa, p,
           pool == CT_IDPOOL_MAX ? "max" : "avg", o.size, B, n_fd - bad, kinks, f.plan.elems * 4 / 1024);
done:
    for (int k = 0; k < CT_ARENA_CHUNKS; k++) ct_buf_free(ctx, f.mem.arena[k]);
    ct_buf_free(ctx, f.mem.params), ct_buf_free(ctx, f.mem.grads);
    ct_buf_free(ctx, f.mem.buffers), ct_buf_free(ctx, f.dl);
    ct_plan_free(&f.plan);
    free(f.params), free(f.buffers), free(f.x), free(f.r), free(grads), free(grads2), free(dx);
    free(dx2);
    ct_model_spec_free(spec);
}

static int all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

static int read_logits(ct_ctx *ctx, ct_ptr p, float *out, size_t n)
{
    return ct_buf_read(ctx, p.mem, p.off * 4, n * 4, out) == CT_OK;
}

/* xresnet18 through the model API, as the trainer drives it. */
static void model_api(ct_ctx *ctx)
{
    ct_model_opts o;
    ct_model_opts_default(&o);
    o.c_in = 1, o.n_out = 10, o.size = 28, o.seed = 3;
    ct_model_spec *spec = NULL;
    T_OK(ct_model_spec_create(&spec, "xresnet18", &o));
    if (!spec) return;
    size_t before = ct_mem_in_use(ctx);
    ct_model *ev = NULL, *m = NULL, *m2 = NULL;
    T_OK(ct_model_create(&ev, ctx, spec, 3, 0));
    size_t eval_bytes = ct_mem_in_use(ctx) - before;
    ct_model_free(ev);
    before = ct_mem_in_use(ctx);
    ct_mem_reset_peak(ctx);
    T_OK(ct_model_create(&m, ctx, spec, 3, 1));
    size_t train_bytes = ct_mem_in_use(ctx) - before;
    if (!m) goto done;
    printf("xresnet18 c_in 1, 28 px, batch 3: %zu params; device bytes eval-only %zu, train %zu "
           "(arena eval %zu, train %zu; peak %zu)\n", ct_model_param_count(m), eval_bytes,
           train_bytes, ct_model_arena_bytes(m, 0), ct_model_arena_bytes(m, 1), ct_mem_peak(ctx));
    T_CHECK(ct_model_arena_bytes(m, 0) < ct_model_arena_bytes(m, 1), "eval arena not smaller");
    T_CHECK(eval_bytes < train_bytes, "eval-only model uses %zu >= train %zu", eval_bytes,
            train_bytes);
    ct_model_spec_free(spec);
    spec = NULL;

    /* seeded init: std of 0.0.weight ~ sqrt(2/9); same seed, same params; BN defaults */
    size_t np = ct_model_param_count(m), nb = ct_model_buffer_count(m);
    float *p = malloc(np * 4), *q = malloc(np * 4), *bf = malloc(nb * 4);
    T_OK(ct_model_read_state(m, p, bf));
    const ct_state_tensor *w0 = ct_model_tensor(m, 0), *rm = ct_model_tensor(m, 3);
    T_CHECK(!strcmp(w0->name, "0.0.weight") && !strcmp(rm->name, "0.1.running_mean"),
            "first tensors %s %s", w0->name, rm->name);
    double ss = 0;
    for (size_t i = 0; i < w0->numel; i++) ss += (double)p[w0->offset + i] * p[w0->offset + i];
    double sd = sqrt(ss / w0->numel);
    T_CHECK(fabs(sd - sqrt(2.0 / 9)) < 0.15 * sqrt(2.0 / 9), "0.0.weight std %g", sd);
    T_OK(ct_model_init(m, 3));
    T_OK(ct_model_read_state(m, q, NULL));
    T_CHECK(!memcmp(p, q, np * 4), "same seed gave different params");
    T_OK(ct_model_init(m, 4));
    T_OK(ct_model_read_state(m, q, NULL));
    T_CHECK(memcmp(p, q, np * 4) != 0, "a different seed gave the same params");
    T_OK(ct_model_write_state(m, p, bf));

    /* forward in both modes from the same input */
    t_rng rng;
    t_rng_seed(&rng, 9);
    size_t nx = 3 * 28 * 28;
    float *x = malloc(nx * 4), lt[30], le[30], le2[30];
    t_fill_normal(&rng, x, nx, 1.0f);
    ct_ptr in = ct_model_input(m), logits;
    T_OK(ct_buf_write(ctx, in.mem, in.off * 4, nx * 4, x));
    T_OK(ct_model_forward(m, 1, &logits));
    T_CHECK(read_logits(ctx, logits, lt, 30) && all_finite(lt, 30), "train logits not finite");
    T_CHECK(ct_model_batches_tracked(m) == 1, "batches_tracked %lld",
            (long long)ct_model_batches_tracked(m));
    T_OK(ct_model_read_state(m, NULL, bf));
    T_CHECK(bf[rm->offset] != 0.0f, "running mean not updated by a train forward");
    T_OK(ct_model_forward(m, 0, &logits));
    T_CHECK(read_logits(ctx, logits, le, 30) && all_finite(le, 30), "eval logits not finite");
    double diff = 0;
    for (int i = 0; i < 30; i++) diff += fabs(lt[i] - le[i]);
    T_CHECK(diff > 1e-3, "train and eval logits agree (%g): BN mode not switched", diff);
    T_CHECK(ct_model_backward(m, ct_model_dlogits(m)) == CT_ERR_INVALID_ARG,
            "backward after an eval forward accepted");
    /* eval forward again: the input is preserved, so the result repeats */
    T_OK(ct_model_forward(m, 0, &logits));
    T_CHECK(read_logits(ctx, logits, le2, 30) && !memcmp(le, le2, sizeof le), "eval not repeatable");

    /* one training step's backward: grads finite, linear-layer grads non-zero */
    T_OK(ct_buf_zero(ctx, ct_model_grads(m), 0, np * 4));
    T_OK(ct_model_forward(m, 1, &logits));
    ct_ptr dl = ct_model_dlogits(m);
    float r[30];
    t_fill_normal(&rng, r, 30, 1.0f);
    T_OK(ct_buf_write(ctx, dl.mem, dl.off * 4, sizeof r, r));
    T_OK(ct_model_backward(m, dl));
    T_OK(ct_buf_read(ctx, ct_model_grads(m), 0, np * 4, q));
    T_CHECK(all_finite(q, np), "grads not finite");
    const ct_state_tensor *lw = ct_model_tensor(m, ct_model_tensor_count(m) - 2);
    double gs = 0;
    for (size_t i = 0; i < lw->numel; i++) gs += fabs(q[lw->offset + i]);
    T_CHECK(!strcmp(lw->name, "11.weight") && gs > 0, "%s grad sum %g", lw->name, gs);
    int ng;
    const ct_param_group *gr = ct_model_groups(m, &ng);
    T_CHECK(ng == 2 && gr[0].count + gr[1].count == np, "groups");

    /* smaller batch within capacity gives the same per-sample eval results; beyond is an error */
    T_OK(ct_model_forward(m, 0, &logits));
    T_CHECK(read_logits(ctx, logits, le, 30), "eval logits at batch 3");
    T_OK(ct_model_set_batch(m, 2));
    T_OK(ct_model_forward(m, 0, &logits));
    if (read_logits(ctx, logits, le2, 20)) /* GEMM blocking may differ with the batch */
        t_close_f("batch 2 eval logits = first two of batch 3", le2, le, 20, 1e-5, 1e-4);
    T_CHECK(ct_model_set_batch(m, 4) == CT_ERR_INVALID_ARG, "batch above capacity accepted");
    /* batch 1 reaches 1x1 stages at 28 px: train-mode BN would see one value (PyTorch refuses) */
    T_OK(ct_model_set_batch(m, 1));
    T_CHECK(ct_model_forward(m, 1, &logits) == CT_ERR_INVALID_ARG, "train forward at batch 1 with "
            "1x1 batchnorm accepted");
    T_OK(ct_model_forward(m, 0, &logits));

    /* two models from one spec and seed agree exactly */
    ct_model_opts_default(&o);
    o.c_in = 1, o.size = 28, o.seed = 3;
    T_OK(ct_model_spec_create(&spec, "xresnet18", &o));
    if (spec) T_OK(ct_model_create(&m2, ctx, spec, 3, 0));
    if (m2) {
        T_OK(ct_model_read_state(m2, q, NULL));
        T_CHECK(!memcmp(p, q, np * 4), "second model with seed 3 differs");
    }
    free(p), free(q), free(bf), free(x);
done:
    ct_model_free(m);
    ct_model_free(m2);
    ct_model_spec_free(spec);
}

/* The closed-form state of tests/gen/gen_graph.py: entry k (state-dict order), element i. */
static void fill_formula(const ct_model *m, float *params, float *buffers)
{
    for (int k = 0; k < ct_model_tensor_count(m); k++) {
        const ct_state_tensor *t = ct_model_tensor(m, k);
        if (t->dtype != CT_DTYPE_F32) continue;
        float *x = (t->kind == CT_TENSOR_PARAM ? params : buffers) + t->offset;
        const char *leaf = strrchr(t->name, '.') + 1;
        double ss = 0;
        for (size_t i = 0; i < t->numel; i++) ss += pow(sin(0.7 * i + 1.1 * k + 0.3), 2);
        for (size_t i = 0; i < t->numel; i++) {
            double sn = sin(0.7 * i + 1.1 * k + 0.3), v;
            if (t->ndim >= 2) v = sn * sqrt(6.0 / (double)(t->numel / t->shape[0]));
            else if (!strcmp(leaf, "gamma")) v = 0.002;
            else if (!strcmp(leaf, "weight_u") || !strcmp(leaf, "weight_v")) v = sn / sqrt(ss);
            else if (!strcmp(leaf, "weight")) v = 1.0 + 0.4 * sn;
            else if (!strcmp(leaf, "running_var")) v = 1.0 + 0.3 * sn;
            else v = 0.1 * sn;
            x[i] = (float)v;
        }
    }
}

static int find_model_tensor(const ct_model *m, const char *name)
{
    for (int k = 0; k < ct_model_tensor_count(m); k++)
        if (!strcmp(ct_model_tensor(m, k)->name, name)) return k;
    return -1;
}

/* Whole-net forward (train and eval), running-stat and spectral-norm updates and every parameter
 * gradient against PyTorch (tests/gen/gen_graph.py) on fastai's module tree. grad_rtol: the
 * relative tolerance of the gradient heads, which depends on the net's conditioning (below). */
static void torch_golden(ct_ctx *ctx, const char *file, const char *arch, ct_act act, int sa,
                         ct_idpool pool, size_t chunk_bytes, double grad_rtol)
{
    t_golden *gd = t_golden_load(file);
    T_CHECK(gd != NULL, "golden %s missing", file);
    if (!gd) return;
    ct_model_opts o;
    ct_model_opts_default(&o);
    o.c_in = 3, o.n_out = NOUT, o.size = 32, o.act = act, o.sa = sa, o.pool = pool;
    o.layers[0] = o.layers[1] = o.layers[2] = o.layers[3] = 1;
    o.widen = 0.25f;
    o.stem[0] = o.stem[1] = 8;
    o.arena_chunk_bytes = chunk_bytes;
    ct_model_spec *spec = NULL;
    ct_model *m = NULL;
    T_OK(ct_model_spec_create(&spec, arch, &o));
    if (spec) T_OK(ct_model_create(&m, ctx, spec, B, 1));
    ct_model_spec_free(spec);
    if (!m) {
        t_golden_free(gd);
        return;
    }
    size_t np = ct_model_param_count(m), nb = ct_model_buffer_count(m), nx = (size_t)B * 3 * 32 * 32;
    float *p = malloc(np * 4), *bf = malloc(nb * 4), *x = malloc(nx * 4), r[B * NOUT], lg[B * NOUT];
    fill_formula(m, p, bf);
    for (size_t i = 0; i < nx; i++) x[i] = (float)(1.5 * sin(0.37 * i + 0.5));
    for (int i = 0; i < B * NOUT; i++) r[i] = (float)cos(0.91 * i);
    T_OK(ct_model_write_state(m, p, bf));
    ct_ptr in = ct_model_input(m), logits, dl = ct_model_dlogits(m);
    T_OK(ct_buf_write(ctx, in.mem, in.off * 4, nx * 4, x));
    T_OK(ct_buf_zero(ctx, ct_model_grads(m), 0, np * 4));
    T_OK(ct_model_forward(m, 1, &logits));
    T_OK(ct_buf_write(ctx, dl.mem, dl.off * 4, sizeof r, r));
    T_OK(ct_model_backward(m, dl));
    char what[160];
    const t_tensor *t = t_golden_get(gd, "logits_train");
    /* float32 through ~30 layers on both sides; train-mode BN amplifies rounding a little */
    if (t && read_logits(ctx, logits, lg, B * NOUT)) {
        snprintf(what, sizeof what, "%s: train logits vs PyTorch", arch);
        t_close_f(what, lg, t->data, B * NOUT, 1e-4, 1e-3);
    }
    T_OK(ct_model_read_state(m, NULL, bf));
    for (int i = 0; i < gd->count; i++) {
        const t_tensor *g = &gd->t[i];
        int k = find_model_tensor(m, g->name);
        if (k < 0) continue; /* not a state tensor */
        const ct_state_tensor *st = ct_model_tensor(m, k);
        snprintf(what, sizeof what, "%s: %s after one train step vs PyTorch", arch, g->name);
        T_CHECK(st->numel == g->numel, "%s: size", what);
        if (st->numel == g->numel) t_close_f(what, bf + st->offset, g->data, g->numel, 1e-5, 1e-4);
    }
    float *gr = malloc(np * 4), *heads = malloc(np * 4), norms[512];
    T_OK(ct_buf_read(ctx, ct_model_grads(m), 0, np * 4, gr));
    size_t nh = 0;
    int nn = 0;
    for (int k = 0; k < ct_model_tensor_count(m) && nn < 512; k++) {
        const ct_state_tensor *st = ct_model_tensor(m, k);
        if (st->kind != CT_TENSOR_PARAM) continue;
        double ss = 0;
        for (size_t i = 0; i < st->numel; i++) ss += (double)gr[st->offset + i] * gr[st->offset + i];
        for (size_t i = 0; i < st->numel && i < 64; i++) heads[nh++] = gr[st->offset + i];
        norms[nn++] = (float)sqrt(ss);
    }
    const t_tensor *gh = t_golden_get(gd, "grad_heads"), *gn = t_golden_get(gd, "grad_norms");
    if (gh && gn) {
        T_CHECK(gh->numel == nh && gn->numel == (size_t)nn, "%s: %zu grad heads / %d norms, torch "
                "%zu / %zu", arch, nh, nn, gh->numel, gn->numel);
        /* gradients: relative to the largest of each comparison (sums of many float terms) */
        snprintf(what, sizeof what, "%s: gradient norms of every param vs PyTorch", arch);
        if (gn->numel == (size_t)nn && !t_close_f(what, norms, gn->data, (size_t)nn, 1e-4, 2e-3))
            for (int k = 0, j = 0; k < ct_model_tensor_count(m); k++) {
                const ct_state_tensor *st = ct_model_tensor(m, k);
                if (st->kind != CT_TENSOR_PARAM) continue;
                if (fabs(norms[j] - gn->data[j]) > 1e-4 + 2e-3 * fabs(gn->data[j]))
                    fprintf(stderr, "  |grad %s| %g, torch %g\n", st->name, norms[j], gn->data[j]);
                j++;
            }
        snprintf(what, sizeof what, "%s: first 64 gradient elements of every param vs PyTorch",
                 arch);
        if (gh->numel == nh) t_close_f(what, heads, gh->data, nh, 1e-4, grad_rtol);
    }
    T_OK(ct_model_forward(m, 0, &logits));
    t = t_golden_get(gd, "logits_eval");
    if (t && read_logits(ctx, logits, lg, B * NOUT)) {
        snprintf(what, sizeof what, "%s: eval logits (updated running stats) vs PyTorch", arch);
        t_close_f(what, lg, t->data, B * NOUT, 1e-4, 1e-3);
    }
    free(p), free(bf), free(x), free(gr), free(heads);
    ct_model_free(m);
    t_golden_free(gd);
}

int main(void)
{
    ct_ctx *ctx;
    int rc = t_ctx(&ctx);
    if (rc != T_PASS) return rc;
    graph_fd(ctx, "xse_resnet18", CT_ACT_MISH, 1, 0.25f, CT_IDPOOL_AVG);
    graph_fd(ctx, "xresnext50", CT_ACT_MISH, 1, 0.0f, CT_IDPOOL_MAX);
    torch_golden(ctx, "graph_xse_resnet18_sa_mish.bin", "xse_resnet18", CT_ACT_MISH, 1,
                 CT_IDPOOL_AVG, 0, 2e-3);
    /* the deep bottleneck net at batch 2 is ill-conditioned: Mish's float16 exp (kernels/act.cl),
     * 1-4 ulp off the scalar exp on 0.5 % of inputs, moved 3 of its 3173 gradient heads past
     * 1e-4 + 2e-3 |ref| (worst 0.1395 against torch's 0.1401), while xresnet18's stay within
     * 8e-5 */
    torch_golden(ctx, "graph_xresnext50_mish_maxpool.bin", "xresnext50", CT_ACT_MISH, 0,
                 CT_IDPOOL_MAX, 256 * 1024, 5e-3); /* the model's arena in several buffers */
    torch_golden(ctx, "graph_xresnet18_relu_maxpool.bin", "xresnet18", CT_ACT_RELU, 0,
                 CT_IDPOOL_MAX, 0, 2e-3);
    model_api(ctx);
    ct_ctx_free(ctx);
    return t_finish("test_graph");
}
