/* Plain-C double reference for batchnorm2d (training and eval forward, backward), NCHW.
 * Test-only; written from the formulas, shares no code with kernels/batchnorm.cl. */
#include <math.h>
#include <stddef.h>

#include "ref.h"

#define AT(k, ch, p) (((size_t)(k)*c + (ch)) * hw + (p))

/* batch mean and biased variance of channel ch */
static void channel_stats(const double *x, int n, int c, int hw, int ch, double *mean, double *var)
{
    double m = (double)n * hw, s = 0, ss = 0;
    for (int k = 0; k < n; k++)
        for (int p = 0; p < hw; p++)
            s += x[AT(k, ch, p)];
    s /= m;
    for (int k = 0; k < n; k++)
        for (int p = 0; p < hw; p++)
            ss += (x[AT(k, ch, p)] - s) * (x[AT(k, ch, p)] - s);
    *mean = s;
    *var = ss / m;
}

static void normalise(double *out, const double *x, double mean, double var, double g, double b,
                      int n, int c, int hw, int ch, double eps)
{
    for (int k = 0; k < n; k++)
        for (int p = 0; p < hw; p++)
            out[AT(k, ch, p)] = (x[AT(k, ch, p)] - mean) / sqrt(var + eps) * g + b;
}

void ref_bn_forward_train(double *out, double *mean, double *rstd, double *run_mean,
                          double *run_var, const double *x, const double *gamma, const double *beta,
                          int n, int c, int hw, double eps, double momentum)
{
    double m = (double)n * hw;
    for (int ch = 0; ch < c; ch++) {
        double mu, var;
        channel_stats(x, n, c, hw, ch, &mu, &var);
        normalise(out, x, mu, var, gamma[ch], beta[ch], n, c, hw, ch, eps);
        if (mean) mean[ch] = mu;
        if (rstd) rstd[ch] = 1.0 / sqrt(var + eps);
        if (run_mean) run_mean[ch] = (1 - momentum) * run_mean[ch] + momentum * mu;
        if (run_var) run_var[ch] = (1 - momentum) * run_var[ch] + momentum * var * m / (m - 1);
    }
}

void ref_bn_forward_eval(double *out, const double *x, const double *gamma, const double *beta,
                         const double *run_mean, const double *run_var, int n, int c, int hw,
                         double eps)
{
    for (int ch = 0; ch < c; ch++)
        normalise(out, x, run_mean[ch], run_var[ch], gamma[ch], beta[ch], n, c, hw, ch, eps);
}

void ref_bn_backward(double *dx, double *dgamma, double *dbeta, const double *dy, const double *x,
                     const double *gamma, int n, int c, int hw, double eps)
{
    double m = (double)n * hw;
    for (int ch = 0; ch < c; ch++) {
        double mu, var;
        channel_stats(x, n, c, hw, ch, &mu, &var);
        double rs = 1.0 / sqrt(var + eps), sdy = 0, sdyx = 0;
        for (int k = 0; k < n; k++)
            for (int p = 0; p < hw; p++) {
                size_t i = AT(k, ch, p);
                sdy += dy[i];
                sdyx += dy[i] * (x[i] - mu) * rs;
            }
        dbeta[ch] = sdy;
        dgamma[ch] = sdyx;
        if (!dx) continue;
        for (int k = 0; k < n; k++)
            for (int p = 0; p < hw; p++) {
                size_t i = AT(k, ch, p);
                dx[i] = gamma[ch] * rs / m * (m * dy[i] - sdy - (x[i] - mu) * rs * sdyx);
            }
    }
}
