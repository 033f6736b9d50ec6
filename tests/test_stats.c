/* Statistics against published values: Student-t quantiles and CDF from standard tables, the
 * incomplete beta at closed-form points, a paired t-test worked by hand, bootstrap determinism. */
#include <math.h>

#include "cltrain/stats.h"
#include "util.h"

static char label[128];
#define CLOSE(got, want, tol, what)                                                                \
    T_CHECK(fabs((got) - (want)) <= (tol), "%s: got %.10g want %.10g", (what), (double)(got),      \
            (double)(want))

int main(void)
{
    /* two-sided 95 % critical values t_{0.975, df} (standard t table) */
    const double df[] = {1, 2, 4, 5, 9, 10, 30, 100};
    const double t975[] = {12.7062047, 4.30265273, 2.77644511, 2.57058184,
                           2.26215716, 2.22813885, 2.04227246, 1.98397152};
    for (int i = 0; i < 8; i++) {
        snprintf(label, sizeof label, "t quantile/cdf at 0.975 and 0.025, df %g", df[i]);
        CLOSE(ct_t_quantile(0.975, df[i]), t975[i], 1e-6, label);
        CLOSE(ct_t_cdf(t975[i], df[i]), 0.975, 1e-9, label);
        CLOSE(ct_t_quantile(0.025, df[i]), -t975[i], 1e-6, label);
    }
    CLOSE(ct_t_quantile(0.95, 10), 1.81246112, 1e-6, "t_0.95 df 10");
    CLOSE(ct_t_quantile(0.8, 4), 0.940965, 1e-5, "t_0.8 df 4");
    CLOSE(ct_t_cdf(1.0, 1), 0.75, 1e-12, "Cauchy cdf(1)");
    CLOSE(ct_t_cdf(0.0, 7), 0.5, 1e-12, "cdf(0)");
    CLOSE(ct_t_cdf(2.0, 2), 0.5 + 1.0 / sqrt(6.0), 1e-12, "df 2 closed form"); /* 1/2+t/(2sqrt(2+t^2)) */
    CLOSE(ct_betainc(2, 3, 0.4), 0.5248, 1e-12, "I_0.4(2,3)");   /* polynomial: 6x^2-8x^3+3x^4 */
    CLOSE(ct_betainc(1, 1, 0.3), 0.3, 1e-12, "I_x(1,1) = x");

    /* summary: 1..5 -> mean 3, sd sqrt(2.5), CI 3 -+ 2.776445*sqrt(2.5)/sqrt(5) */
    double x[] = {1, 2, 3, 4, 5};
    ct_summary s = ct_stats_summary(x, 5, 0.05);
    CLOSE(s.mean, 3.0, 1e-12, "mean");
    CLOSE(s.sd, sqrt(2.5), 1e-12, "sd");
    CLOSE(s.ci_hi - s.mean, 2.77644511 * sqrt(2.5) / sqrt(5.0), 1e-6, "CI half-width");

    /* paired: d = b - a = {1, .5, 1, .1, 1.2}: mean .76, sd sqrt(.203), t = .76/(sd/sqrt5) */
    double a[] = {1, 2, 3, 4, 5}, b[] = {2, 2.5, 4, 4.1, 6.2};
    ct_paired p = ct_stats_paired(a, b, 5, 0.05, 2000, 7);
    double sd = sqrt(0.812 / 4), t = 0.76 / (sd / sqrt(5.0));
    CLOSE(p.mean_diff, 0.76, 1e-12, "paired mean");
    CLOSE(p.sd_diff, sd, 1e-12, "paired sd");
    CLOSE(p.t, t, 1e-9, "paired t");
    CLOSE(p.p, 2 * (1 - ct_t_cdf(t, 4)), 1e-12, "paired p");
    T_CHECK(p.p > 0.01 && p.p < 0.05, "paired p %.4f between table values t_.995=4.604, t_.975", p.p);
    CLOSE(p.mde, (2.77644511 + 0.940965) * sd / sqrt(5.0), 1e-4, "minimal detectable effect");
    T_CHECK(p.boot_lo < 0.76 && p.boot_hi > 0.76 && p.boot_lo >= 0.1 && p.boot_hi <= 1.2,
            "bootstrap CI [%g, %g] inside the data range around the mean", p.boot_lo, p.boot_hi);
    ct_paired p2 = ct_stats_paired(a, b, 5, 0.05, 2000, 7);
    T_CHECK(p2.boot_lo == p.boot_lo && p2.boot_hi == p.boot_hi, "bootstrap fixed seed repeats");
    /* identical runs: no difference, p = 1 */
    ct_paired same = ct_stats_paired(a, a, 5, 0.05, 100, 1);
    T_CHECK(same.p == 1 && same.mean_diff == 0 && same.boot_lo == 0 && same.boot_hi == 0,
            "identical samples: p 1, zero interval");

    /* bootstrap of a large normal-ish sample agrees with the t-interval to within 15 % */
    t_rng r;
    t_rng_seed(&r, 3);
    double big[400];
    for (int i = 0; i < 400; i++) big[i] = 10 + t_normal(&r);
    ct_summary sb = ct_stats_summary(big, 400, 0.05);
    double lo, hi;
    ct_stats_bootstrap_mean(big, 400, 4000, 0.05, 11, &lo, &hi);
    T_CHECK(fabs((hi - lo) - (sb.ci_hi - sb.ci_lo)) < 0.15 * (sb.ci_hi - sb.ci_lo),
            "bootstrap width %g vs t width %g", hi - lo, sb.ci_hi - sb.ci_lo);
    double lo2, hi2;
    ct_stats_bootstrap_mean(big, 400, 4000, 0.05, 12, &lo2, &hi2);
    T_CHECK(lo2 != lo && hi2 != hi, "another seed gives another interval");
    return t_finish("test_stats");
}
