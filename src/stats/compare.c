/* Grid expansion, sharding and the markdown report of `cltrain compare`. Reads and writes no
 * run folders itself (the CLI does); everything here is deterministic for given inputs. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/compare.h"
#include "cltrain/stats.h"

#define MAX_ARMS 256

typedef struct {
    ct_cmp_arm *v;
    int n;
} arm_list;

static ct_status push_arm(arm_list *l, const char *spec, double lr)
{
    if (l->n >= MAX_ARMS) return ct_error(CT_ERR_INVALID_ARG, "more than %d schedules", MAX_ARMS);
    if (strlen(spec) >= sizeof l->v[0].spec)
        return ct_error(CT_ERR_INVALID_ARG, "schedule spec too long: '%.40s...'", spec);
    ct_cmp_arm *a = &l->v[l->n];
    memset(a, 0, sizeof *a);
    snprintf(a->spec, sizeof a->spec, "%s", spec);
    a->lr = lr;
    /* slug: spec with unsafe characters replaced, plus the lr */
    size_t j = 0;
    for (const char *p = spec; *p && j + 1 < sizeof a->slug - 24; p++) {
        unsigned char c = (unsigned char)*p;
        a->slug[j++] = (isalnum(c) || c == '.' || c == '-' || c == '_') ? (char)c
                       : c == '=' ? '-' : '_';
    }
    a->slug[j] = '\0';
    if (lr > 0) snprintf(a->slug + j, sizeof a->slug - j, "_lr%g", lr);
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].spec, a->spec) && l->v[i].lr == a->lr)
            return ct_error(CT_ERR_INVALID_ARG, "schedule '%s' is listed twice", spec);
    l->n++;
    return CT_OK;
}

/* Expand the first "key=a|b" sweep in spec recursively; then strip "@LR". */
static ct_status expand(arm_list *l, const char *spec)
{
    const char *bar = strchr(spec, '|');
    if (bar) {
        /* the alternatives run from after the '=' before the bar to the next ',' ';' or end */
        const char *start = bar;
        while (start > spec && start[-1] != '=') start--;
        if (start == spec) return ct_error(CT_ERR_INVALID_ARG, "sweep '%s' needs key=a|b", spec);
        const char *end = start;
        while (*end && *end != ',' && *end != ';' && *end != '@' && *end != ')') end++;
        char buf[1024];
        for (const char *alt = start; alt < end;) {
            const char *next = memchr(alt, '|', (size_t)(end - alt));
            if (!next) next = end;
            if (next == alt) return ct_error(CT_ERR_INVALID_ARG, "empty value in sweep '%s'", spec);
            int w = snprintf(buf, sizeof buf, "%.*s%.*s%s", (int)(start - spec), spec,
                             (int)(next - alt), alt, end);
            if (w >= (int)sizeof buf) return ct_error(CT_ERR_INVALID_ARG, "spec too long");
            ct_status st = expand(l, buf);
            if (st != CT_OK) return st;
            alt = next < end ? next + 1 : end;
        }
        return CT_OK;
    }
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", spec);
    double lr = 0;
    /* "SPEC@LR" for presets; composed specs (with parentheses) use '@' for fractions */
    char *at = strrchr(buf, '@');
    if (at && !strchr(buf, '(')) {
        char *endp;
        double v = strtod(at + 1, &endp);
        if (*endp != '\0' || endp == at + 1 || !(v > 0))
            return ct_error(CT_ERR_INVALID_ARG, "bad learning rate after '@' in '%s'", spec);
        lr = v;
        *at = '\0';
    }
    if (!buf[0]) return ct_error(CT_ERR_INVALID_ARG, "empty schedule spec in the list");
    return push_arm(l, buf, lr);
}

