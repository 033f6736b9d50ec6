/* Plain-C double reference for the label-smoothing cross-entropy and top-1/top-5 correctness.
 * Test-only; written from fastai's formula, shares no code with kernels/loss.cl. */
#include <math.h>
#include <stdlib.h>

#include "ref.h"

/* log-softmax of one row (max subtracted) into lp[0..c) */
static void log_softmax(double *lp, const double *x, int c)
{
    double mx = x[0], s = 0;
    for (int j = 1; j < c; j++)
        mx = x[j] > mx ? x[j] : mx;
    for (int j = 0; j < c; j++)
        s += exp(x[j] - mx);
    for (int j = 0; j < c; j++)
        lp[j] = x[j] - mx - log(s);
}

double ref_xent_forward(double *loss, const double *logits, const int *labels, int n, int c,
                        double eps)
{
    double *lp = malloc((size_t)c * sizeof *lp), total = 0;
    if (!lp) return NAN;
    for (int i = 0; i < n; i++) {
        log_softmax(lp, logits + (size_t)i * c, c);
        double smooth = 0;
        for (int j = 0; j < c; j++)
            smooth -= lp[j];
        double li = eps / c * smooth + (1 - eps) * -lp[labels[i]];
        if (loss) loss[i] = li;
        total += li;
    }
    free(lp);
    return total / n;
}

void ref_xent_backward(double *dlogits, const double *logits, const int *labels, int n, int c,
                       double eps)
{
    for (int i = 0; i < n; i++) {
        double *d = dlogits + (size_t)i * c;
        log_softmax(d, logits + (size_t)i * c, c);
        for (int j = 0; j < c; j++)
            d[j] = (exp(d[j]) - (j == labels[i] ? 1 - eps : 0) - eps / c) / n;
    }
}

void ref_topk_correct(int *correct, const double *logits, const int *labels, int n, int c)
{
    char *taken = malloc((size_t)c);
    if (!taken) return;
    for (int i = 0; i < n; i++) {
        const double *x = logits + (size_t)i * c;
        for (int j = 0; j < c; j++)
            taken[j] = 0;
        correct[i] = 0;
        for (int r = 0; r < 5 && r < c; r++) {
            int best = -1;
            for (int j = 0; j < c; j++)
                if (!taken[j] && (best < 0 || x[j] > x[best])) best = j;
            taken[best] = 1;
            if (best == labels[i]) correct[i] = (r == 0 ? 1 : 0) | 2;
        }
    }
    free(taken);
}
