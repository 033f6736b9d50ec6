/* `cltrain compare` library: schedule-list parsing with sweeps and per-arm lr, sharding covers
 * every run exactly once, and the report's statistics and verdicts on constructed results. */
#include <stdlib.h>
#include <string.h>

#include "cltrain/compare.h"
#include "util.h"

static int report_contains(const ct_cmp_arm *arms, int n_arms, const ct_cmp_result *r, int n,
                           const char *needle, char *text, size_t cap)
{
    FILE *f = tmpfile();
    if (!f) return 0;
    T_OK(ct_compare_report(f, arms, n_arms, 0, r, n, 0.05, 1000));
    rewind(f);
    size_t len = fread(text, 1, cap - 1, f);
    text[len] = '\0';
    fclose(f);
    return strstr(text, needle) != NULL;
}

int main(void)
{
    ct_cmp_arm *arms;
    int n;
    T_OK(ct_compare_parse_arms("one_cycle,flat_cos,godzi:amp=0.3,freq=50,flat_cos_spike", &arms, &n));
    T_CHECK(n == 4, "4 arms, got %d", n);
    if (n == 4) {
        T_CHECK(!strcmp(arms[2].spec, "godzi:amp=0.3,freq=50"), "preset params kept: %s", arms[2].spec);
        T_CHECK(!strcmp(arms[3].spec, "flat_cos_spike"), "last arm %s", arms[3].spec);
    }
    free(arms);
    T_OK(ct_compare_parse_arms("godzi:amp=0.1|0.3|0.6,freq=50|25", &arms, &n));
    T_CHECK(n == 6, "2 sweeps multiply: %d", n);
    if (n == 6) {
        T_CHECK(!strcmp(arms[0].spec, "godzi:amp=0.1,freq=50"), "first %s", arms[0].spec);
        T_CHECK(!strcmp(arms[5].spec, "godzi:amp=0.6,freq=25"), "last %s", arms[5].spec);
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) T_CHECK(strcmp(arms[i].slug, arms[j].slug), "slugs unique");
    }
    free(arms);
    T_OK(ct_compare_parse_arms("flat_cos@8e-3,one_cycle@0.004,"
                               "lr=cos(1/25,1)@0.3+cos(1,1e-5)@0.7", &arms, &n));
    T_CHECK(n == 3 && arms[0].lr == 8e-3 && arms[1].lr == 0.004 && arms[2].lr == 0,
            "per-arm lr: %d arms", n);
    if (n == 3) {
        T_CHECK(!strcmp(arms[0].spec, "flat_cos"), "lr suffix stripped: %s", arms[0].spec);
        T_CHECK(!strcmp(arms[2].spec, "lr=cos(1/25,1)@0.3+cos(1,1e-5)@0.7"),
                "composed spec keeps commas and @: %s", arms[2].spec);
    }
    free(arms);
    T_CHECK(ct_compare_parse_arms("one_cycle,one_cycle", &arms, &n) == CT_ERR_INVALID_ARG,
            "duplicate arm rejected");
    T_CHECK(ct_compare_parse_arms("flat_cos@-1", &arms, &n) == CT_ERR_INVALID_ARG, "bad lr");
    T_CHECK(ct_compare_parse_arms("", &arms, &n) == CT_ERR_INVALID_ARG, "empty list");

    /* sharding: 4 arms x 5 seeds over 3 shards -> every run exactly once */
    int i, sn, seen[20] = {0};
    T_OK(ct_compare_parse_shard("2/3", &i, &sn));
    T_CHECK(i == 2 && sn == 3, "shard parse");
    T_CHECK(ct_compare_parse_shard("0/3", &i, &sn) != CT_OK, "shard 0 invalid");
    T_CHECK(ct_compare_parse_shard("4/3", &i, &sn) != CT_OK, "shard 4/3 invalid");
    T_CHECK(ct_compare_parse_shard("1/3x", &i, &sn) != CT_OK, "trailing junk");
    for (int s = 1; s <= 3; s++)
        for (int k = 0; k < 20; k++) seen[k] += ct_compare_in_shard(k, s, 3);
    int once = 1;
    for (int k = 0; k < 20; k++) once &= seen[k] == 1;
    T_CHECK(once, "every run in exactly one shard");

    /* report: baseline vs a clearly better arm and a same-as-baseline arm, 5 seeds */
    ct_cmp_arm ra[3];
    memset(ra, 0, sizeof ra);
    strcpy(ra[0].spec, "one_cycle");
    strcpy(ra[1].spec, "flat_cos");
    strcpy(ra[2].spec, "godzi");
    ct_cmp_result r[15];
    memset(r, 0, sizeof r);
    const double base[5] = {0.90, 0.91, 0.905, 0.895, 0.90};
    const double jitter[5] = {0.001, -0.002, 0.0015, 0.0, -0.0005}; /* sums to 0 */
    for (int s = 0; s < 5; s++) {
        r[s] = (ct_cmp_result){.arm = 0, .seed = s, .final_acc = base[s], .best_acc = base[s] + 0.002};
        r[5 + s] = (ct_cmp_result){.arm = 1, .seed = s, .final_acc = base[s] + 0.02 + jitter[s],
                                   .best_acc = base[s] + 0.021};
        r[10 + s] = (ct_cmp_result){.arm = 2, .seed = s, .final_acc = base[s] + jitter[s],
                                    .best_acc = base[s]};
    }
    static char text[16384];
    T_CHECK(report_contains(ra, 3, r, 15, "`flat_cos` is better than `one_cycle` by 2.00 points",
                            text, sizeof text), "verdict names the better arm:\n%s", text);
    T_CHECK(strstr(text, "| `one_cycle` | 5 | 90.20 ± 0.57") != NULL, "baseline summary row:\n%s", text);
    /* the godzi arm alone against the baseline: no detectable difference */
    ct_cmp_result r2[10];
    memcpy(r2, r, 5 * sizeof *r);
    memcpy(r2 + 5, r + 10, 5 * sizeof *r);
    for (int k = 5; k < 10; k++) r2[k].arm = 1;
    ct_cmp_arm ra2[2] = {ra[0], ra[2]};
    T_CHECK(report_contains(ra2, 2, r2, 10, "no detectable difference from `one_cycle` at α = 0.05 "
                            "with n = 5", text, sizeof text), "null verdict:\n%s", text);
    /* merging shards: results in any order give the same report */
    static char text2[16384];
    ct_cmp_result shuffled[15];
    for (int k = 0; k < 15; k++) shuffled[k] = r[(k * 7) % 15];
    report_contains(ra, 3, r, 15, "", text, sizeof text);
    report_contains(ra, 3, shuffled, 15, "", text2, sizeof text2);
    T_CHECK(!strcmp(text, text2), "report independent of result order (shard merge)");
    /* a missing seed in one arm pairs only the common seeds */
    T_CHECK(report_contains(ra, 3, r + 1, 14, "| `flat_cos` | 5 |", text, sizeof text) &&
                strstr(text, "| `godzi` | 5 | ") != NULL,
            "pairs counted over seeds present in both:\n%s", text);
    return t_finish("test_compare");
}
