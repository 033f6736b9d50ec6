/* The schedule presets (fastai's fit_one_cycle, fit_flat_cos, fit_sgdr, lr_find and the seed's
 * godziLR / flat_cos_spike) as ct_tracks, their keys and defaults, and the help text. No I/O. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sched_internal.h"

/* keys shared by several presets */
#define KEY_DIV                                                                                    \
    {                                                                                              \
        "div", NULL, 1, {25.0}, CT_KEY_POS                                                         \
    }
#define KEY_DIV_FINAL                                                                              \
    {                                                                                              \
        "div_final", NULL, 1, {1e5}, CT_KEY_POS                                                    \
    }
#define KEY_PCT(d)                                                                                 \
    {                                                                                              \
        "pct_start", "pct", 1, {d}, CT_KEY_FRAC                                                    \
    }
#define KEY_MOMS(a, b, c)                                                                          \
    {                                                                                              \
        "moms", NULL, 3, {a, b, c}, CT_KEY_ANY                                                     \
    }
#define KEY_AMP                                                                                    \
    {                                                                                              \
        "amp", NULL, 1, {0.3}, CT_KEY_ANY                                                          \
    }
#define KEY_FREQ                                                                                   \
    {                                                                                              \
        "freq", NULL, 1, {50.0}, CT_KEY_ANY                                                        \
    }
#define KEY_OFFSET                                                                                 \
    {                                                                                              \
        "offset", NULL, 1, {0.8}, CT_KEY_ANY                                                       \
    }

static ct_anneal seg(ct_anneal_kind kind, double start, double end)
{
    ct_anneal a = {kind, start, end, 0.0, 0.0, 0.0, 0.0};
    return a;
}

static ct_anneal spike(double start, double end, const double *amp_freq_offset)
{
    ct_anneal a = seg(CT_ANNEAL_COS_SPIKE, start, end);
    a.amp = amp_freq_offset[0];
    a.freq = amp_freq_offset[1];
    a.offset = amp_freq_offset[2];
    return a;
}

/* combine([pct, 1 - pct], [first, second]) */
static ct_status two_part(ct_track *t, double pct, ct_anneal first, ct_anneal second)
{
    double pcts[2] = {pct, 1.0 - pct};
    ct_anneal segs[2] = {first, second};
    return ct_track_init(t, 2, pcts, segs);
}

/* fastai combined_cos(pct, a, b, c) for mom */
static ct_status moms_track(ct_sched *s, double pct, const double *m)
{
    s->has_mom = 1;
    return two_part(&s->mom, pct, seg(CT_ANNEAL_COS, m[0], m[1]), seg(CT_ANNEAL_COS, m[1], m[2]));
}

/* one_cycle: div, div_final, pct_start, moms */
static ct_status build_one_cycle(ct_sched *s)
{
    double div = s->val[0][0], div_final = s->val[1][0], pct = s->val[2][0];
    ct_status st = two_part(&s->lr, pct, seg(CT_ANNEAL_COS, 1.0 / div, 1.0),
                            seg(CT_ANNEAL_COS, 1.0, 1.0 / div_final));
    return st != CT_OK ? st : moms_track(s, pct, s->val[3]);
}

/* flat_cos: div_final, pct_start */
static ct_status build_flat_cos(ct_sched *s)
{
    return two_part(&s->lr, s->val[1][0], seg(CT_ANNEAL_COS, 1.0, 1.0),
                    seg(CT_ANNEAL_COS, 1.0, 1.0 / s->val[0][0]));
}

/* godzi: div, div_final, pct_start, amp, freq, offset, moms */
static ct_status build_godzi(ct_sched *s)
{
    double div = s->val[0][0], div_final = s->val[1][0], pct = s->val[2][0];
    double afo[3] = {s->val[3][0], s->val[4][0], s->val[5][0]};
    ct_status st =
        two_part(&s->lr, pct, seg(CT_ANNEAL_COS, 1.0 / div, 1.0), spike(1.0, 1.0 / div_final, afo));
    return st != CT_OK ? st : moms_track(s, pct, s->val[6]);
}

