// Activation kernels: ReLU, Mish, sigmoid forward and backward, one work item per element.
// Must not use double or assume a zeroed output; every kernel guards its index (padded global).

#define CT_ACT_RELU 1
#define CT_ACT_MISH 2
#define CT_ACT_SIGMOID 3

// tanh(softplus(x)) without cancellation: with e = exp(x), tanh(ln(1+e)) = e(e+2) / (e(e+2) + 2).
// For x > 20 (torch's softplus threshold) softplus(x) = x and tanh is 1 in float.
inline float tanh_softplus(float x)
{
    if (x > 20.0f) return 1.0f;
    float e = exp(x);
    float q = e * (e + 2.0f);
    return q / (q + 2.0f);
}

// out = f(in); out may equal in (in-place).
kernel void act_forward(global float *out, ulong out_off, global const float *in, ulong in_off,
                        int act, ulong n)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    float x = in[in_off + i], y = x;
    if (act == CT_ACT_RELU)
        y = fmax(x, 0.0f);
    else if (act == CT_ACT_MISH)
        y = x * tanh_softplus(x);
    else if (act == CT_ACT_SIGMOID)
        y = 1.0f / (1.0f + exp(-x));
    out[out_off + i] = y;
}

// din = / += dout * f'. `in` holds the forward OUTPUT for RELU and SIGMOID, the INPUT for MISH.
// din may equal dout (in-place backward with accum 0).
kernel void act_backward(global float *din, ulong din_off, int accum, global const float *dout,
                         ulong dout_off, global const float *in, ulong in_off, int act, ulong n)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    float g = dout[dout_off + i], v = in[in_off + i], d = g;
    if (act == CT_ACT_RELU) {
        d = v > 0.0f ? g : 0.0f;
    } else if (act == CT_ACT_MISH) {
        // d/dx x tanh(sp(x)) = t + x sigmoid(x) (1 - t^2)
        float t = tanh_softplus(v);
        float s = 1.0f / (1.0f + exp(-v));
        d = g * (t + v * s * (1.0f - t * t));
    } else if (act == CT_ACT_SIGMOID) {
        d = g * v * (1.0f - v);
    }
    din[din_off + i] = (accum ? din[din_off + i] : 0.0f) + d;
}
