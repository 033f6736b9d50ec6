/* The optimizers (SGD, Adam, RAdam, Lookahead, Ranger) against a double-precision implementation
 * written here from fastai's formulas, step by step with lr and mom changing every step; launch
 * and program-build counts; state save/restore bit-exactness; defaults, parser, argument errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/ops.h"
#include "cltrain/optim.h"
#include "util.h"

/* Layout under test: params start P_OFF floats into their buffer, grads G_OFF into theirs. Group 0
 * [0, 37) has no weight decay, group 1 [40, 1040) has it; elements 37..39 and 1040..1042 belong
 * to no group and must never change. */
enum { P_OFF = 5, G_OFF = 3, TAIL = 4, N = 1043, STEPS = 14 };
static const ct_optim_group groups[2] = {{0, 37, 0}, {40, 1000, 1}};

/* tolerance on parameters and states: |dev - ref| <= ATOL + RTOL |ref| (float vs double) */
#define ATOL 1e-6
#define RTOL 1e-5

/* ---- the independent reference (fastai optimizer.py, read as formulas) ---------------------- */

typedef struct {
    ct_optim_cfg c;
    double p[N], grad_avg[N], sqr_avg[N], slow[N];
    int t;               /* steps taken */
    int rect[STEPS + 1]; /* RAdam: was step t rectified */
    double v_t[STEPS + 1];
} ref_opt;

static int in_group(size_t i, int *do_wd)
{
    for (int k = 0; k < 2; k++)
        if (i >= groups[k].off && i < groups[k].off + groups[k].n) {
            *do_wd = groups[k].wd;
            return 1;
        }
    return 0;
}

static double softplus(double x, double beta) /* torch.nn.functional.softplus, threshold 20 */
{
    return beta * x > 20.0 ? x : log(1.0 + exp(beta * x)) / beta;
}

static void ref_step(ref_opt *r, const float *grad, double lr, double mom)
{
    const ct_optim_cfg *c = &r->c;
    int t = ++r->t;
    int radam = c->kind == CT_OPT_RADAM || c->kind == CT_OPT_RANGER;
    double sq = c->sqr_mom, wd = c->wd, eps = c->eps;
    /* RAdam's rectification, from the paper's r_inf / r_t */
    double r_inf = 2.0 / (1.0 - sq) - 1.0;
    double r_t = r_inf - 2.0 * t * pow(sq, t) / (1.0 - pow(sq, t));
    r->rect[t] = radam && r_t > 5.0;
    r->v_t[t] =
        r->rect[t] ? sqrt((r_t - 4) * (r_t - 2) * r_inf / ((r_inf - 4) * (r_inf - 2) * r_t)) : 0.0;
    if (c->lookahead && t == 1) memcpy(r->slow, r->p, sizeof r->p); /* slow = theta_0 */
    for (size_t i = 0; i < N; i++) {
        int do_wd;
        if (!in_group(i, &do_wd)) continue;
        double g = grad[i], *p = &r->p[i], *m = &r->grad_avg[i], *v = &r->sqr_avg[i];
        if (do_wd && wd != 0.0) {
            if (c->decouple_wd)
                *p *= 1.0 - lr * wd; /* weight_decay */
            else
                g += wd * *p; /* l2_reg */
        }
        if (c->kind == CT_OPT_SGD) {
            if (c->mom != 0.0f) {
                *m = mom * *m + g; /* average_grad, no dampening */
                *p -= lr * *m;     /* momentum_step */
            } else {
                *p -= lr * g; /* sgd_step */
            }
            continue;
        }
        *m = mom * *m + (1.0 - mom) * g;   /* average_grad(dampening) */
        *v = sq * *v + (1.0 - sq) * g * g; /* average_sqr_grad */
        double debias1 = 1.0 - pow(mom, t), debias2 = 1.0 - pow(sq, t);
        if (!radam) {
            *p -= lr / debias1 * *m / (sqrt(*v / debias2) + eps); /* adam_step */
        } else if (r->rect[t]) {
            double denom = sqrt(*v / debias2) + eps;
            if (c->beta != 0.0f) denom = softplus(denom, c->beta);
            *p -= lr * r->v_t[t] / debias1 * *m / denom;
        } else {
            *p -= lr / debias1 * *m;
        }
    }
    if (c->lookahead && t % c->la_k == 0)
        for (size_t i = 0; i < N; i++) {
            r->slow[i] += c->la_alpha * (r->p[i] - r->slow[i]);
            r->p[i] = r->slow[i];
        }
}

