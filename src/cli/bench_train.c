/* `cltrain bench train`: img/s of full training steps (upload uint8, normalise, forward, label-
 * smoothing loss, backward, zero grads, optimizer step) on synthetic data, a per-op breakdown from
 * a profiling pass, and peak device memory. Figures only; it asserts nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cltrain/models.h"
#include "cltrain/optim.h"

static double clock_s(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }

typedef struct {
    const char *arch, *act, *opt;
    int c_in, size, bs, steps, warmup, profile;
} bt_args;

/* Everything one training step touches. */
typedef struct {
    ct_ctx *ctx;
    ct_model *m;
    ct_optim *opt;
    cl_mem images, labels, loss; /* (N, C, H, W) uint8, (N) int32, (N) float */
    unsigned char *h_images;
    int *h_labels;
    float *h_loss;
    int c_in, hw, bs, n_out;
} bt_state;

/* Per-step phase times of the profiling pass (seconds, summed over profiled steps). */
enum { PH_UPLOAD, PH_ZERO, PH_LOSS, PH_OPTIM, PH_FWD, PH_BWD, PH_COUNT };
static const char *const phase_name[PH_COUNT] = {"data upload+normalise", "zero grads",
                                                 "loss fwd+bwd", "optimizer", "forward", "backward"};

/* Profiling accumulators: per node kind and pass, plus conv by (k, stride, input side). */
enum { MAX_KINDS = 16, MAX_CONV = 48 };
typedef struct {
    int k, stride, side, c_in, c_out;
    double t[2], flop; /* forward, backward seconds; flop per pass per step */
    int count;
} conv_row;

typedef struct {
    bt_state *s;
    const ct_graph *g;
    double last, node_last, kind_t[MAX_KINDS][2], ph[PH_COUNT];
    int kind_n[MAX_KINDS];
    conv_row conv[MAX_CONV];
    int n_conv, *conv_of; /* per node: index into conv[] or -1 */
} profiler;

static ct_status prof_hook(void *user, int node, int backward)
{
    profiler *p = user;
    ct_status st = ct_ctx_finish(p->s->ctx);
    if (st != CT_OK) return st;
    double t = now_s(), dt = t - p->node_last;
    p->node_last = t;
    const ct_node *nd = &p->g->nodes[node];
    if ((int)nd->kind < MAX_KINDS) p->kind_t[nd->kind][backward] += dt;
    if (p->conv_of[node] >= 0) p->conv[p->conv_of[node]].t[backward] += dt;
    return CT_OK;
}

/* Group the graph's convs by (k, stride, input side, c_in, c_out); flop = one pass, one step. */
static void prof_index(profiler *p, int bs)
{
    for (int j = 0; j < p->g->n_nodes; j++) {
        const ct_node *nd = &p->g->nodes[j];
        p->conv_of[j] = -1;
        if ((int)nd->kind < MAX_KINDS) p->kind_n[nd->kind]++;
        if (nd->kind != CT_NODE_CONV) continue;
        const ct_value *in = &p->g->vals[nd->in[0]], *o = &p->g->vals[nd->out];
        int i;
        for (i = 0; i < p->n_conv; i++) {
            conv_row *c = &p->conv[i];
            if (c->k == nd->k && c->stride == nd->stride && c->side == in->h && c->c_in == in->c &&
                c->c_out == o->c)
                break;
        }
        if (i == p->n_conv) {
            if (p->n_conv == MAX_CONV) continue;
            p->conv[p->n_conv++] = (conv_row){nd->k, nd->stride, in->h, in->c, o->c, {0, 0}, 0, 0};
        }
        conv_row *c = &p->conv[i];
        c->count++;
        c->flop += 2.0 * bs * o->c * o->h * o->w * (double)(in->c / nd->groups) * nd->k * nd->k;
        p->conv_of[j] = i;
    }
}

/* Finish the queue and charge the time since the last mark to phase ph (profiling only). */
static ct_status mark(profiler *p, int ph)
{
    if (!p) return CT_OK;
    ct_status st = ct_ctx_finish(p->s->ctx);
    double t = now_s();
    if (ph >= 0) p->ph[ph] += t - p->last;
    p->last = p->node_last = t;
    return st;
}

