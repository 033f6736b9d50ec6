// Pooling kernels over NCHW float planes: maxpool2d (with argmax), avgpool2d (count_include_pad,
// PyTorch's edge divisors), and their backward as gathers. Must not scatter (no float atomics).

// Optional specialisation: built with -DPOOL_K=3 -DPOOL_S=2 -DPOOL_PAD=1 (say) the window is
// compile-time constant, so divisions by the stride fold; POOL_K 0 uses the kernel arguments.
#ifndef POOL_K
#define POOL_K 0
#endif
#ifndef POOL_S
#define POOL_S 1
#endif
#ifndef POOL_PAD
#define POOL_PAD 0
#endif
#define POOL_CONSTANTS()                                                                           \
    if (POOL_K) {                                                                                  \
        k = POOL_K;                                                                                \
        s = POOL_S;                                                                                \
        pad = POOL_PAD;                                                                            \
    }

// (x, y, plane) of element i of planes (h, w); 32-bit arithmetic (the host checks n < 2^32).
inline int3 split_index(size_t i, int w, int h)
{
    uint t = (uint)i / (uint)w, plane = t / (uint)h;
    return (int3)((int)((uint)i - t * (uint)w), (int)(t - plane * (uint)h), (int)plane);
}

// One work item per output element (N*C*OH*OW). argmax: int32, index into the H*W plane.
// Ties keep the first element in row-major window order; a NaN wins (the last one), as in PyTorch.
kernel void maxpool_forward(global float *out, ulong out_off, global int *argmax, ulong am_off,
                            global const float *in, ulong in_off, int h, int w, int oh, int ow,
                            int k, int s, int pad, ulong n)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    POOL_CONSTANTS();
    int3 at = split_index(i, ow, oh);
    int ox = at.x, oy = at.y, plane = at.z;
    global const float *x = in + in_off + (size_t)plane * h * w;
    int y0 = oy * s - pad, x0 = ox * s - pad;
    int y1 = min(y0 + k, h), x1 = min(x0 + k, w);
    y0 = max(y0, 0);
    x0 = max(x0, 0);
    float best = -INFINITY;
    int arg = y0 * w + x0;
    for (int y = y0; y < y1; y++)
        for (int xx = x0; xx < x1; xx++) {
            float v = x[y * w + xx];
            if (v > best || isnan(v)) {
                best = v;
                arg = y * w + xx;
            }
        }
    out[out_off + i] = best;
    argmax[am_off + i] = arg;
}

// The output rows [lo, hi] whose windows cover input row y (k, stride s, padding pad).
inline int2 covering(int y, int k, int s, int pad, int o)
{
    int lo = y + pad - k + 1;
    lo = lo <= 0 ? 0 : (lo + s - 1) / s;
    int hi = min((y + pad) / s, o - 1);
    return (int2)(lo, hi);
}

// One work item per INPUT element: din = / += sum of dout over the windows whose argmax is it.
kernel void maxpool_backward(global float *din, ulong din_off, int accum, global const float *dout,
                             ulong dout_off, global const int *argmax, ulong am_off, int h, int w,
                             int oh, int ow, int k, int s, int pad, ulong n)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    POOL_CONSTANTS();
    int3 at = split_index(i, w, h);
    int ix = at.x, iy = at.y, plane = at.z;
    size_t ob = (size_t)plane * oh * ow;
    int me = iy * w + ix;
    int2 ry = covering(iy, k, s, pad, oh), rx = covering(ix, k, s, pad, ow);
    float acc = 0.0f;
    for (int oy = ry.x; oy <= ry.y; oy++)
        for (int ox = rx.x; ox <= rx.y; ox++) {
            size_t o = ob + (size_t)oy * ow + ox;
            if (argmax[am_off + o] == me) acc += dout[dout_off + o];
        }
    din[din_off + i] = (accum ? din[din_off + i] : 0.0f) + acc;
}

// Divisor of output (oy, ox) with count_include_pad: the window clipped to the padded input
// (positions that ceil_mode adds beyond it do not count).
inline float avg_divisor(int oy, int ox, int h, int w, int k, int s, int pad)
{
    int y0 = oy * s - pad, x0 = ox * s - pad;
    int y1 = min(y0 + k, h + pad), x1 = min(x0 + k, w + pad);
    return (float)((y1 - y0) * (x1 - x0));
}

kernel void avgpool_forward(global float *out, ulong out_off, global const float *in, ulong in_off,
                            int h, int w, int oh, int ow, int k, int s, int pad, ulong n)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    POOL_CONSTANTS();
    int3 at = split_index(i, ow, oh);
    int ox = at.x, oy = at.y, plane = at.z;
    global const float *x = in + in_off + (size_t)plane * h * w;
    int y0 = max(oy * s - pad, 0), x0 = max(ox * s - pad, 0);
    int y1 = min(oy * s - pad + k, h), x1 = min(ox * s - pad + k, w);
    float acc = 0.0f;
    for (int y = y0; y < y1; y++)
        for (int xx = x0; xx < x1; xx++) acc += x[y * w + xx];
    out[out_off + i] = acc / avg_divisor(oy, ox, h, w, k, s, pad);
}

// One work item per input element: din = / += sum over covering windows of dout / divisor.
kernel void avgpool_backward(global float *din, ulong din_off, int accum, global const float *dout,
                             ulong dout_off, int h, int w, int oh, int ow, int k, int s, int pad,
                             ulong n)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    POOL_CONSTANTS();
    int3 at = split_index(i, w, h);
    int ix = at.x, iy = at.y, plane = at.z;
    size_t ob = (size_t)plane * oh * ow;
    int2 ry = covering(iy, k, s, pad, oh), rx = covering(ix, k, s, pad, ow);
    float acc = 0.0f;
    for (int oy = ry.x; oy <= ry.y; oy++)
        for (int ox = rx.x; ox <= rx.y; ox++)
            acc += dout[dout_off + ob + (size_t)oy * ow + ox] / avg_divisor(oy, ox, h, w, k, s, pad);
    din[din_off + i] = (accum ? din[din_off + i] : 0.0f) + acc;
}

// Global average pool backward: din (N*C, HW) = / += dout (N*C) / hw. (Forward is rowdot.)
kernel void gap_backward(global float *din, ulong din_off, int accum, global const float *dout,
                         ulong dout_off, int hw, ulong n)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    float g = dout[dout_off + i / hw] / (float)hw;
    din[din_off + i] = (accum ? din[din_off + i] : 0.0f) + g;
}