/* ---- device side -------------------------------------------------------------------------- */

typedef struct {
    ct_ctx *ctx;
    cl_mem pm, gm; /* P_OFF + N + TAIL and G_OFF + N floats */
    ct_optim *opt;
} dev_opt;

static int dev_create(ct_ctx *ctx, dev_opt *d, const ct_optim_cfg *cfg, const float *p0)
{
    float *buf = malloc((P_OFF + N + TAIL) * sizeof(float));
    for (int i = 0; i < P_OFF + N + TAIL; i++)
        buf[i] = -7.25f; /* guard pattern */
    memcpy(buf + P_OFF, p0, N * sizeof(float));
    d->ctx = ctx;
    d->pm = t_upload(ctx, buf, (P_OFF + N + TAIL) * sizeof(float));
    d->gm = t_alloc(ctx, (G_OFF + N) * sizeof(float), 0.0f);
    d->opt = NULL;
    free(buf);
    if (!d->pm || !d->gm) return 0;
    ct_status st = ct_optim_create(ctx, cfg, CT_PTR(d->pm, P_OFF), CT_PTR(d->gm, G_OFF), N, groups,
                                   2, &d->opt);
    T_CHECK(st == CT_OK, "ct_optim_create: %s", ct_last_error());
    return st == CT_OK;
}

static void dev_free(dev_opt *d)
{
    ct_optim_free(d->opt);
    ct_buf_free(d->ctx, d->pm);
    ct_buf_free(d->ctx, d->gm);
}

static int dev_params(dev_opt *d, float *all) /* all: P_OFF + N + TAIL floats */
{
    return t_download(d->ctx, d->pm, all, (P_OFF + N + TAIL) * sizeof(float));
}

/* lr and mom of step t (1-based), float values that both sides use */
static float lr_at(ct_optim_kind k, int t)
{
    float base = k == CT_OPT_SGD ? 0.05f : 0.01f;
    return base * (1.0f + 0.5f * (float)sin(0.9 * t));
}
/* around the configured mom; SGD created with mom 0 gets 0.9-ish values, which it must ignore */
static float mom_at(float mom0, int t)
{
    return (mom0 > 0.0f ? mom0 : 0.9f) - 0.05f + 0.04f * (float)cos(1.3 * t);
}

static void grads_at(t_rng *r, float *g)
{
    t_fill_uniform(r, g, N, -1.0f, 1.0f);
}

/* Compare a device state tensor with the reference over the group elements. */
static void check_state(const char *what, dev_opt *d, const char *name, const double *ref)
{
    ct_optim_state s;
    if (ct_optim_state_find(d->opt, name, &s) != CT_OK) {
        T_CHECK(0, "%s: no state %s: %s", what, name, ct_last_error());
        return;
    }
    float *got = malloc(N * sizeof(float));
    double *want = malloc(N * sizeof(double));
    if (t_download(d->ctx, s.mem, got, N * sizeof(float))) {
        for (size_t i = 0; i < N; i++) {
            int wd;
            want[i] = in_group(i, &wd) ? ref[i] : 0.0; /* zeroed at creation, never touched */
        }
        char label[160];
        snprintf(label, sizeof label, "%s %s", what, name);
        t_close(label, got, want, N, ATOL, RTOL);
    }
    free(got), free(want);
}

typedef struct {
    const char *name;
    ct_optim_kind kind;
    int sched_mom;       /* 1: mom changes every step; 0: NAN (not scheduled) */
    float mom, wd, beta; /* overrides when >= 0 (mom, wd) or != 0 (beta) */
    int l2, lookahead, k;
    float alpha;
} opt_case;