ct_status ct_compare_parse_arms(const char *list, ct_cmp_arm **arms, int *n)
{
    *arms = NULL;
    *n = 0;
    arm_list l = {calloc(MAX_ARMS, sizeof(ct_cmp_arm)), 0};
    if (!l.v) return ct_error(CT_ERR_HOST_OOM, "out of memory");
    char cur[1024] = "";
    ct_status st = CT_OK;
    const char *p = list;
    while (1) {
        /* next token at parenthesis depth 0 */
        const char *q = p;
        int depth = 0;
        while (*q && !(*q == ',' && depth == 0)) {
            depth += *q == '(' ? 1 : *q == ')' ? -1 : 0;
            q++;
        }
        char tok[1024];
        snprintf(tok, sizeof tok, "%.*s", (int)(q - p), p);
        /* a bare key=value (no ':' and not a composed lr=/mom= track) continues the last spec */
        int cont = cur[0] && strchr(tok, '=') && !strchr(tok, ':') && strncmp(tok, "lr=", 3) &&
                   strncmp(tok, "mom=", 4);
        if (strlen(cur) + strlen(tok) + 2 > sizeof cur) {
            st = ct_error(CT_ERR_INVALID_ARG, "schedule list too long near '%.40s'", tok);
            break;
        }
        if (cont) {
            strcat(cur, ",");
            strcat(cur, tok);
        } else {
            if (cur[0] && (st = expand(&l, cur)) != CT_OK) break;
            snprintf(cur, sizeof cur, "%s", tok);
        }
        if (!*q) break;
        p = q + 1;
    }
    if (st == CT_OK && cur[0]) st = expand(&l, cur);
    if (st == CT_OK && l.n == 0) st = ct_error(CT_ERR_INVALID_ARG, "no schedules given");
    if (st != CT_OK) {
        free(l.v);
        return st;
    }
    *arms = l.v;
    *n = l.n;
    return CT_OK;
}

ct_status ct_compare_parse_shard(const char *s, int *i, int *n)
{
    char tail;
    if (sscanf(s, "%d/%d%c", i, n, &tail) != 2 || *n < 1 || *i < 1 || *i > *n)
        return ct_error(CT_ERR_INVALID_ARG, "--shard '%s': expected I/N with 1 <= I <= N", s);
    return CT_OK;
}

int ct_compare_in_shard(int k, int shard_i, int shard_n)
{
    return k % shard_n == shard_i - 1;
}

static const ct_cmp_result *find(const ct_cmp_result *res, int n, int arm, int seed)
{
    for (int i = 0; i < n; i++)
        if (res[i].arm == arm && res[i].seed == seed) return &res[i];
    return NULL;
}

static int cmp_result(const void *a, const void *b)
{
    const ct_cmp_result *x = a, *y = b;
    if (x->arm != y->arm) return x->arm - y->arm;
    return x->seed - y->seed;
}

