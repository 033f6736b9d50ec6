/* The schedule-spec parser (presets NAME:key=value,... and composed lr=...;mom=...) and the
 * canonical text of a parsed schedule. Reads strings only: no I/O, no OpenCL. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched_internal.h"

#define SPEC_SHOWN "sched spec '%.120s': "

void ct_sched_fmt(char *buf, size_t n, double v)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

/* The token at p, up to the next delimiter, for messages. */
static const char *token_at(const char *p, const char *delims, char *buf, size_t n)
{
    size_t len = strcspn(p, delims);
    if (len == 0) len = *p ? 1 : 0;
    if (len >= n) len = n - 1;
    memcpy(buf, p, len);
    buf[len] = '\0';
    return len ? buf : "(end)";
}

/* A whole-token finite number; 1 on success. */
static int parse_number(const char *tok, double *v)
{
    char *end;
    if (!*tok) return 0;
    *v = strtod(tok, &end);
    return *end == '\0' && isfinite(*v);
}

static int valid_for_kind(double v, int kind)
{
    switch (kind) {
    case CT_KEY_POS:
        return v > 0.0;
    case CT_KEY_FRAC:
        return v >= 0.0 && v <= 1.0;
    case CT_KEY_INT:
        return v >= 1.0 && v <= 1e6 && v == floor(v);
    default:
        return 1;
    }
}

static ct_status unknown_name(const char *spec, const char *name)
{
    char list[640];
    ct_sched_preset_list(list, sizeof list);
    return ct_error(CT_ERR_INVALID_ARG,
                    SPEC_SHOWN "unknown schedule '%.40s'; valid: %s, or composed lr=...;mom=... "
                               "(see cltrain sched --help)",
                    spec, name, list);
}

static ct_status unknown_key(const char *spec, const ct_preset *pr, const char *key)
{
    char list[320];
    size_t len = 0;
    list[0] = '\0';
    for (int k = 0; k < pr->n_keys && len < sizeof list; k++) {
        int w = snprintf(list + len, sizeof list - len, "%s%s%s%s%s", k ? ", " : "",
                         pr->keys[k].key, pr->keys[k].alias ? " (or " : "",
                         pr->keys[k].alias ? pr->keys[k].alias : "", pr->keys[k].alias ? ")" : "");
        if (w > 0) len += (size_t)w;
    }
    return ct_error(CT_ERR_INVALID_ARG, SPEC_SHOWN "unknown key '%.40s' for %s; valid keys: %s",
                    spec, key, pr->name, list);
}

/* Set key `item` ("key=value" or "key=a/b/c") of preset pr in s. */
static ct_status parse_item(ct_sched *s, const ct_preset *pr, const char *spec, char *item,
                            unsigned *seen)
{
    char *eq = strchr(item, '=');
    if (!eq)
        return ct_error(CT_ERR_INVALID_ARG, SPEC_SHOWN "'%.40s' is not key=value (in %s)", spec,
                        item, pr->name);
    *eq = '\0';
    const char *value = eq + 1;
    int k = 0;
    while (k < pr->n_keys && strcmp(item, pr->keys[k].key) &&
           !(pr->keys[k].alias && !strcmp(item, pr->keys[k].alias)))
        k++;
    if (k == pr->n_keys) return unknown_key(spec, pr, item);
    const ct_preset_key *key = &pr->keys[k];
    if (*seen & (1u << k))
        return ct_error(CT_ERR_INVALID_ARG, SPEC_SHOWN "key '%s' given twice", spec, key->key);
    *seen |= 1u << k;
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%s", value);
    char *part = tmp;
    for (int i = 0; i < key->n; i++) {
        char *slash = i + 1 < key->n ? strchr(part, '/') : NULL;
        if (slash) *slash = '\0';
        if ((i + 1 < key->n && !slash) || !parse_number(part, &s->val[k][i]) ||
            !valid_for_kind(s->val[k][i], key->kind))
            return ct_error(CT_ERR_INVALID_ARG,
                            SPEC_SHOWN "bad value '%.40s' for %s key '%s': want %s%s", spec, value,
                            pr->name, key->key, key->n == 3 ? "three values a/b/c, each " : "",
                            ct_sched_key_want(key->kind));
        part = slash ? slash + 1 : part;
    }
    return CT_OK;
}