static void run_case(ct_ctx *ctx, const opt_case *oc, int builds0)
{
    ct_optim_cfg cfg;
    ct_optim_defaults(oc->kind, &cfg);
    if (oc->mom >= 0) cfg.mom = oc->mom;
    if (oc->wd >= 0) cfg.wd = oc->wd;
    if (oc->beta != 0) cfg.beta = oc->beta;
    if (oc->l2) cfg.decouple_wd = 0;
    if (oc->lookahead) cfg.lookahead = 1, cfg.la_k = oc->k, cfg.la_alpha = oc->alpha;

    t_rng rng;
    t_rng_seed(&rng, 1234);
    static ref_opt r;
    memset(&r, 0, sizeof r);
    r.c = cfg;
    float p0[N], g[N], all[P_OFF + N + TAIL];
    t_fill_uniform(&rng, p0, N, -1.0f, 1.0f);
    for (size_t i = 0; i < N; i++)
        r.p[i] = p0[i];
    dev_opt d;
    if (!dev_create(ctx, &d, &cfg, p0)) {
        dev_free(&d);
        return;
    }
    for (int t = 1; t <= STEPS; t++) {
        float lr = lr_at(cfg.kind, t);
        float mom = oc->sched_mom ? mom_at(cfg.mom, t) : NAN;
        grads_at(&rng, g);
        T_OK(ct_buf_write(ctx, d.gm, G_OFF * sizeof(float), N * sizeof(float), g));
        uint64_t l0 = ct_optim_launches(d.opt);
        T_OK(ct_optim_step(d.opt, lr, mom));
        T_CHECK(ct_optim_launches(d.opt) - l0 == 2,
                "%s step %d: %llu launches, want 2 (one per "
                "group)",
                oc->name, t, (unsigned long long)(ct_optim_launches(d.opt) - l0));
        ref_step(&r, g, lr, oc->sched_mom ? (double)mom : (double)cfg.mom);
        if (!dev_params(&d, all)) break;
        char what[160];
        snprintf(what, sizeof what, "%s params after step %d", oc->name, t);
        t_close(what, all + P_OFF, r.p, N, ATOL, RTOL);
        int guards = 1;
        for (int i = 0; i < P_OFF; i++)
            guards &= all[i] == -7.25f;
        for (int i = 0; i < TAIL; i++)
            guards &= all[P_OFF + N + i] == -7.25f;
        T_CHECK(guards, "%s step %d: wrote outside the parameter range", oc->name, t);
    }
    T_CHECK(ct_optim_get_step(d.opt) == STEPS, "%s: step counter %lld", oc->name,
            (long long)ct_optim_get_step(d.opt));
    if (cfg.kind != CT_OPT_SGD || cfg.mom != 0.0f)
        check_state(oc->name, &d, "grad_avg", r.grad_avg);
    if (cfg.kind != CT_OPT_SGD) check_state(oc->name, &d, "sqr_avg", r.sqr_avg);
    if (cfg.lookahead) check_state(oc->name, &d, "slow", r.slow);
    T_CHECK(ct_optim_state_count(d.opt) ==
                (cfg.kind == CT_OPT_SGD ? cfg.mom != 0.0f : 2) + cfg.lookahead,
            "%s: %d state tensors", oc->name, ct_optim_state_count(d.opt));
    ct_cache_stats cs = ct_ctx_cache_stats(ctx);
    T_CHECK(cs.builds == builds0,
            "%s: %d program builds, want %d: a schedule change rebuilt a "
            "program",
            oc->name, cs.builds, builds0);
    /* RAdam's switch with sqr_mom .99: steps 1-5 un-rectified, 6 on rectified, v_6 = 0.0817 */
    if (cfg.kind == CT_OPT_RADAM || cfg.kind == CT_OPT_RANGER) {
        int ok = !r.rect[1] && !r.rect[5] && r.rect[6] && r.rect[STEPS];
        T_CHECK(ok && fabs(r.v_t[6] - 0.0817) < 1e-4, "%s: reference switch wrong (v_6 %g)",
                oc->name, r.v_t[6]);
    }
    dev_free(&d);
}

/* ---- save / restore -------------------------------------------------------------------------- */

typedef struct {
    float params[N];
    float state[3][N];
    int n_state;
    int64_t step;
} saved;

static void steps(dev_opt *d, t_rng *rng, int from, int to)
{
    float g[N];
    for (int t = from; t <= to; t++) {
        grads_at(rng, g);
        T_OK(ct_buf_write(d->ctx, d->gm, G_OFF * sizeof(float), N * sizeof(float), g));
        T_OK(ct_optim_step(d->opt, lr_at(CT_OPT_RANGER, t), mom_at(0.95f, t)));
    }
}