ct_status ct_compare_report(FILE *out, const ct_cmp_arm *arms, int n_arms, int baseline,
                            const ct_cmp_result *res_in, int n_res, double alpha, int boot)
{
    if (baseline < 0 || baseline >= n_arms)
        return ct_error(CT_ERR_INVALID_ARG, "baseline index %d out of range", baseline);
    /* a canonical order, so merged shards in any order give the same report */
    ct_cmp_result *res = malloc((n_res + 1) * sizeof *res);
    double *fa = malloc((n_res + 1) * sizeof *fa), *ba = malloc((n_res + 1) * sizeof *ba);
    double *pa = malloc((n_res + 1) * sizeof *pa), *pb = malloc((n_res + 1) * sizeof *pb);
    if (res) {
        memcpy(res, res_in, n_res * sizeof *res);
        qsort(res, (size_t)n_res, sizeof *res, cmp_result);
    }
    if (!res || !fa || !ba || !pa || !pb) {
        free(res), free(fa), free(ba), free(pa), free(pb);
        return ct_error(CT_ERR_HOST_OOM, "out of memory");
    }
    int conf = (int)lround(100 * (1 - alpha));
    fprintf(out, "| schedule | runs | final acc %% (mean ± sd) | %d %% CI | best acc %% (mean ± sd) "
                 "| %d %% CI |\n|---|---:|---:|---:|---:|---:|\n", conf, conf);
    for (int a = 0; a < n_arms; a++) {
        int m = 0;
        for (int i = 0; i < n_res; i++)
            if (res[i].arm == a) fa[m] = 100 * res[i].final_acc, ba[m++] = 100 * res[i].best_acc;
        ct_summary sf = ct_stats_summary(fa, (size_t)m, alpha), sb = ct_stats_summary(ba, (size_t)m, alpha);
        fprintf(out, "| `%s`%s | %d | %.2f ± %.2f | [%.2f, %.2f] | %.2f ± %.2f | [%.2f, %.2f] |\n",
                arms[a].spec, arms[a].lr > 0 ? " (own lr)" : "", m, sf.mean, sf.sd, sf.ci_lo,
                sf.ci_hi, sb.mean, sb.sd, sb.ci_lo, sb.ci_hi);
    }
    fprintf(out, "\nPaired differences in final accuracy against the baseline `%s` (same seed = "
                 "same initial weights and data order):\n\n| schedule | pairs | mean diff (points) "
                 "| t-test p | t %d %% CI | bootstrap %d %% CI | MDE (power .8) |\n"
                 "|---|---:|---:|---:|---:|---:|---:|\n", arms[baseline].spec, conf, conf);
    int any_sig = 0, max_pairs = 0;
    double worst_mde = 0;
    for (int a = 0; a < n_arms; a++) {
        if (a == baseline) continue;
        int m = 0;
        for (int i = 0; i < n_res; i++) {
            if (res[i].arm != a) continue;
            const ct_cmp_result *b = find(res, n_res, baseline, res[i].seed);
            if (!b) continue;
            pa[m] = 100 * b->final_acc;
            pb[m++] = 100 * res[i].final_acc;
        }
        ct_paired p = ct_stats_paired(pa, pb, (size_t)m, alpha, boot, 0x5eed + (uint64_t)a);
        fprintf(out, "| `%s` | %d | %+.2f | %.3g | [%+.2f, %+.2f] | [%+.2f, %+.2f] | %.2f |\n",
                arms[a].spec, m, p.mean_diff, p.p, p.ci_lo, p.ci_hi, p.boot_lo, p.boot_hi, p.mde);
        if (m >= 2 && p.p < alpha) any_sig = 1;
        if (m > max_pairs) max_pairs = m;
        if (isfinite(p.mde) && p.mde > worst_mde) worst_mde = p.mde;
    }
    fprintf(out, "\n**Verdict:** ");
    if (n_arms < 2 || max_pairs < 2) {
        fprintf(out, "not enough paired runs for a test (need at least 2 seeds per schedule).\n");
    } else if (!any_sig) {
        fprintf(out, "no detectable difference from `%s` at α = %g with n = %d; the minimal "
                     "detectable effect is ≈ %.2f points of accuracy.\n",
                arms[baseline].spec, alpha, max_pairs, worst_mde);
    } else {
        fprintf(out, "at α = %g with n = %d, ", alpha, max_pairs);
        int first = 1;
        for (int a = 0; a < n_arms; a++) {
            if (a == baseline) continue;
            int m = 0;
            for (int i = 0; i < n_res; i++) {
                const ct_cmp_result *b;
                if (res[i].arm == a && (b = find(res, n_res, baseline, res[i].seed)))
                    pa[m] = 100 * b->final_acc, pb[m++] = 100 * res[i].final_acc;
            }
            ct_paired p = ct_stats_paired(pa, pb, (size_t)m, alpha, 0, 0);
            if (m >= 2 && p.p < alpha) {
                fprintf(out, "%s`%s` is %s than `%s` by %.2f points (p = %.3g)", first ? "" : "; ",
                        arms[a].spec, p.mean_diff > 0 ? "better" : "worse", arms[baseline].spec,
                        fabs(p.mean_diff), p.p);
                first = 0;
            }
        }
        fprintf(out, "; the others show no detectable difference (uncorrected for multiple "
                     "comparisons).\n");
    }
    free(res), free(fa), free(ba), free(pa), free(pb);
    return CT_OK;
}