static ct_status parse_preset(ct_sched *s, const char *spec, char *clean)
{
    char *colon = strchr(clean, ':');
    if (colon) *colon = '\0';
    int p = 0;
    while (p < ct_sched_n_presets && strcmp(clean, ct_sched_presets[p].name))
        p++;
    if (p == ct_sched_n_presets) return unknown_name(spec, clean);
    const ct_preset *pr = &ct_sched_presets[p];
    s->preset = p;
    for (int k = 0; k < pr->n_keys; k++)
        memcpy(s->val[k], pr->keys[k].def, sizeof s->val[k]);
    unsigned seen = 0;
    if (colon) {
        char *rest = colon + 1;
        if (!*rest)
            return ct_error(CT_ERR_INVALID_ARG, SPEC_SHOWN "nothing after '%s:'", spec, pr->name);
        for (char *item = rest; item;) {
            char *comma = strchr(item, ',');
            if (comma) *comma = '\0';
            ct_status st = parse_item(s, pr, spec, item, &seen);
            if (st != CT_OK) return st;
            item = comma ? comma + 1 : NULL;
        }
    }
    return pr->build(s);
}

ct_status ct_sched_parse(const char *spec, ct_sched **out)
{
    *out = NULL;
    if (!spec) spec = "";
    size_t n = strlen(spec);
    ct_sched *s = calloc(1, sizeof *s);
    char *clean = malloc(n + 1);
    if (!s || !clean) {
        free(s);
        free(clean);
        return ct_error(CT_ERR_HOST_OOM, "sched: out of memory parsing '%.120s'", spec);
    }
    size_t m = 0; /* whitespace is insignificant */
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)spec[i])) clean[m++] = spec[i];
    clean[m] = '\0';
    s->preset = -1;
    s->lr_relative = 1;
    ct_status st;
    if (!m) {
        st = unknown_name(spec, "");
    } else if (!strncmp(clean, "lr=", 3) || !strncmp(clean, "mom=", 4)) {
        st = ct_sched_parse_composed(s, spec, clean);
    } else {
        st = parse_preset(s, spec, clean);
    }
    free(clean);
    if (st != CT_OK) {
        free(s);
        return st;
    }
    *out = s;
    return CT_OK;
}

/* ---- composed specs ---------------------------------------------------------------------- */

enum { P_START, P_END, P_POWER, P_AMP, P_FREQ, P_OFFSET, P_COUNT };
static const char *const param_names[P_COUNT] = {"start", "end", "power", "amp", "freq", "offset"};

typedef struct {
    const char *name;
    ct_anneal_kind kind;
    int n_params, n_required;
    int params[5]; /* positional order */
} annealer_def;

static const annealer_def annealers[] = {
    {"lin", CT_ANNEAL_LIN, 2, 2, {P_START, P_END}},
    {"cos", CT_ANNEAL_COS, 2, 2, {P_START, P_END}},
    {"exp", CT_ANNEAL_EXP, 2, 2, {P_START, P_END}},
    {"none", CT_ANNEAL_NONE, 2, 1, {P_START, P_END}},
    {"poly", CT_ANNEAL_POLY, 3, 3, {P_START, P_END, P_POWER}},
    {"cos_spike", CT_ANNEAL_COS_SPIKE, 5, 2, {P_START, P_END, P_AMP, P_FREQ, P_OFFSET}},
};
static const int n_annealers = (int)(sizeof annealers / sizeof annealers[0]);

typedef struct {
    const char *spec; /* as given, for messages */
    const char *p;    /* cursor in the cleaned copy */
} cursor;

#define DELIMS "(),;+@="

static ct_status bad_token(const cursor *c, const char *what)
{
    char tok[48];
    return ct_error(CT_ERR_INVALID_ARG, SPEC_SHOWN "bad token '%s': %s", c->spec,
                    token_at(c->p, DELIMS, tok, sizeof tok), what);
}

/* A number, optionally p/q; the cursor moves past it. */
static ct_status read_number(cursor *c, double *v)
{
    char *end;
    *v = strtod(c->p, &end);
    if (end == c->p || !isfinite(*v)) return bad_token(c, "want a number (e.g. 0.3, 1e-5, 1/25)");
    c->p = end;
    if (*c->p == '/') {
        c->p++;
        double q = strtod(c->p, &end);
        if (end == c->p || !isfinite(q) || q == 0.0)
            return bad_token(c, "want a non-zero denominator after '/'");
        *v /= q;
        c->p = end;
    }
    return CT_OK;
}

