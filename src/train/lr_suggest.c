/* fastai's smoothed loss and lr_find suggestion functions (valley, slide, minimum, steep).
 * Pure host arithmetic on recorded (lr, loss) arrays: no device, no I/O. */
#include <math.h>
#include <stdlib.h>

#include "cltrain/learner.h"

void ct_smooth_init(ct_smooth *s, double beta)
{
    s->beta = beta;
    s->val = 0;
    s->count = 0;
}

double ct_smooth_add(ct_smooth *s, double loss)
{
    s->val = s->beta * s->val + (1 - s->beta) * loss; /* torch.lerp(loss, val, beta) */
    s->count++;
    return ct_smooth_value(s);
}

double ct_smooth_value(const ct_smooth *s)
{
    if (s->count == 0) return NAN;
    return s->val / (1 - pow(s->beta, (double)s->count));
}

/* Longest strictly decreasing subsequence, treated as a contiguous span (fastai valley). */
static int valley_index(const double *loss, int n)
{
    int *lds = malloc(sizeof(int) * (size_t)n);
    if (!lds) return -1;
    int max_start = 0, max_end = 0;
    for (int i = 0; i < n; i++) lds[i] = 1;
    for (int i = 1; i < n; i++)
        for (int j = 0; j < i; j++) {
            if (loss[i] < loss[j] && lds[i] < lds[j] + 1) lds[i] = lds[j] + 1;
            if (lds[max_end] < lds[i]) {
                max_end = i;
                max_start = max_end - lds[max_end];
            }
        }
    free(lds);
    double sections = (max_end - max_start) / 3.0;
    int idx = max_start + (int)sections + (int)(sections / 2);
    return idx < 0 ? idx + n : idx; /* max_start can be -1: Python then indexes from the end */
}

/* numpy.gradient with unit spacing: central inside, one-sided at the ends. */
static void np_gradient(const double *y, int n, double *g)
{
    if (n == 1) {
        g[0] = 0;
        return;
    }
    g[0] = y[1] - y[0];
    g[n - 1] = y[n - 1] - y[n - 2];
    for (int i = 1; i < n - 1; i++) g[i] = (y[i + 1] - y[i - 1]) / 2;
}

/* numpy.interp of x in (xs ascending, ys), clamped at the ends. */
static double interp(double x, const double *xs, const double *ys, int n)
{
    if (x <= xs[0]) return ys[0];
    if (x >= xs[n - 1]) return ys[n - 1];
    for (int i = 1; i < n; i++)
        if (x <= xs[i]) {
            double t = (x - xs[i - 1]) / (xs[i] - xs[i - 1]);
            return ys[i - 1] + t * (ys[i] - ys[i - 1]);
        }
    return ys[n - 1];
}

/* The loss curve at lr x, interpolated in log10(lr) (NAN without memory). */
static double loss_at(double x, const double *lr, const double *loss, int n)
{
    double *logx = malloc(sizeof(double) * (size_t)n);
    if (!logx) return NAN;
    for (int i = 0; i < n; i++) logx[i] = log10(lr[i]);
    double y = interp(log10(x), logx, loss, n);
    free(logx);
    return y;
}

/* fastai slide(lr_diff=15, thresh=.005, adjust_value=1): indices count from the end. */
static double slide(const double *lr, const double *loss, int n, double *at_loss)
{
    const int lr_diff = 15;
    const double thresh = 0.005;
    double *g = malloc(sizeof(double) * (size_t)n);
    if (!g || n <= lr_diff) {
        free(g);
        *at_loss = NAN;
        return NAN;
    }
    np_gradient(loss, n, g);
    int r = n - 1, l = r - lr_diff;
    double local_min = lr[l];
    while (l >= 0 && fabs(g[r] - g[l]) > thresh) {
        local_min = lr[l];
        r--, l--;
    }
    *at_loss = loss_at(local_min, lr, loss, n);
    free(g);
    return local_min;
}

ct_status ct_lr_suggest(const double *lrs, const double *losses, int n, int num_it,
                        ct_lr_suggestions *out)
{
    out->valley = out->slide = out->minimum = out->steep = NAN;
    out->valley_loss = out->slide_loss = out->minimum_loss = out->steep_loss = NAN;
    int first = num_it / 10, end = n - 5;
    for (int i = first; i < end; i++)
        if (isnan(losses[i])) {
            end = i;
            break;
        }
    out->first = first;
    out->n = end - first;
    if (out->n < 2)
        return ct_error(CT_ERR_INVALID_ARG, "lr_suggest.c: %d recorded points leave %d after "
                        "dropping the first %d and the last 5 (run more batches)", n,
                        out->n < 0 ? 0 : out->n, first);
    const double *lr = lrs + first, *loss = losses + first;
    int m = out->n;

    int vi = valley_index(loss, m);
    if (vi < 0) return ct_error(CT_ERR_HOST_OOM, "lr_suggest.c: no memory for %d points", m);
    out->valley = lr[vi];
    out->valley_loss = loss[vi];

    out->slide = slide(lr, loss, m, &out->slide_loss);

    int mi = 0;
    for (int i = 1; i < m; i++)
        if (loss[i] < loss[mi]) mi = i;
    out->minimum = lr[mi] / 10;
    out->minimum_loss = loss_at(out->minimum, lr, loss, m); /* on the curve, for the plot */

    int si = 0;
    double best = INFINITY;
    for (int i = 0; i + 1 < m; i++) {
        double slope = (loss[i + 1] - loss[i]) / (log(lr[i + 1]) - log(lr[i]));
        if (slope < best) {
            best = slope;
            si = i;
        }
    }
    out->steep = lr[si];
    out->steep_loss = loss[si];
    return CT_OK;
}