/* flat_cos_spike: div_final, pct_start, amp, freq, offset */
static ct_status build_flat_cos_spike(ct_sched *s)
{
    double afo[3] = {s->val[2][0], s->val[3][0], s->val[4][0]};
    return two_part(&s->lr, s->val[1][0], seg(CT_ANNEAL_COS, 1.0, 1.0),
                    spike(1.0, 1.0 / s->val[0][0], afo));
}

/* sgdr: n_cycles, cycle_len, cycle_mult; cycle i is cos(lr, 0) over cycle_len*mult^i epochs */
static ct_status build_sgdr(ct_sched *s)
{
    int n_cycles = (int)s->val[0][0];
    double len = s->val[1][0], mult = s->val[2][0];
    if (n_cycles > CT_SCHED_MAX_SEG)
        return ct_error(CT_ERR_INVALID_ARG, "sched: sgdr key 'n_cycles'=%d: at most %d", n_cycles,
                        CT_SCHED_MAX_SEG);
    /* fastai: n_epoch = cycle_len*(cycle_mult**n_cycles - 1)//(cycle_mult - 1); mult 1 is the
     * limit n_cycles*cycle_len (fastai would divide by zero) */
    double n_epoch =
        mult == 1.0 ? len * n_cycles : floor(len * (pow(mult, n_cycles) - 1.0) / (mult - 1.0));
    if (n_epoch > 1e6)
        return ct_error(CT_ERR_INVALID_ARG, "sched: sgdr implies %.0f epochs (at most 1000000)",
                        n_epoch);
    double pcts[CT_SCHED_MAX_SEG];
    ct_anneal segs[CT_SCHED_MAX_SEG];
    for (int i = 0; i < n_cycles; i++) {
        pcts[i] = len * pow(mult, i) / n_epoch;
        segs[i] = seg(CT_ANNEAL_COS, 1.0, 0.0);
    }
    s->implied_epochs = (int)n_epoch;
    return ct_track_init(&s->lr, n_cycles, pcts, segs);
}

/* lr_find: start, end, num_it; lr = start*(end/start)^(step/num_it), absolute values */
static ct_status build_lr_find(ct_sched *s)
{
    s->num_it = s->val[2][0] < 6.0 ? 6 : (int)s->val[2][0]; /* fastai forces num_it >= 6 */
    s->val[2][0] = s->num_it;
    s->lr_relative = 0;
    double one = 1.0;
    ct_anneal a = seg(CT_ANNEAL_EXP, s->val[0][0], s->val[1][0]);
    ct_status st = ct_track_init(&s->lr, 1, &one, &a);
    s->lr.direct = 1;
    return st;
}

const ct_preset ct_sched_presets[] = {
    {"one_cycle",
     "lr cos lr/div -> lr over pct_start, cos -> lr/div_final; mom cos a -> b -> c",
     4,
     {KEY_DIV, KEY_DIV_FINAL, KEY_PCT(0.25), KEY_MOMS(0.95, 0.85, 0.95)},
     build_one_cycle},
    {"flat_cos",
     "lr flat over pct_start, then cos -> lr/div_final; mom not scheduled",
     2,
     {KEY_DIV_FINAL, KEY_PCT(0.75)},
     build_flat_cos},
    {"godzi",
     "one_cycle whose annealing is cos_spike (seed godziLR)",
     7,
     {KEY_DIV, KEY_DIV_FINAL, KEY_PCT(0.25), KEY_AMP, KEY_FREQ, KEY_OFFSET,
      KEY_MOMS(0.95, 0.35, 0.95)},
     build_godzi},
    {"flat_cos_spike",
     "flat_cos whose annealing is cos_spike; mom not scheduled",
     5,
     {KEY_DIV_FINAL, KEY_PCT(0.75), KEY_AMP, KEY_FREQ, KEY_OFFSET},
     build_flat_cos_spike},
    {"sgdr",
     "n_cycles cycles of cos lr -> 0, cycle i lasting cycle_len*cycle_mult^i epochs",
     3,
     {{"n_cycles", NULL, 1, {3}, CT_KEY_INT},
      {"cycle_len", NULL, 1, {1}, CT_KEY_INT},
      {"cycle_mult", NULL, 1, {2}, CT_KEY_INT}},
     build_sgdr},
    {"lr_find",
     "exponential sweep start -> end over num_it batches (absolute lr, --lr unused)",
     3,
     {{"start", NULL, 1, {1e-7}, CT_KEY_POS},
      {"end", NULL, 1, {10.0}, CT_KEY_POS},
      {"num_it", NULL, 1, {100}, CT_KEY_INT}},
     build_lr_find},
};
const int ct_sched_n_presets = (int)(sizeof ct_sched_presets / sizeof ct_sched_presets[0]);

