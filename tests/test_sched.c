/* Schedules: annealers, combine boundary rules, positions, every preset, spec parsing and errors.
 * Needs no device; references are computed here in double precision, independently of src/sched. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/sched.h"
#include "util.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* |got - ref| <= atol + rtol*|ref| */
static void near(const char *what, double got, double ref, double atol, double rtol)
{
    T_CHECK(fabs(got - ref) <= atol + rtol * fabs(ref), "%s: got %.17g, want %.17g", what, got,
            ref);
}
#define REL 1e-9

/* ---- independent references ---- */
/* cosine from a to b as the half-period (1 - cos(pi t))/2 */
static double r_cos(double a, double b, double t)
{
    return a + (b - a) * 0.5 * (1.0 - cos(M_PI * t));
}
static double r_spike(double a, double b, double t, double amp, double freq, double offset)
{
    return r_cos(a, b, t) * (1.0 + amp * (sin(freq * M_PI * (1.0 - t)) + offset));
}

/* fastai combine over n segments: float32 bounds (each pct rounded, partial sums in double,
 * rounded), pos rounded to float32, local in float32; returns the segment and its local t. */
static int r_locate(double pos, int n, const double *pcts, double *t)
{
    float b[40];
    double s = 0;
    b[0] = 0.0f;
    for (int i = 0; i < n; i++) {
        s += (float)pcts[i];
        b[i + 1] = (float)s;
    }
    float p = (float)pos;
    int k = n - 1;
    while (k > 0 && !(p >= b[k]))
        k--;
    float num = p - b[k], den = b[k + 1] - b[k];
    *t = (double)(num / den);
    return k;
}

static void test_annealers(void)
{
    static const double pos[5] = {0, 0.25, 0.5, 0.75, 1};
    static const double cos02[5] = {0, 0.29289, 1, 1.70711, 2};       /* fastai notebook */
    static const double exp12[5] = {1, 1.18921, 1.41421, 1.68179, 2}; /* fastai notebook */
    static const double poly022[5] = {0, 0.125, 0.5, 1.125, 2};
    ct_anneal c = {CT_ANNEAL_COS, 0, 2, 0, 0, 0, 0};
    ct_anneal e = {CT_ANNEAL_EXP, 1, 2, 0, 0, 0, 0};
    ct_anneal p = {CT_ANNEAL_POLY, 0, 2, 2, 0, 0, 0};
    ct_anneal l = {CT_ANNEAL_LIN, -1, 3, 0, 0, 0, 0};
    ct_anneal no = {CT_ANNEAL_NONE, 0.7, 5, 0, 0, 0, 0};
    ct_anneal sp = {CT_ANNEAL_COS_SPIKE, 1, 1e-5, 0, 0.3, 50, 0.8};
    for (int i = 0; i < 5; i++) {
        double x = pos[i];
        near("cos(0,2) hand", ct_anneal_at(&c, x), cos02[i], 6e-6, 0);
        near("cos(0,2)", ct_anneal_at(&c, x), 1.0 - cos(M_PI * x), 1e-15, REL);
        near("exp(1,2) hand", ct_anneal_at(&e, x), exp12[i], 6e-6, 0);
        near("exp(1,2)", ct_anneal_at(&e, x), exp2(x), 0, REL);
        near("poly(0,2,2)", ct_anneal_at(&p, x), poly022[i], 1e-15, REL);
        near("lin(-1,3)", ct_anneal_at(&l, x), -1 + 4 * x, 1e-15, REL);
        near("none(.7)", ct_anneal_at(&no, x), 0.7, 0, 0);
        near("cos_spike", ct_anneal_at(&sp, x), r_spike(1, 1e-5, x, 0.3, 50, 0.8), 1e-15, REL);
    }
    near("cos(0,2) at .25 = 1 - 1/sqrt2", ct_anneal_at(&c, 0.25), 1 - sqrt(0.5), 1e-15, REL);
    /* seed formula at pos .51: (start + (1 + cos(pi*(1-pos)))*(end-start)/2)*(1 + amp*...) */
    double x = 0.51, want = (1 + (1 + cos(M_PI * 0.49)) * (1e-5 - 1) / 2) *
                            (1 + 0.3 * (sin(50 * M_PI * 0.49) + 0.8));
    near("cos_spike seed formula", ct_anneal_at(&sp, x), want, 1e-15, REL);
}