static ct_status unknown_annealer(const cursor *c)
{
    char list[160] = "";
    size_t len = 0;
    for (int i = 0; i < n_annealers; i++) {
        int w = snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", annealers[i].name);
        if (w > 0) len += (size_t)w;
    }
    char tok[48];
    return ct_error(CT_ERR_INVALID_ARG, SPEC_SHOWN "unknown annealer '%s'; valid: %s", c->spec,
                    token_at(c->p, DELIMS, tok, sizeof tok), list);
}

/* NAME(args) */
static ct_status read_annealer(cursor *c, ct_anneal *a)
{
    size_t len = strcspn(c->p, DELIMS);
    int d = 0;
    while (d < n_annealers &&
           !(strlen(annealers[d].name) == len && !strncmp(annealers[d].name, c->p, len)))
        d++;
    if (d == n_annealers) return unknown_annealer(c);
    const annealer_def *def = &annealers[d];
    c->p += len;
    if (*c->p != '(') return bad_token(c, "want '(' after the annealer name");
    c->p++;
    double v[P_COUNT] = {0.0, 0.0, 0.0, 0.3, 50.0, 0.8};
    int given[P_COUNT] = {0};
    for (int pos = 0; *c->p != ')'; pos++) {
        if (pos > 0) {
            if (*c->p != ',') return bad_token(c, "want ',' or ')' between arguments");
            c->p++;
        }
        int param = -1;
        size_t klen = strcspn(c->p, DELIMS);
        if (c->p[klen] == '=') { /* key=value */
            for (int i = 0; i < def->n_params; i++)
                if (strlen(param_names[def->params[i]]) == klen &&
                    !strncmp(param_names[def->params[i]], c->p, klen))
                    param = def->params[i];
            if (param < 0) {
                char what[160] = "";
                size_t wl =
                    (size_t)snprintf(what, sizeof what, "not an argument of %s; valid:", def->name);
                for (int i = 0; i < def->n_params && wl < sizeof what; i++)
                    wl += (size_t)snprintf(what + wl, sizeof what - wl, " %s",
                                           param_names[def->params[i]]);
                return bad_token(c, what);
            }
            c->p += klen + 1;
        } else if (pos < def->n_params) {
            param = def->params[pos];
        } else {
            return bad_token(c, "too many arguments");
        }
        if (given[param]) return bad_token(c, "argument given twice");
        ct_status st = read_number(c, &v[param]);
        if (st != CT_OK) return st;
        given[param] = 1;
    }
    for (int i = 0; i < def->n_required; i++)
        if (!given[def->params[i]])
            return bad_token(c, def->n_required == 1 ? "want 1 argument before ')'"
                                                     : "missing arguments before ')'");
    c->p++; /* ')' */
    ct_anneal r = {def->kind, v[P_START], v[P_END], v[P_POWER], v[P_AMP], v[P_FREQ], v[P_OFFSET]};
    if (def->kind == CT_ANNEAL_NONE) r.end = r.start;
    if (def->kind == CT_ANNEAL_EXP && !(r.start * r.end > 0.0))
        return bad_token(c, "exp needs start and end non-zero and of one sign");
    *a = r;
    return CT_OK;
}

/* SEG+SEG... up to ';' or the end */
static ct_status read_track(cursor *c, ct_track *t)
{
    double pcts[CT_SCHED_MAX_SEG];
    ct_anneal segs[CT_SCHED_MAX_SEG];
    int n = 0, missing = -1;
    double sum = 0.0;
    for (;;) {
        if (n == CT_SCHED_MAX_SEG) return bad_token(c, "too many segments");
        cursor at = *c; /* the segment's start, for messages */
        ct_status st = read_annealer(c, &segs[n]);
        if (st != CT_OK) return st;
        if (*c->p == '@') {
            c->p++;
            st = read_number(c, &pcts[n]);
            if (st != CT_OK) return st;
            if (pcts[n] < 0.0 || pcts[n] > 1.0)
                return ct_error(CT_ERR_INVALID_ARG,
                                SPEC_SHOWN "fraction %g of segment %d is "
                                           "outside [0, 1]",
                                c->spec, pcts[n], n + 1);
            sum += pcts[n];
        } else {
            if (missing >= 0) return bad_token(&at, "only one segment may omit its @fraction");
            missing = n;
        }
        n++;
        if (*c->p != '+') break;
        c->p++;
    }
    if (*c->p && *c->p != ';') return bad_token(c, "want '+', ';' or the end after a segment");
    if (missing >= 0) pcts[missing] = n == 1 ? 1.0 : 1.0 - sum;
    if (missing >= 0 && n > 1 && pcts[missing] < -1e-9)
        return ct_error(CT_ERR_INVALID_ARG, SPEC_SHOWN "the @fractions already sum to %g > 1",
                        c->spec, sum);
    if (missing >= 0 && pcts[missing] < 0.0) pcts[missing] = 0.0;
    ct_status st = ct_track_init(t, n, pcts, segs);
    if (st != CT_OK) {
        char why[256]; /* copy: ct_error writes the buffer ct_last_error points at */
        snprintf(why, sizeof why, "%s", ct_last_error() + strlen("sched: "));
        return ct_error(st, SPEC_SHOWN "%s (use @fractions summing to 1)", c->spec, why);
    }
    t->direct = n == 1;
    return CT_OK;
}

