// Activation kernels: ReLU, Mish, sigmoid forward and backward, one work item per element.
// Must not use double or assume a zeroed output; every kernel guards its index (padded global).

#define CT_ACT_RELU 1
#define CT_ACT_MISH 2
#define CT_ACT_SIGMOID 3
// The activation is a build option (-DACT_KIND=2): a run-time switch stops PoCL vectorising.
#ifndef ACT_KIND
#define ACT_KIND CT_ACT_RELU
#endif

// Mish pieces from e = exp(xc), xc = min(x, 20) (torch's softplus threshold; beyond it tanh is
// 1 in float): with q = e (e + 2) and r = 1 / (q + 2), tanh(softplus(x)) = q r without
// cancellation for negative x, and 1 - tanh^2 = 4 (e + 1)^2 r^2, so
// mish'(x) = q r + 4 xc e (e + 1) r^2 (sigmoid(x) = e / (1 + e) folded in). One exp, no branch.
inline float mish_fwd(float x)
{
    float e = exp(fmin(x, 20.0f)), q = e * (e + 2.0f);
    return x * (q / (q + 2.0f));
}

inline float mish_grad(float x)
{
    float xc = fmin(x, 20.0f), e = exp(xc), q = e * (e + 2.0f), r = 1.0f / (q + 2.0f);
    return q * r + 4.0f * xc * e * (e + 1.0f) * r * r;
}

// out = f(in); out may equal in (in-place).
kernel void act_forward(global float *out, ulong out_off, global const float *in, ulong in_off,
                        ulong n)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    float x = in[in_off + i], y = x;
    if (ACT_KIND == CT_ACT_RELU)
        y = fmax(x, 0.0f);
    else if (ACT_KIND == CT_ACT_MISH)
        y = mish_fwd(x);
    else if (ACT_KIND == CT_ACT_SIGMOID)
        y = 1.0f / (1.0f + exp(-x));
    out[out_off + i] = y;
}

// din = / += dout * f'. `in` holds the forward OUTPUT for RELU and SIGMOID, the INPUT for MISH.
// din may equal dout (in-place backward with accum 0).
kernel void act_backward(global float *din, ulong din_off, int accum, global const float *dout,
                         ulong dout_off, global const float *in, ulong in_off, ulong n)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    float g = dout[dout_off + i], v = in[in_off + i], d = g;
    if (ACT_KIND == CT_ACT_RELU) {
        d = v > 0.0f ? g : 0.0f;
    } else if (ACT_KIND == CT_ACT_MISH) {
        d = g * mish_grad(v);
    } else if (ACT_KIND == CT_ACT_SIGMOID) {
        d = g * v * (1.0f - v);
    }
    din[din_off + i] = (accum ? din[din_off + i] : 0.0f) + d;
}