static void test_combine(void)
{
    /* combined_cos(.25, .5, 1, 0) — fastai notebook values */
    ct_track t;
    double pcts[2] = {0.25, 0.75};
    ct_anneal segs[2] = {{CT_ANNEAL_COS, 0.5, 1, 0, 0, 0, 0}, {CT_ANNEAL_COS, 1, 0, 0, 0, 0, 0}};
    T_OK(ct_track_init(&t, 2, pcts, segs));
    static const double pos[5] = {0, 0.1, 0.25, 0.5, 1}, want[5] = {0.5, 0.67275, 1, 0.75, 0};
    for (int i = 0; i < 5; i++)
        near("combined_cos hand", ct_track_at(&t, pos[i], 1), want[i], 6e-6, 0);
    near("combined_cos(.1)", ct_track_at(&t, 0.1, 1), r_cos(0.5, 1, (double)(0.1f / 0.25f)), 0,
         REL);
    near("scale", ct_track_at(&t, 0.1, 3e-3), 3e-3 * r_cos(0.5, 1, (double)(0.1f / 0.25f)), 0, REL);

    /* boundary rules with distinguishable linear segments */
    ct_anneal lin2[2] = {{CT_ANNEAL_LIN, 0, 1, 0, 0, 0, 0}, {CT_ANNEAL_LIN, 10, 20, 0, 0, 0, 0}};
    T_OK(ct_track_init(&t, 2, pcts, lin2));
    near("inner boundary -> next at 0", ct_track_at(&t, 0.25, 1), 10, 0, 0);
    near("pos 1 -> last at 1", ct_track_at(&t, 1.0, 1), 20, 0, 0);
    near("pos 0", ct_track_at(&t, 0.0, 1), 0, 0, 0);
    /* just below the boundary in float32 stays in segment 0 */
    double below = (double)nextafterf(0.25f, 0.0f);
    near("below boundary", ct_track_at(&t, below, 1), (double)((float)below / 0.25f), 0, 0);
    /* a double a hair below .25 rounds to .25f (fastai compares in float32) */
    near("double rounds to boundary", ct_track_at(&t, 0.25 - 1e-12, 1), 10, 0, 0);
    /* local is float32: pos .3 -> (0.3f - 0.25f)/0.75f */
    float loc = (0.3f - 0.25f) / 0.75f;
    near("float32 local", ct_track_at(&t, 0.3, 1), 10 + 10 * (double)loc, 0, 1e-15);
    T_CHECK((double)loc != (0.3 - 0.25) / 0.75, "float32 local differs from double");

    /* zero-width segments */
    double p0[2] = {0, 1}, p1[2] = {1, 0};
    T_OK(ct_track_init(&t, 2, p0, lin2));
    near("pct_start 0: pos 0 -> seg 1", ct_track_at(&t, 0.0, 1), 10, 0, 0);
    T_OK(ct_track_init(&t, 2, p1, lin2));
    near("pct_start 1: pos .5", ct_track_at(&t, 0.5, 1), 0.5, 0, 0);
    T_CHECK(isnan(ct_track_at(&t, 1.0, 1)), "pct_start 1 at pos 1 is NaN as in fastai");

    /* init errors */
    double bad_sum[2] = {0.3, 0.6}, neg[2] = {-0.1, 1.1};
    T_CHECK(ct_track_init(&t, 2, bad_sum, lin2) == CT_ERR_INVALID_ARG, "sum 0.9 rejected");
    T_CHECK(ct_track_init(&t, 2, neg, lin2) == CT_ERR_INVALID_ARG, "negative pct rejected");
    T_CHECK(ct_track_init(&t, 0, pcts, lin2) == CT_ERR_INVALID_ARG, "0 segments rejected");
}

