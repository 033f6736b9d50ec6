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

// Work items: with POOL_ROWS 0 one per element of the planes the kernel walks (N*C*H*W or
// N*C*OH*OW: coalesced on GPUs); with POOL_ROWS 1 (CPU devices) one per row of them, walking
// the row's elements in order, so the index split (two integer divisions by runtime sizes) is
// done once per row instead of per element. The element functions are the same either way.
#ifndef POOL_ROWS
#define POOL_ROWS 0
#endif

// Run `call` (which sees x, y, plane and the element index i) for the work item's elements of
// planes of size (hh, ww); n counts rows (POOL_ROWS) or elements. 32-bit index math (the host
// checks n < 2^32).
#if POOL_ROWS
#define FOR_ITEM_ELEMENTS(hh, ww, call)                                                            \
    uint row_ = get_global_id(0);                                                                  \
    if (row_ >= n) return;                                                                         \
    int y = (int)(row_ % (uint)(hh)), plane = (int)(row_ / (uint)(hh));                            \
    for (int x = 0; x < (ww); x++) {                                                               \
        size_t i = (size_t)row_ * (ww) + x;                                                        \
        call;                                                                                      \
    }
#else
#define FOR_ITEM_ELEMENTS(hh, ww, call)                                                            \
    size_t i = get_global_id(0);                                                                   \
    if (i >= n) return;                                                                            \
    uint t_ = (uint)i / (uint)(ww);                                                                \
    int x = (int)((uint)i - t_ * (uint)(ww)), y = (int)(t_ % (uint)(hh)),                          \
        plane = (int)(t_ / (uint)(hh));                                                            \
    call;
#endif

// Max over the window of output (ox, oy); argmax: int32, index into the H*W plane. Ties keep
// the first element in row-major window order; a NaN wins (the last one), as in PyTorch.
inline void maxpool_at(global float *out, global int *argmax, global const float *x, size_t i,
                       int ox, int oy, int h, int w, int k, int s, int pad)
{
    int y0 = oy * s - pad, x0 = ox * s - pad;
    int y1 = min(y0 + k, h), x1 = min(x0 + k, w);
    y0 = max(y0, 0);
    x0 = max(x0, 0);
    float best = -INFINITY;
    int arg = y0 * w + x0;
    for (int y = y0; y < y1; y++)
        for (int xx = x0; xx < x1; xx++) {
            float v = x[y * w + xx];
            int take = v > best || isnan(v); // selects, not branches: random data mispredicts
            best = take ? v : best;
            arg = take ? y * w + xx : arg;
        }
    out[i] = best;
    argmax[i] = arg;
}

// Output elements (N*C*OH*OW), or rows of them with POOL_ROWS.
kernel void maxpool_forward(global float *out, ulong out_off, global int *argmax, ulong am_off,
                            global const float *in, ulong in_off, int h, int w, int oh, int ow,
                            int k, int s, int pad, ulong n)
{
    POOL_CONSTANTS();
    FOR_ITEM_ELEMENTS(oh, ow,
                      maxpool_at(out + out_off, argmax + am_off,
                                 in + in_off + (size_t)plane * h * w, i, x, y, h, w, k, s, pad))
}

// The output rows [lo, hi] whose windows cover input row y (k, stride s, padding pad).
inline int2 covering(int y, int k, int s, int pad, int o)
{
    int lo = y + pad - k + 1;
    lo = lo <= 0 ? 0 : (lo + s - 1) / s;
    int hi = min((y + pad) / s, o - 1);
    return (int2)(lo, hi);
}

// din (ix, iy) = / += the sum of dout over the windows whose argmax is it (a gather).
inline void maxpool_back_at(global float *din, int accum, global const float *dout,
                            global const int *argmax, size_t i, int ix, int iy, int w, int oh,
                            int ow, int k, int s, int pad)
{
    int me = iy * w + ix;
    int2 ry = covering(iy, k, s, pad, oh), rx = covering(ix, k, s, pad, ow);
    float acc = 0.0f;
    for (int oy = ry.x; oy <= ry.y; oy++)
        for (int ox = rx.x; ox <= rx.y; ox++) {
            int o = oy * ow + ox;
            if (argmax[o] == me) acc += dout[o];
        }
    din[i] = (accum ? din[i] : 0.0f) + acc;
}

// Input elements (N*C*H*W), or rows of them with POOL_ROWS.
kernel void maxpool_backward(global float *din, ulong din_off, int accum, global const float *dout,
                             ulong dout_off, global const int *argmax, ulong am_off, int h, int w,
                             int oh, int ow, int k, int s, int pad, ulong n)
{
    POOL_CONSTANTS();
    FOR_ITEM_ELEMENTS(h, w,
                      size_t ob = (size_t)plane * oh * ow;
                      maxpool_back_at(din + din_off, accum, dout + dout_off + ob,
                                      argmax + am_off + ob, i, x, y, w, oh, ow, k, s, pad))
}

// Divisor of output (oy, ox) with count_include_pad: the window clipped to the padded input
// (positions that ceil_mode adds beyond it do not count).
inline float avg_divisor(int oy, int ox, int h, int w, int k, int s, int pad)
{
    int y0 = oy * s - pad, x0 = ox * s - pad;
    int y1 = min(y0 + k, h + pad), x1 = min(x0 + k, w + pad);
    return (float)((y1 - y0) * (x1 - x0));
}

inline void avgpool_at(global float *out, global const float *x, size_t i, int ox, int oy, int h,
                       int w, int k, int s, int pad)
{
    int y0 = max(oy * s - pad, 0), x0 = max(ox * s - pad, 0);
    int y1 = min(oy * s - pad + k, h), x1 = min(ox * s - pad + k, w);
    float acc = 0.0f;
    for (int y = y0; y < y1; y++)
        for (int xx = x0; xx < x1; xx++) acc += x[y * w + xx];
    out[i] = acc / avg_divisor(oy, ox, h, w, k, s, pad);
}

kernel void avgpool_forward(global float *out, ulong out_off, global const float *in, ulong in_off,
                            int h, int w, int oh, int ow, int k, int s, int pad, ulong n)
{
    POOL_CONSTANTS();
    FOR_ITEM_ELEMENTS(oh, ow,
                      avgpool_at(out + out_off, in + in_off + (size_t)plane * h * w, i, x, y, h, w,
                                 k, s, pad))
}

// din (ix, iy) = / += the sum over covering windows of dout / divisor.
inline void avgpool_back_at(global float *din, int accum, global const float *dout, size_t i,
                            int ix, int iy, int h, int w, int oh, int ow, int k, int s, int pad)
{
    int2 ry = covering(iy, k, s, pad, oh), rx = covering(ix, k, s, pad, ow);
    float acc = 0.0f;
    for (int oy = ry.x; oy <= ry.y; oy++)
        for (int ox = rx.x; ox <= rx.y; ox++)
            acc += dout[oy * ow + ox] / avg_divisor(oy, ox, h, w, k, s, pad);
    din[i] = (accum ? din[i] : 0.0f) + acc;
}

// Input elements (N*C*H*W), or rows of them with POOL_ROWS.
kernel void avgpool_backward(global float *din, ulong din_off, int accum, global const float *dout,
                             ulong dout_off, int h, int w, int oh, int ow, int k, int s, int pad,
                             ulong n)
{
    POOL_CONSTANTS();
    FOR_ITEM_ELEMENTS(h, w,
                      avgpool_back_at(din + din_off, accum,
                                      dout + dout_off + (size_t)plane * oh * ow, i, x, y, h, w, oh,
                                      ow, k, s, pad))
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