ct_status ct_sched_parse_composed(ct_sched *s, const char *spec, const char *clean)
{
    cursor c = {spec, clean};
    int have_lr = 0;
    while (*c.p) {
        int is_lr = !strncmp(c.p, "lr=", 3), is_mom = !strncmp(c.p, "mom=", 4);
        if (!is_lr && !is_mom) return bad_token(&c, "want lr= or mom= (tracks are lr, mom)");
        if ((is_lr && have_lr) || (is_mom && s->has_mom)) return bad_token(&c, "track given twice");
        c.p += is_lr ? 3 : 4;
        ct_status st = read_track(&c, is_lr ? &s->lr : &s->mom);
        if (st != CT_OK) return st;
        if (is_lr)
            have_lr = 1;
        else
            s->has_mom = 1;
        if (*c.p == ';') {
            c.p++;
            if (!*c.p) return bad_token(&c, "want a track after ';'");
        }
    }
    if (!have_lr) { /* a constant --lr */
        double one = 1.0;
        ct_anneal flat = {CT_ANNEAL_NONE, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0};
        ct_status st = ct_track_init(&s->lr, 1, &one, &flat);
        if (st != CT_OK) return st;
        s->lr.direct = 1;
    }
    return CT_OK;
}

/* ---- canonical text ---------------------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t n, len;
    int ok;
} text;

static void put(text *t, const char *s)
{
    size_t l = strlen(s);
    if (t->len + l >= t->n) {
        t->ok = 0;
        l = t->len < t->n ? t->n - 1 - t->len : 0;
    }
    memcpy(t->buf + t->len, s, l);
    t->len += l;
    if (t->n) t->buf[t->len] = '\0';
}

static void put_num(text *t, double v)
{
    char b[40];
    ct_sched_fmt(b, sizeof b, v);
    put(t, b);
}

static void put_track(text *t, const ct_track *tr)
{
    for (int i = 0; i < tr->n; i++) {
        const ct_anneal *a = &tr->seg[i];
        int d = 0;
        while (annealers[d].kind != a->kind)
            d++;
        if (i) put(t, "+");
        put(t, annealers[d].name);
        put(t, "(");
        put_num(t, a->start);
        if (a->kind != CT_ANNEAL_NONE) {
            put(t, ",");
            put_num(t, a->end);
        }
        if (a->kind == CT_ANNEAL_POLY) {
            put(t, ",");
            put_num(t, a->power);
        }
        if (a->kind == CT_ANNEAL_COS_SPIKE) {
            put(t, ",amp=");
            put_num(t, a->amp);
            put(t, ",freq=");
            put_num(t, a->freq);
            put(t, ",offset=");
            put_num(t, a->offset);
        }
        put(t, ")");
        if (!tr->direct) {
            put(t, "@");
            put_num(t, tr->pct[i]);
        }
    }
}

ct_status ct_sched_canonical(const ct_sched *s, char *buf, size_t n)
{
    text t = {buf, n, 0, n > 0};
    if (n) buf[0] = '\0';
    if (s->preset < 0) {
        put(&t, "lr=");
        put_track(&t, &s->lr);
        if (s->has_mom) {
            put(&t, ";mom=");
            put_track(&t, &s->mom);
        }
    } else {
        const ct_preset *pr = &ct_sched_presets[s->preset];
        put(&t, pr->name);
        for (int k = 0; k < pr->n_keys; k++) {
            put(&t, k ? "," : ":");
            put(&t, pr->keys[k].key);
            put(&t, "=");
            for (int i = 0; i < pr->keys[k].n; i++) {
                if (i) put(&t, "/");
                put_num(&t, s->val[k][i]);
            }
        }
    }
    return t.ok ? CT_OK
                : ct_error(CT_ERR_OVERFLOW, "sched: canonical spec needs more than %zu bytes", n);
}