static ct_sched *parse_ok(const char *spec)
{
    ct_sched *s = NULL;
    ct_status st = ct_sched_parse(spec, &s);
    T_CHECK(st == CT_OK && s, "parse '%s': %s: %s", spec, ct_status_str(st), ct_last_error());
    return s;
}

static void test_positions(void)
{
    static const double want[8] = {0, .125, .25, .375, .5, .625, .75, .875};
    ct_sched *s = parse_ok("one_cycle");
    if (!s) return;
    ct_sched_run run;
    T_OK(ct_sched_plan(s, 2, 4, &run));
    T_CHECK(run.n_batches == 8 && run.n_epoch == 2 && !run.epochs_fixed, "plan 2x4");
    int k = 0;
    for (int e = 0; e < 2; e++)
        for (int j = 0; j < 4; j++, k++) {
            ct_sched_value v;
            ct_sched_batch(s, &run, e, j, 1e-2, &v);
            near("pos 2x4", v.pos, want[k], 0, 0);
            near("ct_sched_pos", ct_sched_pos(e, j, 2, 4), want[k], 0, 0);
            T_CHECK(ct_sched_step_index(&run, e, j) == k, "step index");
        }
    T_CHECK(ct_sched_plan(s, 0, 4, &run) == CT_ERR_INVALID_ARG, "one_cycle needs epochs");
    T_CHECK(ct_sched_plan(s, 2, 0, &run) == CT_ERR_INVALID_ARG, "0 batches per epoch");
    ct_sched_free(s);
}

/* A two-part preset's reference (lr relative to lr_base, or mom) at pos. */
typedef double (*seg_fn)(const double *prm, double t);
static double two_part(double pos, double pct, seg_fn f0, seg_fn f1, const double *prm)
{
    double pcts[2] = {pct, 1 - pct}, t;
    return r_locate(pos, 2, pcts, &t) == 0 ? f0(prm, t) : f1(prm, t);
}
/* prm: lr, div, div_final, amp, freq, offset, m0, m1, m2 */
static double warm(const double *p, double t)
{
    return r_cos(p[0] / p[1], p[0], t);
}
static double flat(const double *p, double t)
{
    return p[0] + 0 * t;
}
static double anneal(const double *p, double t)
{
    return r_cos(p[0], p[0] / p[2], t);
}
static double anneal_spike(const double *p, double t)
{
    return r_spike(p[0], p[0] / p[2], t, p[3], p[4], p[5]);
}
static double mom_down(const double *p, double t)
{
    return r_cos(p[6], p[7], t);
}
static double mom_up(const double *p, double t)
{
    return r_cos(p[7], p[8], t);
}

typedef struct {
    const char *spec;
    double pct, prm[9];
    seg_fn lr0, lr1; /* mom is scheduled when prm[6] != 0 */
} preset_case;