/* One full training step, as the learner runs it; p non-NULL: profile it. */
static ct_status train_step(bt_state *s, profiler *p)
{
    ct_status st;
    ct_ptr logits, lab = CT_PTR(s->labels, 0), dl = ct_model_dlogits(s->m);
    static const float mean[4] = {0.5f, 0.5f, 0.5f, 0.5f}, stdv[4] = {0.25f, 0.25f, 0.25f, 0.25f};
    size_t px = (size_t)s->bs * (size_t)s->c_in * (size_t)s->hw;
    CT_TRY(mark(p, -1));
    CT_TRY(ct_buf_write(s->ctx, s->images, 0, px, s->h_images));
    CT_TRY(ct_buf_write(s->ctx, s->labels, 0, 4 * (size_t)s->bs, s->h_labels));
    CT_TRY(ct_normalize_u8(s->ctx, ct_model_input(s->m), s->images, 0, s->bs, s->c_in, s->hw, mean,
                           stdv));
    CT_TRY(mark(p, PH_UPLOAD));
    CT_TRY(ct_optim_zero_grad(s->opt));
    CT_TRY(mark(p, PH_ZERO));
    CT_TRY(ct_model_forward(s->m, 1, &logits));
    CT_TRY(mark(p, PH_FWD));
    CT_TRY(ct_xent_forward(s->ctx, CT_PTR(s->loss, 0), logits, lab, s->bs, s->n_out, 0.1f));
    CT_TRY(ct_xent_backward(s->ctx, dl, logits, lab, s->bs, s->n_out, 0.1f));
    CT_TRY(mark(p, PH_LOSS));
    CT_TRY(ct_model_backward(s->m, dl));
    CT_TRY(mark(p, PH_BWD));
    CT_TRY(ct_optim_step(s->opt, 1e-3f, NAN));
    CT_TRY(mark(p, PH_OPTIM));
    CT_TRY(ct_buf_read(s->ctx, s->loss, 0, 4 * (size_t)s->bs, s->h_loss)); /* the step's sync */
fail:
    return st;
}

static void state_free(bt_state *s)
{
    ct_optim_free(s->opt);
    ct_model_free(s->m);
    ct_buf_free(s->ctx, s->images);
    ct_buf_free(s->ctx, s->labels);
    ct_buf_free(s->ctx, s->loss);
    free(s->h_images), free(s->h_labels), free(s->h_loss);
}

static ct_status state_create(bt_state *s, ct_ctx *ctx, const bt_args *a)
{
    ct_status st;
    ct_model_spec *spec = NULL;
    memset(s, 0, sizeof *s);
    s->ctx = ctx, s->c_in = a->c_in, s->hw = a->size * a->size, s->bs = a->bs, s->n_out = 10;
    ct_model_opts o;
    ct_model_opts_default(&o);
    o.c_in = a->c_in, o.size = a->size, o.n_out = s->n_out;
    o.act = strcmp(a->act, "mish") ? CT_ACT_RELU : CT_ACT_MISH;
    CT_TRY(ct_model_spec_create(&spec, a->arch, &o));
    CT_TRY(ct_model_create(&s->m, ctx, spec, a->bs, 1));
    ct_optim_cfg cfg;
    ct_optim_kind kind;
    CT_TRY(ct_optim_kind_parse(a->opt, &kind));
    ct_optim_defaults(kind, &cfg);
    int ng;
    const ct_param_group *pg = ct_model_groups(s->m, &ng);
    ct_optim_group og[4];
    if (ng > 4) ng = 4;
    for (int i = 0; i < ng; i++) og[i] = (ct_optim_group){pg[i].offset, pg[i].count, pg[i].do_wd};
    CT_TRY(ct_optim_create(ctx, &cfg, CT_PTR(ct_model_params(s->m), 0),
                           CT_PTR(ct_model_grads(s->m), 0), ct_model_param_count(s->m), og, ng,
                           &s->opt));
    size_t px = (size_t)a->bs * (size_t)a->c_in * (size_t)s->hw;
    CT_TRY(ct_buf_alloc(ctx, px, &s->images));
    CT_TRY(ct_buf_alloc(ctx, 4 * (size_t)a->bs, &s->labels));
    CT_TRY(ct_buf_alloc(ctx, 4 * (size_t)a->bs, &s->loss));
    s->h_images = malloc(px);
    s->h_labels = malloc(sizeof(int) * (size_t)a->bs);
    s->h_loss = malloc(sizeof(float) * (size_t)a->bs);
    if (!s->h_images || !s->h_labels || !s->h_loss)
        CT_FAIL(CT_ERR_HOST_OOM, "bench_train.c: no memory for the synthetic batch");
    uint32_t r = 12345u; /* LCG: synthetic pixels and labels */
    for (size_t i = 0; i < px; i++) r = r * 1664525u + 1013904223u, s->h_images[i] = (unsigned char)(r >> 24);
    for (int i = 0; i < a->bs; i++) r = r * 1664525u + 1013904223u, s->h_labels[i] = (int)((r >> 16) % 10);
fail:
    ct_model_spec_free(spec);
    return st;
}

