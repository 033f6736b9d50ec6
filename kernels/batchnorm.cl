// BatchNorm2d kernels: training forward (batch stats, running-stat update), eval forward, backward.
// No work-group collectives (PoCL): local-memory tree reductions; local sizes are powers of two.

// Work-group sum of a float2, returned to every work item. Call in uniform control flow.
// red: local float2[get_local_size(0)], a power of two.
inline float2 bn_wg_sum2(local float2 *red, float2 v)
{
    uint l = get_local_id(0), size = get_local_size(0);
    red[l] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint s = size / 2; s > 0; s >>= 1) {
        if (l < s) red[l] += red[l + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float2 r = red[0];
    barrier(CLK_LOCAL_MEM_FENCE); // red may be reused right after
    return r;
}

// Compensated (Kahan) accumulation s += v of both lanes; c holds the lost low-order parts. Keeps a
// work item's serial sum accurate however few work items a device allows.
inline void bn_kahan(float2 *s, float2 *c, float2 v)
{
    float2 y = v - *c, t = *s + y;
    *c = (t - *s) - y;
    *s = t;
}

#ifndef BN_ACT
// 1: a ReLU fused after the batchnorm: the forwards write relu(bn(x)); the backward takes the
// gradient of that output and the output itself (y), and sees dy where y > 0, else 0
#define BN_ACT 0
#endif
#if BN_ACT
#define BN_RELU(v) fmax((v), 0.0f)
#define BN_DY8(pdy, py, j) select((float8)(0.0f), vload8(0, (pdy) + (j)), vload8(0, (py) + (j)) > 0.0f)
#define BN_DY1(pdy, py, j) ((py)[j] > 0.0f ? (pdy)[j] : 0.0f)
#else
#define BN_RELU(v) (v)
#define BN_DY8(pdy, py, j) vload8(0, (pdy) + (j))
#define BN_DY1(pdy, py, j) ((pdy)[j])
#endif

#ifndef BN_CONTIG
// 0: work items interleave over a channel's elements, one at a time (coalesced on GPUs);
// 1: each work item takes one contiguous run, read 8 wide (CPU devices: caches and SIMD)
#define BN_CONTIG 0
#endif

// A work item's share of one channel's M = N*HW elements (flat index i = k*HW + p): runs of
// `len` contiguous elements (a piece of one sample's plane; len is 1 when interleaved), found
// without a division per element.
typedef struct {
    uint i, k, p, len;
} bn_seg;

typedef struct {
    uint i0, end, step, dk, dp, hw;
} bn_range;

inline bn_range bn_range_of(uint n, uint hw)
{
    uint m = n * hw, l = get_local_id(0), size = get_local_size(0);
    bn_range r;
#if BN_CONTIG
    uint chunk = (m + size - 1) / size;
    r.i0 = min(l * chunk, m);
    r.end = min(r.i0 + chunk, m);
#else
    r.i0 = l;
    r.end = m;
#endif
    r.step = size;
    r.dk = size / hw;
    r.dp = size % hw;
    r.hw = hw;
    return r;
}

inline uint bn_seg_len(const bn_seg *q, const bn_range *r)
{
#if BN_CONTIG
    return min(r->hw - q->p, r->end - q->i);
#else
    return 1;
#endif
}

inline bn_seg bn_first(bn_range r)
{
    bn_seg q;
    q.i = r.i0;
    q.k = r.i0 / r.hw;
    q.p = r.i0 - q.k * r.hw;
    q.len = q.i < r.end ? bn_seg_len(&q, &r) : 0;
    return q;
}

inline void bn_next(bn_seg *q, bn_range r)
{
#if BN_CONTIG
    q->i += q->len; // the next run starts the next sample's plane
    q->k++;
    q->p = 0;
#else
    q->i += r.step;
    q->p += r.dp;
    q->k += r.dk;
    if (q->p >= r.hw) {
        q->p -= r.hw;
        q->k++;
    }
#endif
    q->len = q->i < r.end ? bn_seg_len(q, &r) : 0;
}

// Loop q over this work item's runs of range r (from bn_range_of); BN_REL(q) is the run's offset
// from the channel's first element: k*C*HW + p, with chw = C*HW.
#define BN_FOR_RUNS(r, q) for (bn_seg q = bn_first(r); q.i < r.end; bn_next(&q, r))
#define BN_REL(q) ((ulong)(q).k * chw + (q).p)

inline float bn_hsum8(float8 v)
{
    float4 a = v.lo + v.hi;
    float2 b = a.lo + a.hi;
    return b.x + b.y;
}

// Sums over one run of len elements. With BN_CONTIG the body runs 8 wide, then on the tail.
// (sum x - shift, sum (x - shift)^2)
inline float2 bn_run_moments(global const float *px, uint len, float shift)
{
    float2 s = (float2)(0.0f, 0.0f);
    uint j = 0;
#if BN_CONTIG
    float8 s1 = 0.0f, s2 = 0.0f;
    for (; j + 8 <= len; j += 8) {
        float8 d = vload8(0, px + j) - shift;
        s1 += d;
        s2 += d * d;
    }
    s = (float2)(bn_hsum8(s1), bn_hsum8(s2));
#endif
    for (; j < len; j++) {
        float d = px[j] - shift;
        s += (float2)(d, d * d);
    }
    return s;
}

// (sum dy, sum dy * (x - mean) * rstd); dy through the fused ReLU's mask (py) with BN_ACT
inline float2 bn_run_dy(global const float *pdy, global const float *py, global const float *px,
                        uint len, float mean, float rstd)
{
    float2 s = (float2)(0.0f, 0.0f);
    uint j = 0;
#if BN_CONTIG
    float8 s1 = 0.0f, s2 = 0.0f;
    for (; j + 8 <= len; j += 8) {
        float8 g = BN_DY8(pdy, py, j);
        s1 += g;
        s2 += g * (vload8(0, px + j) - mean) * rstd;
    }
    s = (float2)(bn_hsum8(s1), bn_hsum8(s2));
#endif
    for (; j < len; j++) {
        float g = BN_DY1(pdy, py, j);
        s += (float2)(g, g * (px[j] - mean) * rstd);
    }
    return s;
}

// One work-group per channel. x, out: (N, C, HW) float; save_mean, save_rstd, run_mean, run_var,
// gamma, beta: (C). Two passes for the statistics (mean of x - pivot, then the sum of squared
// deviations from the mean); the third pass writes out (which may alias x). run_var gets the
// unbiased variance (N*HW > 1).
kernel void bn_forward_train(global float *out, ulong out_off, global float *save_mean,
                             ulong save_mean_off, global float *save_rstd, ulong save_rstd_off,
                             global float *run_mean, ulong run_mean_off, global float *run_var,
                             ulong run_var_off, global const float *x, ulong x_off,
                             global const float *gamma, ulong gamma_off, global const float *beta,
                             ulong beta_off, int n, int c, int hw, float eps, float momentum,
                             local float2 *red)
{
    uint ch = get_group_id(0);
    ulong base = (ulong)ch * (ulong)hw, chw = (ulong)c * (ulong)hw;
    global const float *xc = x + x_off + base; // the channel's first element
    float m = (float)n * (float)hw;
    bn_range r = bn_range_of((uint)n, (uint)hw);

    // pass 1 sums x - pivot (the channel's first element) so a large common offset cancels
    float pivot = xc[0];
    float2 s = (float2)(0.0f, 0.0f), sc = s;
    BN_FOR_RUNS(r, q) bn_kahan(&s, &sc, bn_run_moments(xc + BN_REL(q), q.len, pivot));
    float mean = pivot + bn_wg_sum2(red, s).x / m;

    s = sc = (float2)(0.0f, 0.0f);
    BN_FOR_RUNS(r, q) bn_kahan(&s, &sc, bn_run_moments(xc + BN_REL(q), q.len, mean));
    float2 dev = bn_wg_sum2(red, s); // (sum d, sum d^2), d = x - mean
    // biased, for normalising; sum d (0 but for rounding) corrects the rounding of mean
    float var = max(dev.y - dev.x * dev.x / m, 0.0f) / m;
    float rstd = rsqrt(var + eps);

    if (get_local_id(0) == 0) {
        save_mean[save_mean_off + ch] = mean;
        save_rstd[save_rstd_off + ch] = rstd;
        float unbiased = m > 1.0f ? var * (m / (m - 1.0f)) : NAN;
        global float *rm = run_mean + run_mean_off + ch, *rv = run_var + run_var_off + ch;
        *rm = (1.0f - momentum) * *rm + momentum * mean;
        *rv = (1.0f - momentum) * *rv + momentum * unbiased;
    }

    float g = gamma[gamma_off + ch] * rstd, b = beta[beta_off + ch];
    global float *oc = out + out_off + base;
    BN_FOR_RUNS(r, q)
    {
        global const float *px = xc + BN_REL(q);
        global float *po = oc + BN_REL(q);
        uint j = 0;
#if BN_CONTIG
        for (; j + 8 <= q.len; j += 8)
            vstore8(BN_RELU((vload8(0, px + j) - mean) * g + b), 0, po + j);
#endif
        for (; j < q.len; j++)
            po[j] = BN_RELU((px[j] - mean) * g + b);
    }
}

// Elementwise over N*C*HW: out = (x - run_mean) / sqrt(run_var + eps) * gamma + beta.
kernel void bn_forward_eval(global float *out, ulong out_off, global const float *x, ulong x_off,
                            global const float *gamma, ulong gamma_off, global const float *beta,
                            ulong beta_off, global const float *run_mean, ulong run_mean_off,
                            global const float *run_var, ulong run_var_off, int c, int hw,
                            float eps, ulong total)
{
    size_t i = get_global_id(0);
    if (i >= total) return;
    uint ch = (uint)((i / (uint)hw) % (uint)c);
    float g = gamma[gamma_off + ch] * rsqrt(run_var[run_var_off + ch] + eps);
    out[out_off + i] = BN_RELU((x[x_off + i] - run_mean[run_mean_off + ch]) * g + beta[beta_off + ch]);
}

// One work-group per channel. Backward of bn_forward_train with xhat = (x - mean) * rstd, M = N*HW:
//   dbeta += sum dy; dgamma += sum dy*xhat;
//   dx = / += gamma * rstd * (dy - sum(dy)/M - xhat * sum(dy*xhat)/M)   (skipped when has_dx = 0)
// With BN_ACT, dy is the fused ReLU's output gradient masked by its output y (read only then).
kernel void bn_backward(global float *dx, ulong dx_off, int accum, int has_dx, global float *dgamma,
                        ulong dgamma_off, global float *dbeta, ulong dbeta_off,
                        global const float *dy, ulong dy_off, global const float *y, ulong y_off,
                        global const float *x, ulong x_off,
                        global const float *gamma, ulong gamma_off, global const float *save_mean,
                        ulong save_mean_off, global const float *save_rstd, ulong save_rstd_off,
                        int n, int c, int hw, local float2 *red)
{
    uint ch = get_group_id(0);
    ulong base = (ulong)ch * (ulong)hw, chw = (ulong)c * (ulong)hw;
    global const float *xc = x + x_off + base, *dyc = dy + dy_off + base, *yc = y + y_off + base;
    float m = (float)n * (float)hw;
    bn_range r = bn_range_of((uint)n, (uint)hw);
    float mean = save_mean[save_mean_off + ch], rstd = save_rstd[save_rstd_off + ch];

    float2 s = (float2)(0.0f, 0.0f), sc = s; // (sum dy, sum dy*xhat)
    BN_FOR_RUNS(r, q)
    {
        bn_kahan(&s, &sc,
                 bn_run_dy(dyc + BN_REL(q), yc + BN_REL(q), xc + BN_REL(q), q.len, mean, rstd));
    }
    float2 sum = bn_wg_sum2(red, s);

    if (get_local_id(0) == 0) {
        dbeta[dbeta_off + ch] += sum.x;
        dgamma[dgamma_off + ch] += sum.y;
    }
    if (!has_dx) return;
    float k = gamma[gamma_off + ch] * rstd, mdy = sum.x / m, mdyx = sum.y / m;
    global float *dxc = dx + dx_off + base;
    BN_FOR_RUNS(r, q)
    {
        global const float *px = xc + BN_REL(q), *pdy = dyc + BN_REL(q), *py = yc + BN_REL(q);
        global float *pdx = dxc + BN_REL(q);
        uint j = 0;
#if BN_CONTIG
        for (; j + 8 <= q.len; j += 8) {
            float8 v = k * (BN_DY8(pdy, py, j) - mdy - (vload8(0, px + j) - mean) * rstd * mdyx);
            vstore8(accum ? vload8(0, pdx + j) + v : v, 0, pdx + j);
        }
#endif
        for (; j < q.len; j++) {
            float v = k * (BN_DY1(pdy, py, j) - mdy - (px[j] - mean) * rstd * mdyx);
            pdx[j] = accum ? pdx[j] + v : v;
        }
    }
}
