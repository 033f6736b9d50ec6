/* Schedule experiments: the grid of (schedule arm x seed) runs, sharding it over machines, and the
 * statistical report over finished runs. Pure host C; running a training is the caller's job.
 *
 *     ct_cmp_arm *arms; int n_arms;
 *     ct_compare_parse_arms("one_cycle,flat_cos,godzi:amp=0.1|0.3", &arms, &n_arms); // 4 arms
 *     for (int k = 0; k < n_arms * n_seeds; k++)          // run k = (arm k / n_seeds, seed k % n)
 *         if (ct_compare_in_shard(k, shard_i, shard_n)) ... train arms[k / n_seeds] with seed ...
 *     ct_compare_report(stdout, arms, n_arms, 0, results, n_results, 0.05, 2000);
 */
#ifndef CLTRAIN_COMPARE_H
#define CLTRAIN_COMPARE_H

#include <stdio.h>

#include "cltrain/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    char spec[512]; /* schedule spec given to the trainer */
    double lr;      /* per-arm learning rate from a "SPEC@LR" suffix; 0: the --lr flag */
    char slug[160]; /* file-system-safe name, unique within the grid */
} ct_cmp_arm;

/* Split a comma-separated list of specs into arms. A comma at parenthesis depth 0 starts a new
 * spec unless the next token is a bare key=value (it continues the previous preset's
 * parameters). "key=a|b|c" expands one spec into several (sweeps; several sweeps multiply).
 * "SPEC@LR" sets that arm's lr. *arms is malloc'd. Duplicate arms are an error. */
CT_NODISCARD ct_status ct_compare_parse_arms(const char *list, ct_cmp_arm **arms, int *n);

/* "I/N" with 1 <= I <= N. */
CT_NODISCARD ct_status ct_compare_parse_shard(const char *s, int *i, int *n);
/* Run k belongs to shard i of n (1-based) when k % n == i - 1: every run in exactly one shard. */
int ct_compare_in_shard(int k, int shard_i, int shard_n);

typedef struct {
    int arm, seed;
    double final_acc, best_acc; /* fractions in [0, 1] */
    int n_epoch;
    double valid_loss[256]; /* per epoch */
} ct_cmp_result;

/* The per-arm summaries (mean, sd, 95 % CI of final and best accuracy), the paired differences
 * against arms[baseline] over the seeds both finished (paired t-test p, bootstrap CI with `boot`
 * resamples and a fixed seed), the minimal detectable effect and a verdict, as markdown. */
CT_NODISCARD ct_status ct_compare_report(FILE *out, const ct_cmp_arm *arms, int n_arms,
                                         int baseline, const ct_cmp_result *res, int n_res,
                                         double alpha, int boot);

#ifdef __cplusplus
}
#endif
#endif