static void test_presets(void)
{
    const preset_case cases[] = {
        {"one_cycle", .25, {1e-2, 25, 1e5, 0, 0, 0, .95, .85, .95}, warm, anneal},
        {"one_cycle:div=10,div_final=1e4,pct_start=0.3,moms=0.9/0.8/0.9",
         .3,
         {3e-3, 10, 1e4, 0, 0, 0, .9, .8, .9},
         warm,
         anneal},
        {"flat_cos", .75, {4e-3, 1, 1e5, 0, 0, 0, 0, 0, 0}, flat, anneal},
        {"flat_cos:pct=0.72", .72, {4e-3, 1, 1e5, 0, 0, 0, 0, 0, 0}, flat, anneal},
        {"godzi", .25, {1e-2, 25, 1e5, .3, 50, .8, .95, .35, .95}, warm, anneal_spike},
        {"godzi:amp=0.3,freq=50,offset=0.8,moms=0.95/0.35/0.95",
         .25,
         {1e-2, 25, 1e5, .3, 50, .8, .95, .35, .95},
         warm,
         anneal_spike},
        {"godzi:amp=0.5,freq=20,offset=0.1,pct=0.4,div=5,div_final=100",
         .4,
         {2e-3, 5, 100, .5, 20, .1, .95, .35, .95},
         warm,
         anneal_spike},
        {"flat_cos_spike", .75, {4e-3, 1, 1e5, .3, 50, .8, 0, 0, 0}, flat, anneal_spike},
        {"flat_cos_spike:pct_start=0.6,amp=0.2,freq=30,offset=0.5,div_final=1e3",
         .6,
         {4e-3, 1, 1e3, .2, 30, .5, 0, 0, 0},
         flat,
         anneal_spike},
        /* the composition syntax spelling out one_cycle with lr relative to the base */
        {"lr=cos(1/25,1)@0.25+cos(1,1e-5)@0.75;mom=cos(.95,.85)@.25+cos(.85,.95)@.75",
         .25,
         {1e-2, 25, 1e5, 0, 0, 0, .95, .85, .95},
         warm,
         anneal},
        {" lr = cos(1/25, 1) @ 0.3 + cos_spike(1, 1e-5) ; mom=cos(.95,.85)@.3+cos(.85,.95)@.7",
         .3,
         {1e-2, 25, 1e5, .3, 50, .8, .95, .85, .95},
         warm,
         anneal_spike},
    };
    static const double pos[] = {0,   0.05, 0.1,  0.2, 0.25, 0.3,  0.4,   0.5,
                                 0.6, 0.72, 0.75, 0.8, 0.9,  0.95, 0.999, 1.0 - 1.0 / 3000};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const preset_case *pc = &cases[c];
        ct_sched *s = parse_ok(pc->spec);
        if (!s) continue;
        int has_mom = pc->prm[6] != 0;
        T_CHECK(ct_sched_mom_scheduled(s) == has_mom, "%s: mom scheduled %d", pc->spec, has_mom);
        for (size_t i = 0; i < sizeof pos / sizeof pos[0]; i++) {
            ct_sched_value v;
            ct_sched_at(s, pos[i], pc->prm[0], &v);
            char what[200];
            snprintf(what, sizeof what, "%s lr at %g", pc->spec, pos[i]);
            near(what, v.lr, two_part(pos[i], pc->pct, pc->lr0, pc->lr1, pc->prm), 1e-300, REL);
            T_CHECK(v.mom_scheduled == has_mom && v.pos == pos[i], "%s value flags", pc->spec);
            if (has_mom) {
                snprintf(what, sizeof what, "%s mom at %g", pc->spec, pos[i]);
                near(what, v.mom, two_part(pos[i], pc->pct, mom_down, mom_up, pc->prm), 0, REL);
            } else {
                T_CHECK(isnan(v.mom), "%s: unscheduled mom is NaN", pc->spec);
            }
        }
        ct_sched_free(s);
    }
    /* fastai notebook check: lr=1e-2, 20 iterations -> combined_cos(.25, 1e-2/25, 1e-2, 1e-7)(i/20)
     */
    ct_sched *s = parse_ok("one_cycle");
    ct_sched_run run;
    if (s && ct_sched_plan(s, 1, 20, &run) == CT_OK) {
        double prm[9] = {1e-2, 25, 1e5, 0, 0, 0, .95, .85, .95};
        for (int i = 0; i < 20; i++) {
            ct_sched_value v;
            ct_sched_batch(s, &run, 0, i, 1e-2, &v);
            near("one_cycle 20 its lr", v.lr, two_part(i / 20.0, .25, warm, anneal, prm), 0, REL);
            near("one_cycle 20 its mom", v.mom, two_part(i / 20.0, .25, mom_down, mom_up, prm), 0,
                 REL);
        }
    }
    ct_sched_free(s);
}