static void save(dev_opt *d, saved *s)
{
    T_OK(ct_buf_read(d->ctx, d->pm, P_OFF * sizeof(float), N * sizeof(float), s->params));
    s->n_state = ct_optim_state_count(d->opt);
    for (int i = 0; i < s->n_state; i++) {
        ct_optim_state st;
        T_OK(ct_optim_state_at(d->opt, i, &st));
        T_OK(ct_buf_read(d->ctx, st.mem, 0, N * sizeof(float), s->state[i]));
    }
    s->step = ct_optim_get_step(d->opt);
}

static void restore(dev_opt *d, const saved *s)
{
    T_OK(ct_buf_write(d->ctx, d->pm, P_OFF * sizeof(float), N * sizeof(float), s->params));
    for (int i = 0; i < s->n_state; i++) {
        ct_optim_state st;
        T_OK(ct_optim_state_at(d->opt, i, &st));
        T_OK(ct_buf_write(d->ctx, st.mem, 0, N * sizeof(float), s->state[i]));
    }
    T_OK(ct_optim_set_step(d->opt, s->step));
}

/* Ranger with k 5: 6 steps, save (mid Lookahead cycle), 6 more; a fresh optimizer restored from the
 * save runs the same 6 and must give the same bits. */
static void test_resume(ct_ctx *ctx)
{
    ct_optim_cfg cfg;
    ct_optim_defaults(CT_OPT_RANGER, &cfg);
    cfg.la_k = 5;
    float p0[N];
    t_rng rng;
    t_rng_seed(&rng, 99);
    t_fill_uniform(&rng, p0, N, -1.0f, 1.0f);
    static saved mid, a, b;
    dev_opt d1, d2;
    if (!dev_create(ctx, &d1, &cfg, p0) || !dev_create(ctx, &d2, &cfg, p0)) goto out;
    const char *names[] = {"grad_avg", "sqr_avg", "slow"};
    for (int i = 0; i < 3; i++) {
        ct_optim_state st = {0};
        T_OK(ct_optim_state_at(d1.opt, i, &st));
        T_CHECK(st.name && !strcmp(st.name, names[i]) && st.n == N, "ranger state %d is %s", i,
                st.name ? st.name : "?");
    }
    steps(&d1, &rng, 1, 6);
    save(&d1, &mid);
    t_rng rng_b = rng;
    steps(&d1, &rng, 7, 12);
    save(&d1, &a);
    restore(&d2, &mid);
    steps(&d2, &rng_b, 7, 12);
    save(&d2, &b);
    T_CHECK(mid.step == 6 && a.step == 12 && b.step == 12, "resume: steps %lld %lld %lld",
            (long long)mid.step, (long long)a.step, (long long)b.step);
    T_CHECK(!memcmp(a.params, b.params, sizeof a.params), "resume: params differ after restore");
    T_CHECK(!memcmp(a.state, b.state, sizeof a.state), "resume: states differ after restore");
    T_CHECK(memcmp(a.params, mid.params, sizeof a.params) != 0,
            "resume: steps 7-12 changed nothing");
    /* reset: state zeroed, counter 0, slow recopied: from the same start it repeats steps 1..6 */
    T_OK(ct_optim_reset(d2.opt));
    T_OK(ct_buf_write(ctx, d2.pm, P_OFF * sizeof(float), N * sizeof(float), p0));
    t_rng_seed(&rng_b, 99);
    t_fill_uniform(&rng_b, p0, N, -1.0f, 1.0f);
    steps(&d2, &rng_b, 1, 6);
    save(&d2, &b);
    T_CHECK(!memcmp(mid.params, b.params, sizeof b.params) && b.step == 6,
            "reset: a fresh run after reset differs");
out:
    dev_free(&d1);
    dev_free(&d2);
}

/* ---- API edges ------------------------------------------------------------------------------- */

