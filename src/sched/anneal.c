/* Annealers (lin, cos, exp, none, poly, cos_spike) and fastai's combine_scheds as a ct_track.
 * Pure arithmetic: no allocation, no I/O, no OpenCL; positions follow fastai's float32 rules. */
#include <math.h>

#include "cltrain/sched.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static double cos_anneal(double start, double end, double pos)
{
    return start + (1.0 + cos(M_PI * (1.0 - pos))) * (end - start) / 2.0;
}

static double anneal_scaled(const ct_anneal *a, double pos, double scale)
{
    double start = a->start * scale, end = a->end * scale;
    switch (a->kind) {
    case CT_ANNEAL_LIN:
        return start + pos * (end - start);
    case CT_ANNEAL_COS:
        return cos_anneal(start, end, pos);
    case CT_ANNEAL_EXP:
        return start * pow(end / start, pos);
    case CT_ANNEAL_NONE:
        return start;
    case CT_ANNEAL_POLY:
        return start + (end - start) * pow(pos, a->power);
    case CT_ANNEAL_COS_SPIKE:
        return cos_anneal(start, end, pos) *
               (1.0 + a->amp * (sin(a->freq * M_PI * (1.0 - pos)) + a->offset));
    }
    return NAN;
}

double ct_anneal_at(const ct_anneal *a, double pos)
{
    return anneal_scaled(a, pos, 1.0);
}

ct_status ct_track_init(ct_track *t, int n, const double *pcts, const ct_anneal *segs)
{
    if (n < 1 || n > CT_SCHED_MAX_SEG)
        return ct_error(CT_ERR_INVALID_ARG, "sched: %d segments (want 1..%d)", n, CT_SCHED_MAX_SEG);
    double sum = 0.0, acc = 0.0;
    t->n = n;
    t->direct = 0;
    t->bound[0] = 0.0f;
    for (int i = 0; i < n; i++) {
        if (!(pcts[i] >= 0.0) || !isfinite(pcts[i]))
            return ct_error(CT_ERR_INVALID_ARG, "sched: segment %d has fraction %g (want >= 0)",
                            i + 1, pcts[i]);
        t->pct[i] = pcts[i];
        t->seg[i] = segs[i];
        sum += pcts[i];
        /* torch.tensor(pcts) is float32; cumsum accumulates in double on the CPU and rounds
         * each partial sum to float32 */
        acc += (double)(float)pcts[i];
        t->bound[i + 1] = (float)acc;
    }
    if (fabs(sum - 1.0) > 1e-9)
        return ct_error(CT_ERR_INVALID_ARG, "sched: segment fractions sum to %.9g, not 1", sum);
    return CT_OK;
}

double ct_track_at(const ct_track *t, double pos, double scale)
{
    if (t->direct) return anneal_scaled(&t->seg[0], pos, scale);
    /* fastai: (pos >= P) with P float32 compares pos rounded to float32 */
    float pf = (float)pos;
    int idx = 0;
    for (int i = 1; i <= t->n; i++)
        if (pf >= t->bound[i]) idx = i;
    if (idx > t->n - 1) idx = t->n - 1;
    float num = pf - t->bound[idx];
    float den = t->bound[idx + 1] - t->bound[idx];
    float local = num / den;
    return anneal_scaled(&t->seg[idx], (double)local, scale);
}