static void test_sgdr_lr_find(void)
{
    ct_sched *s = parse_ok("sgdr");
    ct_sched_run run;
    if (s) {
        T_OK(ct_sched_plan(s, 0, 10, &run));
        T_CHECK(run.n_epoch == 7 && run.epochs_fixed && run.n_batches == 70, "sgdr(3,1) 7 epochs");
        T_CHECK(ct_sched_plan(s, 5, 10, &run) == CT_ERR_INVALID_ARG, "sgdr epochs mismatch");
        T_CHECK(strstr(ct_last_error(), "7 epochs") != NULL, "mismatch message: %s",
                ct_last_error());
        T_OK(ct_sched_plan(s, 7, 10, &run));
        T_CHECK(!ct_sched_mom_scheduled(s), "sgdr mom not scheduled");
        double pcts[3] = {1 / 7.0, 2 / 7.0, 4 / 7.0};
        static const double pos[] = {0, 0.1, 1 / 7.0, 0.2, 3 / 7.0, 0.5, 0.9, 69 / 70.0};
        for (size_t i = 0; i < sizeof pos / sizeof pos[0]; i++) {
            double t;
            r_locate(pos[i], 3, pcts, &t);
            ct_sched_value v;
            ct_sched_at(s, pos[i], 0.1, &v);
            near("sgdr lr", v.lr, 0.1 * 0.5 * (1 + cos(M_PI * t)), 1e-15, REL);
        }
        ct_sched_free(s);
    }
    s = parse_ok("sgdr:n_cycles=4,cycle_len=2,cycle_mult=3");
    if (s) {
        T_OK(ct_sched_plan(s, 0, 5, &run));
        T_CHECK(run.n_epoch == 80, "sgdr(4,2,3): 2*(81-1)/2 = 80 epochs, got %d", run.n_epoch);
        ct_sched_free(s);
    }
    s = parse_ok("lr_find");
    if (s) {
        T_CHECK(!ct_sched_lr_relative(s) && !ct_sched_mom_scheduled(s), "lr_find flags");
        T_OK(ct_sched_plan(s, 0, 30, &run));
        T_CHECK(run.n_epoch == 4 && run.n_batches == 100, "lr_find 100 its / 30 = 4 epochs");
        for (int i = 0; i < 100; i += 7) {
            ct_sched_value v;
            ct_sched_batch(s, &run, i / 30, i % 30, 123.0, &v);
            near("lr_find", v.lr, 1e-7 * pow(1e8, i / 100.0), 0, REL);
            near("lr_find pos", v.pos, i / 100.0, 0, 0);
        }
        ct_sched_free(s);
    }
    s = parse_ok("lr_find:start=1e-5,end=1,num_it=3");
    if (s) {
        char buf[256];
        T_OK(ct_sched_canonical(s, buf, sizeof buf));
        T_CHECK(!strcmp(buf, "lr_find:start=1e-05,end=1,num_it=6"), "num_it forced to 6: %s", buf);
        ct_sched_free(s);
    }
}

static void expect_error(const char *spec, const char *must1, const char *must2)
{
    ct_sched *s = (ct_sched *)&s;
    ct_status st = ct_sched_parse(spec, &s);
    const char *msg = ct_last_error();
    T_CHECK(st == CT_ERR_INVALID_ARG && s == NULL, "'%s' should fail: %s", spec, ct_status_str(st));
    T_CHECK(strstr(msg, must1) != NULL, "'%s': message lacks '%s': %s", spec, must1, msg);
    if (must2)
        T_CHECK(strstr(msg, must2) != NULL, "'%s': message lacks '%s': %s", spec, must2, msg);
}