static void test_api(ct_ctx *ctx)
{
    ct_optim_kind k = CT_OPT_SGD;
    T_OK(ct_optim_kind_parse("ranger", &k));
    T_CHECK(k == CT_OPT_RANGER, "parse ranger -> %d", (int)k);
    T_OK(ct_optim_kind_parse("RAdam", &k));
    T_CHECK(k == CT_OPT_RADAM, "parse RAdam -> %d", (int)k);
    T_CHECK(ct_optim_kind_parse("lamb", &k) == CT_ERR_INVALID_ARG &&
                strstr(ct_last_error(), "'lamb'") &&
                strstr(ct_last_error(), "sgd, adam, radam, ranger"),
            "parse lamb: %s", ct_last_error());
    T_CHECK(!strcmp(ct_optim_kind_name(CT_OPT_ADAM), "adam"), "kind name");

    ct_optim_cfg c;
    ct_optim_defaults(CT_OPT_RANGER, &c);
    T_CHECK(c.mom == 0.95f && c.sqr_mom == 0.99f && c.eps == 1e-6f && c.wd == 0.01f &&
                c.beta == 0.0f && c.lookahead && c.la_k == 6 && c.la_alpha == 0.5f && c.decouple_wd,
            "ranger defaults");
    ct_optim_defaults(CT_OPT_ADAM, &c);
    T_CHECK(c.mom == 0.9f && c.sqr_mom == 0.99f && c.eps == 1e-5f && c.wd == 0.01f && !c.lookahead,
            "adam defaults");
    ct_optim_defaults(CT_OPT_RADAM, &c);
    T_CHECK(c.mom == 0.9f && c.sqr_mom == 0.99f && c.eps == 1e-5f && c.wd == 0.0f,
            "radam defaults");
    ct_optim_defaults(CT_OPT_SGD, &c);
    T_CHECK(c.mom == 0.0f && c.wd == 0.0f && c.decouple_wd, "sgd defaults");
    char line[200];
    ct_optim_defaults(CT_OPT_RANGER, &c);
    ct_optim_describe(&c, line, sizeof line);
    T_CHECK(strstr(line, "ranger mom=0.95 sqr_mom=0.99 eps=1e-06 wd=0.01") &&
                strstr(line, "lookahead k=6 alpha=0.5"),
            "describe: %s", line);
    ct_optim_describe(&c, line, 10); /* truncates, terminated */
    T_CHECK(strlen(line) == 9, "describe truncation: '%s'", line);

    /* argument errors */
    cl_mem pm = t_alloc(ctx, 64 * sizeof(float), 0.0f), gm = t_alloc(ctx, 64 * sizeof(float), 0.0f);
    if (!pm || !gm) goto out;
    ct_optim *o = NULL;
    ct_optim_group out_of_range = {60, 10, 1}, overlap[2] = {{0, 10, 1}, {9, 5, 0}};
    T_CHECK(ct_optim_create(ctx, &c, CT_PTR(pm, 0), CT_PTR(gm, 0), 64, &out_of_range, 1, &o) ==
                    CT_ERR_INVALID_ARG &&
                !o && strstr(ct_last_error(), "outside"),
            "group outside: %s", ct_last_error());
    T_CHECK(ct_optim_create(ctx, &c, CT_PTR(pm, 0), CT_PTR(gm, 0), 64, overlap, 2, &o) ==
                    CT_ERR_INVALID_ARG &&
                strstr(ct_last_error(), "overlap"),
            "overlap: %s", ct_last_error());
    ct_optim_cfg bad = c;
    bad.mom = 1.0f;
    T_CHECK(ct_optim_create(ctx, &bad, CT_PTR(pm, 0), CT_PTR(gm, 0), 64, overlap, 1, &o) ==
                CT_ERR_INVALID_ARG,
            "mom 1 accepted for ranger");
    ct_optim_group whole[2] = {{0, 64, 1}, {64, 0, 0}}; /* an empty group is skipped */
    T_OK(ct_optim_create(ctx, &c, CT_PTR(pm, 0), CT_PTR(gm, 0), 64, whole, 2, &o));
    if (o) {
        T_CHECK(ct_optim_step(o, 1e-3f, 1.5f) == CT_ERR_INVALID_ARG, "scheduled mom 1.5 accepted");
        T_CHECK(ct_optim_step(o, NAN, NAN) == CT_ERR_NONFINITE, "lr NaN accepted");
        T_OK(ct_optim_step(o, 1e-3f, NAN));
        T_CHECK(ct_optim_launches(o) == 1 && ct_optim_get_step(o) == 1, "empty group launched");
        ct_optim_state s;
        T_CHECK(ct_optim_state_find(o, "momentum", &s) == CT_ERR_NOT_FOUND &&
                    strstr(ct_last_error(), "grad_avg, sqr_avg, slow"),
                "state_find: %s", ct_last_error());
        T_CHECK(ct_optim_set_step(o, -1) == CT_ERR_INVALID_ARG, "negative step accepted");
        T_CHECK(ct_optim_state_at(o, 3, &s) == CT_ERR_INVALID_ARG, "state index 3 accepted");
        ct_optim_free(o);
    }
    /* zero_grad clears exactly grads[off, off + n) */
    float host[64];
    for (int i = 0; i < 64; i++)
        host[i] = 3.0f;
    T_OK(ct_buf_write(ctx, gm, 0, sizeof host, host));
    ct_optim_group g1 = {0, 50, 1};
    ct_optim_defaults(CT_OPT_SGD, &c);
    T_OK(ct_optim_create(ctx, &c, CT_PTR(pm, 2), CT_PTR(gm, 7), 50, &g1, 1, &o));
    if (o) {
        T_CHECK(ct_optim_state_count(o) == 0, "plain SGD allocated state");
        T_OK(ct_optim_zero_grad(o));
        if (t_download(ctx, gm, host, sizeof host)) {
            int ok = 1;
            for (int i = 0; i < 64; i++)
                ok &= host[i] == ((i >= 7 && i < 57) ? 0.0f : 3.0f);
            T_CHECK(ok, "zero_grad range");
        }
        ct_optim_free(o);
    }
out:
    ct_buf_free(ctx, pm);
    ct_buf_free(ctx, gm);
}