static void print_profile(const profiler *p, int steps, double prof_s, double peak)
{
    double tot = 0;
    for (int i = 0; i < PH_COUNT; i++) tot += p->ph[i];
    printf("\nprofile: %d step(s), clFinish after every node and phase (so launch gaps count; "
           "%.1f ms/step profiled)\n", steps, 1e3 * prof_s / steps);
    printf("%-24s %6s %10s %10s %6s\n", "op", "nodes", "fwd ms", "bwd ms", "%");
    for (int k = 0; k < MAX_KINDS; k++) {
        double f = p->kind_t[k][0] / steps, b = p->kind_t[k][1] / steps;
        if (!p->kind_n[k]) continue;
        printf("%-24s %6d %10.2f %10.2f %6.1f\n", ct_node_kind_name((ct_node_kind)k), p->kind_n[k],
               1e3 * f, 1e3 * b, 100 * (f + b) * steps / tot);
    }
    for (int i = 0; i < PH_COUNT; i++) {
        if (i == PH_FWD || i == PH_BWD) continue;
        printf("%-24s %6s %10.2f %10s %6.1f\n", phase_name[i], "", 1e3 * p->ph[i] / steps, "",
               100 * p->ph[i] / tot);
    }
    printf("%-24s %6s %10.2f %10.2f\n", "total fwd / bwd", "", 1e3 * p->ph[PH_FWD] / steps,
           1e3 * p->ph[PH_BWD] / steps);
    printf("\nconv by shape (fwd flop = 2 N Cout OH OW Cin/g K K; bwd = data + weight = 2x fwd)\n");
    printf("%-28s %5s %10s %10s %9s %9s\n", "k s side cin->cout", "count", "fwd ms", "bwd ms",
           "fwd GF/s", "bwd GF/s");
    double cf = 0, ct = 0;
    for (int i = 0; i < p->n_conv; i++) {
        const conv_row *c = &p->conv[i];
        char name[64];
        snprintf(name, sizeof name, "%dx%d s%d %3dpx %4d->%-4d", c->k, c->k, c->stride, c->side,
                 c->c_in, c->c_out);
        double f = c->t[0] / steps, b = c->t[1] / steps;
        printf("%-28s %5d %10.2f %10.2f %9.1f %9.1f\n", name, c->count, 1e3 * f, 1e3 * b,
               f > 0 ? c->flop / f * 1e-9 : 0, b > 0 ? 2 * c->flop / b * 1e-9 : 0);
        cf += 3 * c->flop, ct += f + b;
    }
    double rate = ct > 0 ? cf / ct * 1e-9 : 0;
    printf("all convs: %.2f GFLOP/step in %.1f ms: %.1f GFLOP/s", cf * 1e-9, 1e3 * ct, rate);
    if (peak > 0) printf(", %.0f %% of the measured fp32 FMA peak %.1f", rate / peak * 100, peak);
    printf("\n");
}

