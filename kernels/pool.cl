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

#if POOL_ROWS && POOL_K == 3 && POOL_S == 2 && POOL_PAD == 1
// The stem's 3x3 stride-2 pad-1 window on a row of outputs, 16 at a time: input columns 2ox-1,
// 2ox, 2ox+1 of 16 outputs are the odd lanes of a load one column left, and the even and odd
// lanes of a load at 2*ox0; the first chunk shifts -inf in for column -1. Candidates go in the
// scalar function's order with vector selects (the scalar loop's compares became branches that
// random data mispredicts). Chunks stay inside the row; the rest of the row goes element-wise.
inline int maxpool_row3s2(global float *o, global int *am, global const float *x, int oy, int h,
                          int w, int ow)
{
    const int16 lane = (int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    int ox0 = 0;
    for (; ox0 + 16 <= ow && 2 * ox0 + 32 <= w; ox0 += 16) {
        int16 c0 = (int16)(2 * ox0 - 1) + 2 * lane; // column of the window's left tap
        float16 best = (float16)(-INFINITY);
        int16 arg = max(max(2 * oy - 1, 0) * w + c0, (int16)(max(2 * oy - 1, 0) * w));
        for (int ky = 0; ky < 3; ky++) {
            int y = 2 * oy - 1 + ky;
            if (y < 0 || y >= h) continue;
            global const float *r = x + (ulong)y * w + 2 * ox0;
            float16 lo = vload16(0, r), hi = vload16(0, r + 16);
            float16 e = (float16)(lo.even, hi.even), od = (float16)(lo.odd, hi.odd), m;
            if (ox0 == 0)
                m = (float16)(-INFINITY, od.s0123, od.s4567, od.s89ab, od.scd, od.se);
            else
                m = (float16)(vload16(0, r - 2).odd, vload16(0, r + 14).odd);
            int16 base = (int16)(y * w) + c0;
            int16 take = isgreater(m, best) | isnan(m);
            best = select(best, m, take), arg = select(arg, base, take);
            take = isgreater(e, best) | isnan(e);
            best = select(best, e, take), arg = select(arg, base + 1, take);
            take = isgreater(od, best) | isnan(od);
            best = select(best, od, take), arg = select(arg, base + 2, take);
        }
        vstore16(best, 0, o + ox0);
        vstore16(arg, 0, am + ox0);
    }
    return ox0;
}
#endif

// Output elements (N*C*OH*OW), or rows of them with POOL_ROWS.
kernel void maxpool_forward(global float *out, ulong out_off, global int *argmax, ulong am_off,
                            global const float *in, ulong in_off, int h, int w, int oh, int ow,
                            int k, int s, int pad, ulong n)
{
    POOL_CONSTANTS();
#if POOL_ROWS && POOL_K == 3 && POOL_S == 2 && POOL_PAD == 1
    uint row = get_global_id(0);
    if (row >= n) return;
    int oy = (int)(row % (uint)oh), plane = (int)(row / (uint)oh);
    global const float *xp = in + in_off + (size_t)plane * h * w;
    int done = maxpool_row3s2(out + out_off + (size_t)row * ow, argmax + am_off + (size_t)row * ow,
                              xp, oy, h, w, ow);
    for (int ox = done; ox < ow; ox++)
        maxpool_at(out + out_off, argmax + am_off, xp, (size_t)row * ow + ox, ox, oy, h, w, k, s,
                   pad);
#else
    FOR_ITEM_ELEMENTS(oh, ow,
                      maxpool_at(out + out_off, argmax + am_off,
                                 in + in_off + (size_t)plane * h * w, i, x, y, h, w, k, s, pad))
#endif
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

#if POOL_ROWS && POOL_K == 3 && POOL_S == 2 && POOL_PAD == 1
// The gather of maxpool_back_at for 16 input columns ix0 .. ix0+15 (ix0 even) of row iy: column
// 2j is covered by output column j, column 2j+1 by j and j+1. Per covering output row, 8 argmax
// and dout values are loaded and each lane takes its own (lane-duplicated for j, shifted by one
// for j+1, odd lanes only), adding in the scalar order. Chunks need ix0+16 <= w and
// ix0/2+8 <= ow; the rest of the row goes element-wise. Returns the first column not done.
inline int maxpool_back_row3s2(global float *dr, int accum, global const float *dout,
                               global const int *am, int iy, int w, int oh, int ow)
{
    const int16 lane = (int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const uint16 dup = (uint16)(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    const int16 odd = (lane & 1) != 0;
    int2 ry = covering(iy, 3, 2, 1, oh);
    int ix0 = 0;
    for (; ix0 + 16 <= w && ix0 / 2 + 8 <= ow; ix0 += 16) {
        int j0 = ix0 / 2;
        int16 me = (int16)(iy * w + ix0) + lane;
        float16 acc = (float16)(0.0f);
        for (int oy = ry.x; oy <= ry.y; oy++) {
            global const int *ar = am + oy * ow + j0;
            global const float *gr = dout + oy * ow + j0;
            int8 a8 = vload8(0, ar);
            float8 g8 = vload8(0, gr);
            int more = j0 + 8 < ow; // output column j0+8 exists (lane 15's second window)
            int ax = more ? ar[8] : -1;
            float gx = more ? gr[8] : 0.0f;
            int16 a = shuffle(a8, dup);
            float16 g = shuffle(g8, dup);
            acc += select((float16)(0.0f), g, a == me);
            int8 b8 = (int8)(a8.s123, a8.s4567, ax);
            float8 h8 = (float8)(g8.s123, g8.s4567, gx);
            a = shuffle(b8, dup), g = shuffle(h8, dup);
            acc += select((float16)(0.0f), g, (a == me) & odd);
        }
        if (accum) acc = vload16(0, dr + ix0) + acc;
        vstore16(acc, 0, dr + ix0);
    }
    return ix0;
}
#endif

// Input elements (N*C*H*W), or rows of them with POOL_ROWS.
kernel void maxpool_backward(global float *din, ulong din_off, int accum, global const float *dout,
                             ulong dout_off, global const int *argmax, ulong am_off, int h, int w,
                             int oh, int ow, int k, int s, int pad, ulong n)
{
    POOL_CONSTANTS();
#if POOL_ROWS && POOL_K == 3 && POOL_S == 2 && POOL_PAD == 1
    uint row = get_global_id(0);
    if (row >= n) return;
    int iy = (int)(row % (uint)h), plane = (int)(row / (uint)h);
    size_t ob = (size_t)plane * oh * ow;
    int done = maxpool_back_row3s2(din + din_off + (size_t)row * w, accum, dout + dout_off + ob,
                                   argmax + am_off + ob, iy, w, oh, ow);
    for (int ix = done; ix < w; ix++)
        maxpool_back_at(din + din_off, accum, dout + dout_off + ob, argmax + am_off + ob,
                        (size_t)row * w + ix, ix, iy, w, oh, ow, k, s, pad);
#else
    FOR_ITEM_ELEMENTS(h, w,
                      size_t ob = (size_t)plane * oh * ow;
                      maxpool_back_at(din + din_off, accum, dout + dout_off + ob,
                                      argmax + am_off + ob, i, x, y, w, oh, ow, k, s, pad))
#endif
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
