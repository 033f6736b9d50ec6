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

// Position (sample k, pixel p) of one channel's element while a work item strides over the
// channel's N*HW elements `size` apart, without a division per element.
typedef struct {
    uint k, p;
} bn_pos;

inline bn_pos bn_start(uint l, uint hw)
{
    bn_pos q;
    q.k = l / hw;
    q.p = l - q.k * hw;
    return q;
}

inline void bn_next(bn_pos *q, uint dk, uint dp, uint hw)
{
    q->p += dp;
    q->k += dk;
    if (q->p >= hw) {
        q->p -= hw;
        q->k++;
    }
}

// Loop q over the (sample, pixel) positions of one channel handled by this work item (kernels
// using it have n, hw as int arguments); BN_REL(q) is the element's offset from the channel's
// first element: k*C*HW + p, with chw = C*HW.
#define BN_FOR_CHANNEL(q)                                                                          \
    for (bn_pos q = bn_start(get_local_id(0), (uint)hw); q.k < (uint)n;                            \
         bn_next(&q, get_local_size(0) / (uint)hw, get_local_size(0) % (uint)hw, (uint)hw))
#define BN_REL(q) ((ulong)(q).k * chw + (q).p)

// One work-group per channel. x, out: (N, C, HW) float; save_mean, save_rstd, run_mean, run_var,
// gamma, beta: (C). Two passes for the statistics (mean, then the sum of squared deviations);
// the third pass writes out (which may alias x). run_var gets the unbiased variance (N*HW > 1).
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
    float m = (float)n * (float)hw;

    // pass 1 sums x - pivot (the channel's first element) so a large common offset cancels
    float pivot = x[x_off + base];
    float2 s = (float2)(0.0f, 0.0f), sc = s;
    BN_FOR_CHANNEL(q) bn_kahan(&s, &sc, (float2)(x[x_off + base + BN_REL(q)] - pivot, 0.0f));
    float mean = pivot + bn_wg_sum2(red, s).x / m;

    float2 ss = (float2)(0.0f, 0.0f), ssc = ss;
    BN_FOR_CHANNEL(q)
    {
        float d = x[x_off + base + BN_REL(q)] - mean;
        bn_kahan(&ss, &ssc, (float2)(d * d, 0.0f));
    }
    float var = bn_wg_sum2(red, ss).x / m; // biased, for normalising
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
    BN_FOR_CHANNEL(q)
    {
        ulong i = base + BN_REL(q);
        out[out_off + i] = (x[x_off + i] - mean) * g + b;
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
    out[out_off + i] = (x[x_off + i] - run_mean[run_mean_off + ch]) * g + beta[beta_off + ch];
}

// One work-group per channel. Backward of bn_forward_train with xhat = (x - mean) * rstd, M = N*HW:
//   dbeta += sum dy; dgamma += sum dy*xhat;
//   dx = / += gamma * rstd * (dy - sum(dy)/M - xhat * sum(dy*xhat)/M)   (skipped when has_dx = 0)
kernel void bn_backward(global float *dx, ulong dx_off, int accum, int has_dx, global float *dgamma,
                        ulong dgamma_off, global float *dbeta, ulong dbeta_off,
                        global const float *dy, ulong dy_off, global const float *x, ulong x_off,
                        global const float *gamma, ulong gamma_off, global const float *save_mean,
                        ulong save_mean_off, global const float *save_rstd, ulong save_rstd_off,
                        int n, int c, int hw, local float2 *red)
{
    uint ch = get_group_id(0);
    ulong base = (ulong)ch * (ulong)hw, chw = (ulong)c * (ulong)hw;
    float m = (float)n * (float)hw;
    float mean = save_mean[save_mean_off + ch], rstd = save_rstd[save_rstd_off + ch];

    float2 acc = (float2)(0.0f, 0.0f), accc = acc; // (sum dy, sum dy*xhat)
    BN_FOR_CHANNEL(q)
    {
        float g = dy[dy_off + base + BN_REL(q)];
        bn_kahan(&acc, &accc, (float2)(g, g * (x[x_off + base + BN_REL(q)] - mean) * rstd));
    }
    float2 sum = bn_wg_sum2(red, acc);

    if (get_local_id(0) == 0) {
        dbeta[dbeta_off + ch] += sum.x;
        dgamma[dgamma_off + ch] += sum.y;
    }
    if (!has_dx) return;
    float k = gamma[gamma_off + ch] * rstd, mdy = sum.x / m, mdyx = sum.y / m;
    BN_FOR_CHANNEL(q)
    {
        float xhat = (x[x_off + base + BN_REL(q)] - mean) * rstd;
        float v = k * (dy[dy_off + base + BN_REL(q)] - mdy - xhat * mdyx);
        dx[dx_off + base + BN_REL(q)] = accum ? dx[dx_off + base + BN_REL(q)] + v : v;
    }
}