int main(void)
{
    ct_ctx *ctx;
    int rc = t_ctx(&ctx);
    if (rc != T_PASS) return rc;
    test_api(ctx);
    int builds0 = ct_ctx_cache_stats(ctx).builds; /* optim.cl is built by now */
    static const opt_case cases[] = {
        /* name                    kind           sched mom   wd    beta l2 la k alpha */
        {"sgd mom0 decoupled", CT_OPT_SGD, 0, 0.0f, 0.1f, 0, 0, 0, 0, 0},
        {"sgd mom0 L2 (mom ignored)", CT_OPT_SGD, 1, 0.0f, 0.1f, 0, 1, 0, 0, 0},
        {"sgd mom decoupled", CT_OPT_SGD, 1, 0.9f, 0.1f, 0, 0, 0, 0, 0},
        {"sgd mom L2", CT_OPT_SGD, 1, 0.9f, 0.1f, 0, 1, 0, 0, 0},
        {"adam", CT_OPT_ADAM, 1, -1, 0.1f, 0, 0, 0, 0, 0},
        {"adam L2", CT_OPT_ADAM, 1, -1, 0.1f, 0, 1, 0, 0, 0},
        {"adam unscheduled mom", CT_OPT_ADAM, 0, -1, -1, 0, 0, 0, 0, 0},
        {"radam", CT_OPT_RADAM, 1, -1, 0.1f, 0, 0, 0, 0, 0},
        {"radam softplus beta 1", CT_OPT_RADAM, 1, -1, 0.1f, 1.0f, 0, 0, 0, 0},
        {"radam softplus beta 200", CT_OPT_RADAM, 1, -1, 0.1f, 200.0f, 0, 0, 0, 0},
        {"lookahead(adam) k5 a.6", CT_OPT_ADAM, 1, -1, -1, 0, 0, 1, 5, 0.6f},
        {"lookahead(sgd mom) k4", CT_OPT_SGD, 1, 0.9f, 0.1f, 0, 0, 1, 4, 0.5f},
        {"ranger", CT_OPT_RANGER, 1, -1, -1, 0, 0, 0, 0, 0},
        {"ranger unscheduled mom", CT_OPT_RANGER, 0, -1, 0.1f, 0, 0, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(ctx, &cases[i], builds0);
    test_resume(ctx);
    ct_ctx_free(ctx);
    return t_finish("test_optim");
}