static void test_spec(void)
{
    /* canonical forms spell out every parameter and parse back to the same schedule */
    static const char *const specs[][2] = {
        {"one_cycle", "one_cycle:div=25,div_final=100000,pct_start=0.25,moms=0.95/0.85/0.95"},
        {"flat_cos:pct=0.72", "flat_cos:div_final=100000,pct_start=0.72"},
        {"godzi:amp=0.3,freq=50,offset=0.8,moms=0.95/0.35/0.95",
         "godzi:div=25,div_final=100000,pct_start=0.25,amp=0.3,freq=50,offset=0.8,"
         "moms=0.95/0.35/0.95"},
        {"flat_cos_spike", "flat_cos_spike:div_final=100000,pct_start=0.75,amp=0.3,freq=50,"
                           "offset=0.8"},
        {"sgdr:cycle_mult=1", "sgdr:n_cycles=3,cycle_len=1,cycle_mult=1"},
        {"lr_find", "lr_find:start=1e-07,end=10,num_it=100"},
        {"lr=cos(1/25,1)@0.3+cos_spike(1,1e-5)@0.7;mom=cos(.95,.85)@.3+cos(.85,.95)@.7",
         "lr=cos(0.04,1)@0.3+cos_spike(1,1e-05,amp=0.3,freq=50,offset=0.8)@0.7;"
         "mom=cos(0.95,0.85)@0.3+cos(0.85,0.95)@0.7"},
        {"mom=lin(0.9,0.8)", "lr=none(1);mom=lin(0.9,0.8)"},
        {"lr=poly(1,0,power=2)@0.5+exp(1,1e-3)+none(1e-3,5)@0",
         "lr=poly(1,0,2)@0.5+exp(1,0.001)@0.5+none(0.001)@0"},
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        ct_sched *s = parse_ok(specs[i][0]), *s2 = NULL;
        if (!s) continue;
        char buf[512], buf2[512];
        T_OK(ct_sched_canonical(s, buf, sizeof buf));
        T_CHECK(!strcmp(buf, specs[i][1]), "canonical of '%s':\n  got  %s\n  want %s", specs[i][0],
                buf, specs[i][1]);
        T_OK(ct_sched_parse(buf, &s2));
        if (s2) {
            T_OK(ct_sched_canonical(s2, buf2, sizeof buf2));
            T_CHECK(!strcmp(buf, buf2), "canonical round trip: %s vs %s", buf, buf2);
            for (double p = 0; p < 1; p += 0.0625) {
                ct_sched_value a, b;
                ct_sched_at(s, p, 0.01, &a);
                ct_sched_at(s2, p, 0.01, &b);
                T_CHECK(a.lr == b.lr && (isnan(a.mom) ? isnan(b.mom) : a.mom == b.mom),
                        "round trip values at %g", p);
            }
        }
        T_CHECK(ct_sched_canonical(s, buf, 10) == CT_ERR_OVERFLOW && strlen(buf) == 9,
                "small buffer");
        ct_sched_free(s);
        ct_sched_free(s2);
    }
    ct_sched *s = parse_ok("flat_cos");
    if (s) {
        T_CHECK(!strcmp(ct_sched_name(s), "flat_cos") && !ct_sched_mom_scheduled(s), "flat_cos");
        ct_sched_free(s);
    }
    /* a single segment is a bare annealer: pos in double, not float32 */
    s = parse_ok("lr=lin(0,1)");
    if (s) {
        ct_sched_value v;
        ct_sched_at(s, 0.1, 1.0, &v);
        near("direct lin", v.lr, 0.1, 0, 0);
        ct_sched_free(s);
    }
    s = parse_ok("mom=cos(0.9,0.8)");
    if (s) {
        ct_sched_value v;
        ct_sched_at(s, 0.3, 2e-3, &v);
        near("lr constant when no lr=", v.lr, 2e-3, 0, 0);
        near("mom track", v.mom, r_cos(0.9, 0.8, 0.3), 0, REL);
        ct_sched_free(s);
    }
    ct_sched_value v;
    ct_sched_at(NULL, 0.5, 3e-3, &v);
    T_CHECK(v.lr == 3e-3 && !v.mom_scheduled, "NULL schedule is constant");

    /* errors name the bad token and list what is valid: spec, two texts the message must hold */
    static const char *const bad[][3] = {
        {"one_cyle", "'one_cyle'", "flat_cos_spike("},
        {"", "unknown schedule", "one_cycle(div,div_final,pct_start,moms)"},
        {"one_cycle:dv=3", "'dv'", "div_final"},
        {"one_cycle:div=abc", "'abc'", "a number > 0"},
        {"one_cycle:div=-1", "'-1'", "div"},
        {"one_cycle:pct=1.5", "'1.5'", "[0, 1]"},
        {"one_cycle:moms=0.9/0.8", "'0.9/0.8'", "a/b/c"},
        {"one_cycle:div=2,div=3", "'div' given twice", NULL},
        {"one_cycle:", "nothing after", NULL},
        {"flat_cos:div", "'div' is not key=value", NULL},
        {"flat_cos:div=25", "'div'", "pct_start (or pct)"},
        {"sgdr:n_cycles=2.5", "'2.5'", "whole number"},
        {"lr_find:start=0", "'0'", "start"},
        {"lr=coss(1,2)", "'coss'", "cos_spike"},
        {"lr=cos(1,2)@0.5+cos(x,1)@0.5", "'x'", "number"},
        {"lr=cos(1,2)@0.5+cos(2,1)@0.4", "sum to 0.9", NULL},
        {"lr=cos(1,2)+cos(2,1)", "'cos'", "only one segment may omit"},
        {"lr=cos(1)", "missing arguments", NULL},
        {"lr=cos(1,2,3)", "too many arguments", NULL},
        {"lr=cos_spike(1,2,amp=1,phase=2)", "'phase'", "offset"},
        {"lr=cos(1,2);lr=cos(1,2)", "track given twice", NULL},
        {"lr=cos(1,2);wd=lin(1,2)", "'wd'", "lr= or mom="},
        {"lr=exp(0,1)", "one sign", NULL},
        {"lr=cos(1,2)@1.5", "outside [0, 1]", NULL},
        {"lr=cos(1,2)x", "'x'", "want '+', ';'"},
        {"lr=cos(1,2/0)", "denominator", NULL},
        {"lr=cos(1,2);", "after ';'", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_error(bad[i][0], bad[i][1], bad[i][2]);

    char help[4096];
    T_OK(ct_sched_help(help, sizeof help));
    T_CHECK(strstr(help, "godzi") && strstr(help, "moms=0.95/0.35/0.95") &&
                strstr(help, "cos_spike(a,b"),
            "help text: %s", help);
    T_CHECK(ct_sched_help(help, 16) == CT_ERR_OVERFLOW, "help overflow");

    char num[40];
    static const double vals[] = {0.1, 1e-5, 1.0 / 3, 4e-3 / 25, 123456789.0, 0.95};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        ct_sched_fmt(num, sizeof num, vals[i]);
        T_CHECK(strtod(num, NULL) == vals[i], "fmt round trip %s", num);
    }
    ct_sched_fmt(num, sizeof num, 0.1);
    T_CHECK(!strcmp(num, "0.1"), "fmt shortest: %s", num);
}

/* Values fastai's own arithmetic gives (torch float32 combine), from tests/gen/sched_fastai.py. */
static void test_fastai_golden(void)
{
    char path[1024];
    FILE *f = fopen(t_data_path("sched_fastai.txt", path, sizeof path), "r");
    T_CHECK(f != NULL, "cannot open %s", path);
    if (!f) return;
    char line[512], spec[256], mom[64], last[256] = "";
    double lr_base, pos, lr;
    int rows = 0;
    ct_sched *s = NULL;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "%255[^\t]\t%lf\t%lf\t%lf\t%63s", spec, &lr_base, &pos, &lr, mom) != 5) {
            T_CHECK(0, "malformed line in %s: %s", path, line);
            break;
        }
        if (strcmp(spec, last)) {
            ct_sched_free(s);
            s = parse_ok(spec);
            snprintf(last, sizeof last, "%s", spec);
        }
        if (!s) continue;
        ct_sched_value v;
        ct_sched_at(s, pos, lr_base, &v);
        char what[320];
        snprintf(what, sizeof what, "fastai golden %s lr at %.17g", spec, pos);
        near(what, v.lr, lr, 1e-18, 1e-12);
        if (strcmp(mom, "-")) {
            snprintf(what, sizeof what, "fastai golden %s mom at %.17g", spec, pos);
            near(what, v.mom, strtod(mom, NULL), 0, 1e-12);
        } else {
            T_CHECK(!v.mom_scheduled, "%s: mom must not be scheduled", spec);
        }
        rows++;
    }
    ct_sched_free(s);
    fclose(f);
    T_CHECK(rows >= 700, "%d golden rows", rows);
}

int main(void)
{
    test_annealers();
    test_combine();
    test_positions();
    test_presets();
    test_sgdr_lr_find();
    test_spec();
    test_fastai_golden();
    return t_finish("test_sched");
}