static ct_status run_bench(ct_ctx *ctx, const bt_args *a)
{
    bt_state s;
    ct_status st = state_create(&s, ctx, a);
    int *conv_of = NULL;
    if (st != CT_OK) goto fail;
    printf("bench train: %s %s, %dx%dx%d, batch %d, act %s, opt %s; %zu params; device %s\n",
           a->arch, "synthetic", a->c_in, a->size, a->size, a->bs, a->act, a->opt,
           ct_model_param_count(s.m), ct_ctx_info(ctx)->name);
    for (int i = 0; i < a->warmup; i++) CT_TRY(train_step(&s, NULL));
    if (a->profile > 0) {
        profiler p;
        memset(&p, 0, sizeof p);
        p.s = &s;
        p.g = ct_model_spec_graph(ct_model_spec_of(s.m));
        conv_of = malloc(sizeof(int) * (size_t)p.g->n_nodes);
        if (!conv_of) CT_FAIL(CT_ERR_HOST_OOM, "bench_train.c: no memory");
        p.conv_of = conv_of;
        prof_index(&p, a->bs);
        ct_model_set_node_hook(s.m, (ct_node_hook){prof_hook, &p});
        double t0 = now_s();
        for (int i = 0; i < a->profile; i++) CT_TRY(train_step(&s, &p));
        double t1 = now_s();
        ct_model_set_node_hook(s.m, (ct_node_hook){NULL, NULL});
        print_profile(&p, a->profile, t1 - t0, bench_fma_peak(ctx));
    }
    printf("\npeak device memory %.1f MiB (arena %.1f MiB, params %zu floats)\n",
           ct_mem_peak(ctx) / 1048576.0, ct_model_arena_bytes(s.m, 1) / 1048576.0,
           ct_model_param_count(s.m));
    double t0 = now_s(), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    for (int i = 0; i < a->steps; i++) CT_TRY(train_step(&s, NULL));
    double dt = now_s() - t0, cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    /* CPU time of all threads (PoCL's workers too): on a CPU device shared with other jobs,
     * img per CPU-second times the core count estimates the unshared rate */
    printf("process CPU %.3f s (%.2f of %ld cores busy): %.1f img per CPU-s\n", cpu, cpu / dt,
           sysconf(_SC_NPROCESSORS_ONLN), (double)a->steps * a->bs / cpu);
    printf("train: %d steps x %d images in %.3f s (%.1f ms/step, after %d warm-up): %.1f img/s\n",
           a->steps, a->bs, dt, 1e3 * dt / a->steps, a->warmup, (double)a->steps * a->bs / dt);
fail:
    free(conv_of);
    state_free(&s);
    return st;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: cltrain bench train [--arch xresnet18] [--size 28] [--bs 32] [--steps 5]\n"
               "       [--warmup 2] [--profile 1] [--act relu|mish] [--opt ranger]\n"
               "       [--c-in C: default 1 up to 32 px, else 3]\n"
               "Full training steps on synthetic uint8 data; --profile N steps with a clFinish\n"
               "after every node for the per-op table (0: none). The last line ends in img/s.\n");
}

int bench_train(int argc, char **argv)
{
    bt_args a = {"xresnet18", "relu", "ranger", -1, 28, 32, 5, 2, 1};
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int *iv = !strcmp(k, "--size") ? &a.size : !strcmp(k, "--c-in") ? &a.c_in
                : !strcmp(k, "--bs") ? &a.bs : !strcmp(k, "--steps") ? &a.steps
                : !strcmp(k, "--warmup") ? &a.warmup : !strcmp(k, "--profile") ? &a.profile : NULL;
        const char **sv = !strcmp(k, "--arch") ? &a.arch : !strcmp(k, "--act") ? &a.act
                        : !strcmp(k, "--opt") ? &a.opt : NULL;
        if (!strcmp(k, "--help") || !strcmp(k, "-h")) {
            usage(stdout);
            return CT_EXIT_OK;
        } else if (v && iv) {
            *iv = atoi(v), i++;
        } else if (v && sv) {
            *sv = v, i++;
        } else {
            fprintf(stderr, "cltrain bench train: unknown or incomplete argument '%s'\n", k);
            usage(stderr);
            return CT_EXIT_USAGE;
        }
    }
    if (a.c_in < 0) a.c_in = a.size <= 32 ? 1 : 3;
    if (a.size < 8 || a.bs < 2 || a.steps < 1 || a.warmup < 0 || a.profile < 0 || a.c_in < 1 ||
        a.c_in > 4 || (strcmp(a.act, "relu") && strcmp(a.act, "mish"))) {
        fprintf(stderr, "cltrain bench train: need --size >= 8, --bs >= 2, --steps >= 1, "
                        "1 <= --c-in <= 4, --act relu or mish\n");
        return CT_EXIT_USAGE;
    }
    ct_ctx *ctx = cli_ctx();
    if (!ctx) return CT_EXIT_FAIL;
    ct_status st = run_bench(ctx, &a);
    ct_ctx_free(ctx);
    if (st != CT_OK) {
        cli_report("bench train", st);
        return CT_EXIT_FAIL;
    }
    return CT_EXIT_OK;
}
