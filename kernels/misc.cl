// Small ops: broadcast multiply (channel scale, dropout backward, scalar gates), row reductions,
// dropout, and the pieces of SimpleSelfAttention with spectral norm. Must not use float atomics.

// y[i] = / += a[i] * b[i / div] over n elements: div = hw broadcasts b (N*C) over planes (channel
// scale), div = 1 is an elementwise product (dropout), div = n multiplies by the scalar b[0].
kernel void mul_bcast(global float *y, ulong y_off, int accum, global const float *a, ulong a_off,
                      global const float *b, ulong b_off, ulong div, ulong n)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    float v = a[a_off + i] * b[b_off + i / div];
    y[y_off + i] = (accum ? y[y_off + i] : 0.0f) + v;
}

// Sum of v over the work group; every work item gets it. Local size must be a power of two and
// every item must call it (it holds barriers).
inline float group_sum(local float *red, float v)
{
    int lid = (int)get_local_id(0);
    red[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = (int)get_local_size(0) / 2; s > 0; s >>= 1) {
        if (lid < s) red[lid] += red[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

// One work group per row r of length len: out[r] = / += scale * sum_j a[r,j] * b[r,j]
// (b absent when has_b is 0: a plain sum). red: local, one float per work item.
kernel void rowdot(global float *out, ulong out_off, int accum, float scale,
                   global const float *a, ulong a_off, global const float *b, ulong b_off,
                   int has_b, ulong len, local float *red)
{
    size_t r = get_group_id(0), nl = get_local_size(0);
    global const float *pa = a + a_off + r * len, *pb = b + b_off + r * len;
    float acc = 0.0f;
    for (size_t j = get_local_id(0); j < len; j += nl) acc += has_b ? pa[j] * pb[j] : pa[j];
    float sum = group_sum(red, acc);
    if (get_local_id(0) == 0) out[out_off + r] = (accum ? out[out_off + r] : 0.0f) + scale * sum;
}

// Dropout (training): mask[i] = scale (= 1/(1-p)) when uniform(seed, i) >= p, else 0;
// out[i] = in[i] * mask[i]. out may equal in.
kernel void dropout_forward(global float *out, ulong out_off, global float *mask, ulong mask_off,
                            global const float *in, ulong in_off, uint seed_lo, uint seed_hi,
                            float p, float scale, ulong n)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    float m = ct_uniform(seed_lo, seed_hi, (uint)i) >= p ? scale : 0.0f;
    mask[mask_off + i] = m;
    out[out_off + i] = in[in_off + i] * m;
}

// Spectral norm, one work group: W (rows, cols) row-major. When update: v = W^T u / |.|,
// u = W v / |.| (|.| floored at eps, as torch's normalize). Then sigma = u . (W v) and
// w_sn = W / sigma. u (rows), v (cols) are updated in place; sigma (1).
kernel void sn_power(global float *w_sn, ulong wsn_off, global float *sigma, ulong sigma_off,
                     global float *u, ulong u_off, global float *v, ulong v_off,
                     global const float *w, ulong w_off, int rows, int cols, int update, float eps,
                     local float *red)
{
    int lid = (int)get_local_id(0), nl = (int)get_local_size(0);
    global const float *W = w + w_off;
    u += u_off;
    v += v_off;
    if (update) {
        float ss = 0.0f;
        for (int j = lid; j < cols; j += nl) {
            float t = 0.0f;
            for (int i = 0; i < rows; i++) t += W[i * cols + j] * u[i];
            v[j] = t;
            ss += t * t;
        }
        float inv = 1.0f / fmax(sqrt(group_sum(red, ss)), eps);
        for (int j = lid; j < cols; j += nl) v[j] *= inv;
        barrier(CLK_GLOBAL_MEM_FENCE);
        ss = 0.0f;
        for (int i = lid; i < rows; i += nl) {
            float t = 0.0f;
            for (int j = 0; j < cols; j++) t += W[i * cols + j] * v[j];
            u[i] = t;
            ss += t * t;
        }
        inv = 1.0f / fmax(sqrt(group_sum(red, ss)), eps);
        for (int i = lid; i < rows; i += nl) u[i] *= inv;
        barrier(CLK_GLOBAL_MEM_FENCE);
    }
    float d = 0.0f;
    for (int i = lid; i < rows; i += nl) {
        float t = 0.0f;
        for (int j = 0; j < cols; j++) t += W[i * cols + j] * v[j];
        d += u[i] * t;
    }
    float sg = group_sum(red, d);
    for (int e = lid; e < rows * cols; e += nl) w_sn[wsn_off + e] = W[e] / sg;
    if (lid == 0) sigma[sigma_off] = sg;
}

// Backward of w_sn = W / sigma with u, v constant (as torch): dW += G / sigma -
// (<G, W> / sigma^2) u v^T, where G = dw_sn and gw[0] = <G, W>.
kernel void sn_backward(global float *dw, ulong dw_off, global const float *g, ulong g_off,
                        global const float *gw, ulong gw_off, global const float *sigma,
                        ulong sigma_off, global const float *u, ulong u_off,
                        global const float *v, ulong v_off, int rows, int cols)
{
    size_t e = get_global_id(0);
    if (e >= (size_t)rows * cols) return;
    int i = (int)(e / cols), j = (int)(e % cols);
    float sg = sigma[sigma_off];
    float c = gw[gw_off] / (sg * sg);
    dw[dw_off + e] += g[g_off + e] / sg - c * u[u_off + i] * v[v_off + j];
}

// In place over count (c, c) matrices: G = G + G^T. The item of (r, q) with r <= q writes both.
kernel void symmetrize(global float *g, ulong g_off, int c, ulong n)
{
    size_t e = get_global_id(0);
    if (e >= n) return;
    size_t cc = (size_t)c * c, base = g_off + (e / cc) * cc;
    int r = (int)((e % cc) / c), q = (int)(e % c);
    if (r > q) return;
    float s = g[base + r * c + q] + g[base + q * c + r];
    g[base + r * c + q] = s;
    g[base + q * c + r] = s;
}
