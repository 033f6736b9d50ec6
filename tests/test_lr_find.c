/* lr_find arithmetic against fastai: the debiased smoothed loss and the valley / slide / minimum /
 * steep suggestions on synthetic curves, golden values from tests/gen/lr_suggest_ref.py (torch). */
#include <math.h>
#include <stdlib.h>

#include "cltrain/learner.h"
#include "util.h"

static void one_curve(const t_golden *g, int c)
{
    char name[64];
    const t_tensor *meta, *lrs, *raw, *sm, *sug;
#define GET(var, leaf)                                                                             \
    snprintf(name, sizeof name, "c%d." leaf, c);                                                   \
    if (!(var = t_golden_get(g, name))) {                                                          \
        T_CHECK(0, "golden %s missing", name);                                                     \
        return;                                                                                    \
    }
    GET(meta, "meta");
    GET(lrs, "lrs");
    GET(raw, "raw");
    GET(sm, "smooth");
    GET(sug, "sug");
    int num_it = (int)meta->data[0], n = (int)meta->data[1];
    double *l = malloc(sizeof(double) * (size_t)n), *s = malloc(sizeof(double) * (size_t)n);
    double *mine = malloc(sizeof(double) * (size_t)n);
    ct_smooth st;
    ct_smooth_init(&st, 0.98);
    int finite = 0;
    for (int i = 0; i < n; i++) {
        l[i] = lrs->data[i];
        s[i] = sm->data[i];
        mine[i] = ct_smooth_add(&st, raw->data[i]);
        if (!isnan(s[i])) finite = i + 1;
    }
    double *ref = malloc(sizeof(double) * (size_t)n);
    for (int i = 0; i < finite; i++) ref[i] = s[i];
    float *got = malloc(sizeof(float) * (size_t)n);
    for (int i = 0; i < finite; i++) got[i] = (float)mine[i];
    snprintf(name, sizeof name, "curve %d smoothed loss", c);
    t_close(name, got, ref, (size_t)finite, 1e-6, 1e-6);

    ct_lr_suggestions r;
    T_OK(ct_lr_suggest(l, s, n, num_it, &r));
    float g4[4] = {(float)r.valley, (float)r.slide, (float)r.minimum, (float)r.steep};
    double want[4] = {sug->data[0], sug->data[1], sug->data[2], sug->data[3]};
    snprintf(name, sizeof name, "curve %d valley/slide/minimum/steep", c);
    t_close(name, g4, want, 4, 0, 1e-6);
    free(l), free(s), free(mine), free(ref), free(got);
}

int main(void)
{
    t_golden *g = t_golden_load("lr_suggest.bin");
    if (!g) return T_SETUP;
    for (int c = 0; c < 4; c++) one_curve(g, c);
    t_golden_free(g);

    /* too few points after the slice is an error, not a crash */
    double lr[8] = {1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1}, loss[8] = {3, 2, 1, 2, 3, 4, 5, 6};
    ct_lr_suggestions r;
    T_CHECK(ct_lr_suggest(lr, loss, 6, 100, &r) == CT_ERR_INVALID_ARG, "6 points of 100 accepted");
    /* a hand-checked curve (num_it 0: the slice is [0, 12 - 5)) */
    double lr2[12], loss2[12] = {5, 4, 3, 2, 1, 1.5, 2, 2.5, 3, 9, 9, 9};
    for (int i = 0; i < 12; i++) lr2[i] = pow(10, -6 + i);
    T_OK(ct_lr_suggest(lr2, loss2, 12, 0, &r));
    /* 5,4,3,2,1,1.5,2: the longest decreasing run ends at index 4 with length 5, so max_start =
     * -1, sections = 5/3, idx = -1 + 1 + 0 = 0 -> lr 1e-6; minimum at index 4 -> 1e-2 / 10;
     * steepest interval: every drop is 1 per decade, the first (index 0) wins */
    T_CHECK(fabs(r.valley - 1e-6) < 1e-18, "valley %g", r.valley);
    T_CHECK(fabs(r.minimum - 1e-3) < 1e-15, "minimum %g", r.minimum);
    T_CHECK(fabs(r.steep - 1e-6) < 1e-18, "steep %g", r.steep);
    T_CHECK(isnan(r.slide), "slide needs more than 15 points: %g", r.slide);
    /* 2, 1: lds[1] = 2, max_start = -1, sections 2/3, idx = -1 -> the last point (Python) */
    double up[7] = {2, 1, 3, 4, 5, 6, 7};
    T_OK(ct_lr_suggest(lr2, up, 7, 0, &r));
    T_CHECK(fabs(r.valley - 1e-5) < 1e-18, "rising valley %g (want the last point, 1e-5)", r.valley);
    return t_finish("test_lr_find");
}
