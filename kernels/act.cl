// Activation kernels: ReLU, Mish, sigmoid forward and backward, 16 elements per work item.
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
inline float16 mish_fwd(float16 x)
{
    float16 e = exp(fmin(x, 20.0f)), q = e * (e + 2.0f);
    return x * (q / (q + 2.0f));
}

inline float16 mish_grad(float16 x)
{
    float16 xc = fmin(x, 20.0f), e = exp(xc), q = e * (e + 2.0f), r = 1.0f / (q + 2.0f);
    return q * r + 4.0f * xc * e * (e + 1.0f) * r * r;
}

// Each work item takes 16 consecutive elements as one float16 (explicit vectors: PoCL did not
// vectorise the one-element kernels' exp, and Mish ran at 6 cycles per element); the last item
// of a tensor whose size is not a multiple of 16 goes through a private copy.
inline float16 load16(global const float *p, uint cnt)
{
    if (cnt == 16) return vload16(0, p);
    float t[16];
    for (uint l = 0; l < 16; l++) t[l] = l < cnt ? p[l] : 0.0f;
    return vload16(0, t);
}

inline void store16(global float *p, float16 v, uint cnt)
{
    if (cnt == 16) {
        vstore16(v, 0, p);
        return;
    }
    float t[16];
    vstore16(v, 0, t);
    for (uint l = 0; l < cnt; l++) p[l] = t[l];
}

// out = f(in) over n elements, 16 per work item; out may equal in (in-place).
kernel void act_forward(global float *out, ulong out_off, global const float *in, ulong in_off,
                        ulong n)
{
    ulong i = get_global_id(0) * 16;
    if (i >= n) return;
    uint cnt = n - i < 16 ? (uint)(n - i) : 16u;
    float16 x = load16(in + in_off + i, cnt), y = x;
    if (ACT_KIND == CT_ACT_RELU)
        y = fmax(x, 0.0f);
    else if (ACT_KIND == CT_ACT_MISH)
        y = mish_fwd(x);
    else if (ACT_KIND == CT_ACT_SIGMOID)
        y = 1.0f / (1.0f + exp(-x));
    store16(out + out_off + i, y, cnt);
}

// din = / += dout * f', 16 elements per work item. `in` holds the forward OUTPUT for RELU and
// SIGMOID, the INPUT for MISH. din may equal dout (in-place backward with accum 0).
kernel void act_backward(global float *din, ulong din_off, int accum, global const float *dout,
                         ulong dout_off, global const float *in, ulong in_off, ulong n)
{
    ulong i = get_global_id(0) * 16;
    if (i >= n) return;
    uint cnt = n - i < 16 ? (uint)(n - i) : 16u;
    float16 g = load16(dout + dout_off + i, cnt), v = load16(in + in_off + i, cnt), d = g;
    if (ACT_KIND == CT_ACT_RELU) {
        d = select(g, (float16)(0.0f), v <= 0.0f);
    } else if (ACT_KIND == CT_ACT_MISH) {
        d = g * mish_grad(v);
    } else if (ACT_KIND == CT_ACT_SIGMOID) {
        d = g * v * (1.0f - v);
    }
    if (accum) d += load16(din + din_off + i, cnt);
    store16(din + din_off + i, d, cnt);
}
