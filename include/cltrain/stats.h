/* Statistics for schedule comparisons: summaries, Student-t distribution, paired t-test,
 * bootstrap confidence intervals, minimal detectable effect. Pure C, no OpenCL, no I/O. */
#ifndef CLTRAIN_STATS_H
#define CLTRAIN_STATS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    size_t n;
    double mean, sd;      /* sample standard deviation (n - 1) */
    double ci_lo, ci_hi;  /* two-sided t confidence interval for the mean */
} ct_summary;

/* Mean, sd and the (1 - alpha) t-interval of x[0..n). n == 1 gives sd 0 and an infinite CI. */
ct_summary ct_stats_summary(const double *x, size_t n, double alpha);

/* Student-t with df degrees of freedom: CDF P(T <= t), and the quantile q with CDF(q) = p. */
double ct_t_cdf(double t, double df);
double ct_t_quantile(double p, double df);
/* Regularised incomplete beta I_x(a, b) (exposed for tests). */
double ct_betainc(double a, double b, double x);

typedef struct {
    size_t n;
    double mean_diff, sd_diff; /* of d_i = b_i - a_i */
    double t, p;               /* paired t statistic and two-sided p-value (p = 1 if sd = 0) */
    double ci_lo, ci_hi;       /* t-interval of the mean difference */
    double boot_lo, boot_hi;   /* percentile bootstrap interval of the mean difference */
    double mde;                /* minimal detectable effect at power 0.8, two-sided alpha */
} ct_paired;

/* Paired comparison of b against a (b - a), n pairs; `boot` resamples with a fixed seed. */
ct_paired ct_stats_paired(const double *a, const double *b, size_t n, double alpha, int boot,
                          uint64_t seed);

/* Percentile bootstrap (1 - alpha) interval of the mean of x; deterministic for a seed. */
void ct_stats_bootstrap_mean(const double *x, size_t n, int reps, double alpha, uint64_t seed,
                             double *lo, double *hi);

#ifdef __cplusplus
}
#endif
#endif
