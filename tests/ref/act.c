/* Plain-C double-precision references for ReLU, Mish and sigmoid and their derivatives.
 * Test-only; shares no code with kernels/act.cl (gradients from the forward INPUT). */
#include <math.h>

#include "ref.h"

static double softplus(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); /* exact form, no threshold */
}

static double act1(ct_act act, double x)
{
    switch (act) {
    case CT_ACT_RELU: return x > 0 ? x : 0;
    case CT_ACT_MISH: return x * tanh(softplus(x));
    case CT_ACT_SIGMOID: return 1 / (1 + exp(-x));
    default: return x;
    }
}

void ref_act_forward(double *out, const double *in, ct_act act, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = act1(act, in[i]);
}

void ref_act_backward(double *din, const double *dout, const double *in, ct_act act, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double x = in[i], d = 1;
        if (act == CT_ACT_RELU) {
            d = x > 0;
        } else if (act == CT_ACT_MISH) {
            double t = tanh(softplus(x)), s = 1 / (1 + exp(-x));
            d = t + x * s * (1 - t * t);
        } else if (act == CT_ACT_SIGMOID) {
            double s = 1 / (1 + exp(-x));
            d = s * (1 - s);
        }
        din[i] = dout[i] * d;
    }
}