const char *ct_sched_key_want(int kind)
{
    switch (kind) {
    case CT_KEY_POS:
        return "a number > 0";
    case CT_KEY_FRAC:
        return "a number in [0, 1]";
    case CT_KEY_INT:
        return "a whole number >= 1";
    default:
        return "a finite number";
    }
}

/* Append printf output at *len, never past n; returns 0 once it no longer fits. */
static int append(char *buf, size_t n, size_t *len, const char *fmt, const char *a, const char *b)
{
    if (*len >= n) return 0;
    int w = snprintf(buf + *len, n - *len, fmt, a, b);
    if (w < 0 || (size_t)w >= n - *len) {
        *len = n;
        return 0;
    }
    *len += (size_t)w;
    return 1;
}

void ct_sched_preset_list(char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int p = 0; p < ct_sched_n_presets; p++) {
        const ct_preset *pr = &ct_sched_presets[p];
        append(buf, n, &len, "%s%s(", p ? ", " : "", pr->name);
        for (int k = 0; k < pr->n_keys; k++)
            append(buf, n, &len, "%s%s", k ? "," : "", pr->keys[k].key);
        append(buf, n, &len, "%s%s", ")", "");
    }
}

ct_status ct_sched_help(char *buf, size_t n)
{
    size_t len = 0;
    int ok = 1;
    if (n) buf[0] = '\0';
    ok &= append(buf, n, &len, "%s%s", "schedules (NAME or NAME:key=value,...; defaults shown):\n",
                 "");
    for (int p = 0; p < ct_sched_n_presets; p++) {
        const ct_preset *pr = &ct_sched_presets[p];
        ok &= append(buf, n, &len, "  %-15s %s\n", pr->name, pr->doc);
        ok &= append(buf, n, &len, "%s%s", "                  ", "");
        for (int k = 0; k < pr->n_keys; k++) {
            const ct_preset_key *key = &pr->keys[k];
            char v[3][32];
            for (int i = 0; i < key->n; i++)
                ct_sched_fmt(v[i], sizeof v[i], key->def[i]);
            ok &= append(buf, n, &len, "%s%s=", k ? ", " : "", key->key);
            if (key->n == 3) {
                ok &= append(buf, n, &len, "%s/%s/", v[0], v[1]);
                ok &= append(buf, n, &len, "%s%s", v[2], "");
            } else {
                ok &= append(buf, n, &len, "%s%s", v[0], "");
            }
            if (key->alias) ok &= append(buf, n, &len, " (or %s)%s", key->alias, "");
        }
        ok &= append(buf, n, &len, "%s%s", "\n", "");
    }
    ok &= append(buf, n, &len, "%s%s",
                 "composed: lr=SEG+SEG...;mom=SEG+SEG...  SEG = ANNEALER(args)@fraction\n"
                 "  annealers: lin(a,b) cos(a,b) exp(a,b) none(a) poly(a,b,power)\n"
                 "             cos_spike(a,b[,amp=0.3,freq=50,offset=0.8])\n"
                 "  lr values are multiples of --lr, mom values absolute; numbers may be p/q;\n"
                 "  fractions sum to 1 (one segment may omit @ to take the rest);\n"
                 "  no mom= means mom is not scheduled; no lr= means a constant --lr\n",
                 "");
    ok &= append(
        buf, n, &len, "%s%s",
        "  e.g. lr=cos(1/25,1)@0.3+cos_spike(1,1e-5)@0.7;mom=cos(.95,.85)@.3+cos(.85,.95)\n", "");
    return ok ? CT_OK : ct_error(CT_ERR_OVERFLOW, "sched: help text needs more than %zu bytes", n);
}
