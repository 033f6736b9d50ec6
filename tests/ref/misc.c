/* Plain-C double-precision references for channel-wise scale, the dropout mask (from the RNG's
 * written spec), spectral norm and SimpleSelfAttention. Test-only; shares no code with
 * kernels/misc.cl or src/ops/misc.c. */
#include <math.h>
#include <stdlib.h>

#include "ref.h"

void ref_chscale_forward(double *out, const double *x, const double *gate, int planes, int hw)
{
    for (size_t i = 0; i < (size_t)planes * hw; i++) out[i] = x[i] * gate[i / hw];
}

void ref_chscale_backward(double *dx, double *dgate, const double *dout, const double *x,
                          const double *gate, int planes, int hw)
{
    for (int r = 0; r < planes; r++) {
        double s = 0;
        for (int j = 0; j < hw; j++) {
            size_t i = (size_t)r * hw + j;
            dx[i] = dout[i] * gate[r];
            s += dout[i] * x[i];
        }
        dgate[r] = s;
    }
}

/* ---- dropout: key = mix64(seed ^ mix64(step + golden)); u_i = hash chain of common.cl ------- */

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint32_t hash32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

void ref_dropout_mask(float *mask, size_t n, float p, uint64_t seed, uint64_t step)
{
    uint64_t key = mix64(seed ^ mix64(step + 0x9E3779B97F4A7C15ULL));
    uint32_t lo = (uint32_t)key, hi = (uint32_t)(key >> 32);
    float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
    uint32_t k = hash32(lo ^ hash32(hi + 0x9e3779b9U));
    for (size_t i = 0; i < n; i++) {
        float u = (float)(hash32((uint32_t)i ^ k) >> 8) * (1.0f / 16777216.0f);
        mask[i] = u >= p ? scale : 0.0f;
    }
}

/* ---- spectral norm --------------------------------------------------------------------------- */

static void normalize(double *x, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) s += x[i] * x[i];
    s = sqrt(s);
    if (s < 1e-12) s = 1e-12;
    for (int i = 0; i < n; i++) x[i] /= s;
}

double ref_specnorm_forward(double *w_sn, double *u, double *v, const double *w, int rows,
                            int cols, int update)
{
    if (update) {
        for (int j = 0; j < cols; j++) {
            v[j] = 0;
            for (int i = 0; i < rows; i++) v[j] += w[(size_t)i * cols + j] * u[i];
        }
        normalize(v, cols);
        for (int i = 0; i < rows; i++) {
            u[i] = 0;
            for (int j = 0; j < cols; j++) u[i] += w[(size_t)i * cols + j] * v[j];
        }
        normalize(u, rows);
    }
    double sigma = 0;
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) sigma += u[i] * w[(size_t)i * cols + j] * v[j];
    for (size_t e = 0; w_sn && e < (size_t)rows * cols; e++) w_sn[e] = w[e] / sigma;
    return sigma;
}

void ref_specnorm_backward(double *dw, const double *dw_sn, const double *w, const double *u,
                           const double *v, double sigma, int rows, int cols)
{
    /* w_sn = w / sigma(w), sigma = u^T w v: d sigma / d w = u v^T */
    double gw = 0;
    for (size_t e = 0; e < (size_t)rows * cols; e++) gw += dw_sn[e] * w[e];
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            size_t e = (size_t)i * cols + j;
            dw[e] = dw_sn[e] / sigma - gw / (sigma * sigma) * u[i] * v[j];
        }
}

/* ---- SimpleSelfAttention ----------------------------------------------------------------------- */

/* per sample: conv (C,N) = w x, xxt (C,C) = x x^T */
static void sa_parts(double *conv, double *xxt, const double *x, const double *w, int c, int n)
{
    for (int i = 0; i < c; i++)
        for (int t = 0; t < n; t++) {
            double s = 0;
            for (int j = 0; j < c; j++) s += w[i * c + j] * x[j * n + t];
            conv[i * n + t] = s;
        }
    for (int i = 0; i < c; i++)
        for (int j = 0; j < c; j++) {
            double s = 0;
            for (int t = 0; t < n; t++) s += x[i * n + t] * x[j * n + t];
            xxt[i * c + j] = s;
        }
}

void ref_sa_forward(double *out, double *o, const double *x, const double *w, double gamma, int b,
                    int c, int n)
{
    double *conv = malloc(sizeof(double) * c * n), *xxt = malloc(sizeof(double) * c * c);
    for (int s = 0; s < b; s++) {
        const double *xs = x + (size_t)s * c * n;
        sa_parts(conv, xxt, xs, w, c, n);
        for (int i = 0; i < c; i++)
            for (int t = 0; t < n; t++) {
                double acc = 0;
                for (int j = 0; j < c; j++) acc += xxt[i * c + j] * conv[j * n + t];
                size_t e = (size_t)s * c * n + i * n + t;
                if (o) o[e] = acc;
                out[e] = gamma * acc + xs[i * n + t];
            }
    }
    free(conv), free(xxt);
}

void ref_sa_backward(double *dx, double *dw, double *dgamma, const double *dout, const double *x,
                     const double *w, double gamma, int b, int c, int n)
{
    double *conv = malloc(sizeof(double) * c * n), *xxt = malloc(sizeof(double) * c * c);
    double *g = malloc(sizeof(double) * c * c), *dconv = malloc(sizeof(double) * c * n);
    for (int e = 0; e < c * c; e++) dw[e] = 0;
    *dgamma = 0;
    for (int s = 0; s < b; s++) {
        const double *xs = x + (size_t)s * c * n, *dy = dout + (size_t)s * c * n;
        double *dxs = dx + (size_t)s * c * n;
        sa_parts(conv, xxt, xs, w, c, n);
        for (int i = 0; i < c; i++) /* dgamma += dy . o */
            for (int t = 0; t < n; t++) {
                double o = 0;
                for (int j = 0; j < c; j++) o += xxt[i * c + j] * conv[j * n + t];
                *dgamma += dy[i * n + t] * o;
            }
        for (int i = 0; i < c; i++) /* G = gamma dy conv^T */
            for (int j = 0; j < c; j++) {
                double acc = 0;
                for (int t = 0; t < n; t++) acc += dy[i * n + t] * conv[j * n + t];
                g[i * c + j] = gamma * acc;
            }
        for (int j = 0; j < c; j++) /* dconv = xxt^T gamma dy */
            for (int t = 0; t < n; t++) {
                double acc = 0;
                for (int i = 0; i < c; i++) acc += xxt[i * c + j] * dy[i * n + t];
                dconv[j * n + t] = gamma * acc;
            }
        for (int k = 0; k < c; k++)
            for (int t = 0; t < n; t++) {
                double acc = dy[k * n + t];
                for (int j = 0; j < c; j++) acc += (g[k * c + j] + g[j * c + k]) * xs[j * n + t];
                for (int i = 0; i < c; i++) acc += w[i * c + k] * dconv[i * n + t];
                dxs[k * n + t] = acc;
            }
        for (int i = 0; i < c; i++)
            for (int j = 0; j < c; j++)
                for (int t = 0; t < n; t++) dw[i * c + j] += dconv[i * n + t] * xs[j * n + t];
    }
    free(conv), free(xxt), free(g), free(dconv);
}
