/* Plain-C double-precision linear-layer reference (out = in . w^T + b) and its gradients.
 * Test-only; shares no code with src/ops/linear.c. */
#include <stddef.h>

#include "ref.h"

void ref_linear_forward(double *out, const double *in, const double *w, const double *b, int n,
                        int in_f, int out_f)
{
    for (int i = 0; i < n; i++)
        for (int o = 0; o < out_f; o++) {
            double s = b ? b[o] : 0.0;
            for (int k = 0; k < in_f; k++) s += in[(size_t)i * in_f + k] * w[(size_t)o * in_f + k];
            out[(size_t)i * out_f + o] = s;
        }
}

void ref_linear_backward(double *din, double *dw, double *db, const double *dout, const double *in,
                         const double *w, int n, int in_f, int out_f)
{
    if (din)
        for (int i = 0; i < n; i++)
            for (int k = 0; k < in_f; k++) {
                double s = 0;
                for (int o = 0; o < out_f; o++)
                    s += dout[(size_t)i * out_f + o] * w[(size_t)o * in_f + k];
                din[(size_t)i * in_f + k] = s;
            }
    if (dw)
        for (int o = 0; o < out_f; o++)
            for (int k = 0; k < in_f; k++) {
                double s = 0;
                for (int i = 0; i < n; i++)
                    s += dout[(size_t)i * out_f + o] * in[(size_t)i * in_f + k];
                dw[(size_t)o * in_f + k] = s;
            }
    if (db)
        for (int o = 0; o < out_f; o++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += dout[(size_t)i * out_f + o];
            db[o] = s;
        }
}
