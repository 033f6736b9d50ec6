/* Summaries, the Student-t distribution (through the regularised incomplete beta function, by
 * its continued fraction), paired t-tests and bootstrap intervals. Pure maths; no allocation
 * beyond one scratch array, no I/O. */
#include <math.h>
#include <stdlib.h>

#include "cltrain/stats.h"

ct_summary ct_stats_summary(const double *x, size_t n, double alpha)
{
    ct_summary s = {n, 0, 0, -INFINITY, INFINITY};
    if (n == 0) {
        s.mean = s.sd = NAN;
        return s;
    }
    for (size_t i = 0; i < n; i++) s.mean += x[i];
    s.mean /= (double)n;
    if (n < 2) return s;
    double ss = 0;
    for (size_t i = 0; i < n; i++) ss += (x[i] - s.mean) * (x[i] - s.mean);
    s.sd = sqrt(ss / (double)(n - 1));
    double half = ct_t_quantile(1 - alpha / 2, (double)(n - 1)) * s.sd / sqrt((double)n);
    s.ci_lo = s.mean - half;
    s.ci_hi = s.mean + half;
    return s;
}

/* Continued fraction for I_x(a,b) (modified Lentz), valid for x < (a+1)/(a+b+2). */
static double betacf(double a, double b, double x)
{
    const double tiny = 1e-300, eps = 1e-15;
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    if (fabs(d) < tiny) d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 10000; m++) {
        double m2 = 2.0 * m;
        double num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
        d = 1 + num * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1 + num / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        h *= d * c;
        num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
        d = 1 + num * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1 + num / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        double delta = d * c;
        h *= delta;
        if (fabs(delta - 1) < eps) break;
    }
    return h;
}

double ct_betainc(double a, double b, double x)
{
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    if (x < (a + 1) / (a + b + 2)) return exp(lbt) * betacf(a, b, x) / a;
    return 1 - exp(lbt) * betacf(b, a, 1 - x) / b;
}

double ct_t_cdf(double t, double df)
{
    if (isnan(t) || df <= 0) return NAN;
    if (isinf(t)) return t > 0 ? 1 : 0;
    double x = df / (df + t * t);
    double tail = 0.5 * ct_betainc(df / 2, 0.5, x); /* P(T > |t|) */
    return t > 0 ? 1 - tail : tail;
}

double ct_t_quantile(double p, double df)
{
    if (!(p > 0 && p < 1) || df <= 0) return p == 1 ? INFINITY : p == 0 ? -INFINITY : NAN;
    if (p < 0.5) return -ct_t_quantile(1 - p, df);
    double lo = 0, hi = 1;
    while (ct_t_cdf(hi, df) < p && hi < 1e12) hi *= 2;
    for (int i = 0; i < 200 && hi - lo > 1e-13 * (1 + hi); i++) {
        double mid = 0.5 * (lo + hi);
        if (ct_t_cdf(mid, df) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* splitmix64: the bootstrap's own RNG, so results depend only on the seed */
static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Quantile of sorted v by linear interpolation between order statistics (numpy's default). */
static double sorted_quantile(const double *v, size_t n, double q)
{
    double h = (n - 1) * q;
    size_t i = (size_t)floor(h);
    if (i + 1 >= n) return v[n - 1];
    return v[i] + (h - i) * (v[i + 1] - v[i]);
}

void ct_stats_bootstrap_mean(const double *x, size_t n, int reps, double alpha, uint64_t seed,
                             double *lo, double *hi)
{
    *lo = -INFINITY;
    *hi = INFINITY;
    if (n == 0 || reps <= 0) return;
    double *means = malloc((size_t)reps * sizeof *means);
    if (!means) return;
    uint64_t s = seed;
    for (int r = 0; r < reps; r++) {
        double sum = 0;
        for (size_t i = 0; i < n; i++) sum += x[splitmix(&s) % n];
        means[r] = sum / (double)n;
    }
    qsort(means, (size_t)reps, sizeof *means, cmp_double);
    *lo = sorted_quantile(means, (size_t)reps, alpha / 2);
    *hi = sorted_quantile(means, (size_t)reps, 1 - alpha / 2);
    free(means);
}

ct_paired ct_stats_paired(const double *a, const double *b, size_t n, double alpha, int boot,
                          uint64_t seed)
{
    ct_paired r = {.n = n, .p = NAN, .t = NAN};
    double *d = calloc(n ? n : 1, sizeof *d);
    if (!d) return r;
    for (size_t i = 0; i < n; i++) d[i] = b[i] - a[i];
    ct_summary s = ct_stats_summary(d, n, alpha);
    r.mean_diff = s.mean;
    r.sd_diff = s.sd;
    r.ci_lo = s.ci_lo;
    r.ci_hi = s.ci_hi;
    if (n >= 2) {
        double df = (double)(n - 1), se = s.sd / sqrt((double)n);
        if (se > 0) {
            r.t = s.mean / se;
            r.p = 2 * ct_t_cdf(-fabs(r.t), df);
        } else {
            r.t = s.mean == 0 ? 0 : copysign(INFINITY, s.mean);
            r.p = s.mean == 0 ? 1 : 0;
        }
        /* smallest true mean difference a two-sided test at alpha detects with power 0.8 */
        r.mde = (ct_t_quantile(1 - alpha / 2, df) + ct_t_quantile(0.8, df)) * se;
    } else {
        r.mde = INFINITY;
    }
    ct_stats_bootstrap_mean(d, n, boot, alpha, seed, &r.boot_lo, &r.boot_hi);
    free(d);
    return r;
}
