// Loss kernels: label-smoothing cross-entropy forward/backward and top-1/top-5 correctness.
// One work-group per sample row; no work-group collectives (PoCL): local-memory tree reductions.

// Work-group reduction (max when use_max, else sum) returned to every work item; use_max must be
// uniform. red: local float[get_local_size(0)], a power of two.
inline float loss_wg_reduce(local float *red, float v, int use_max)
{
    uint l = get_local_id(0), size = get_local_size(0);
    red[l] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint s = size / 2; s > 0; s >>= 1) {
        if (l < s) red[l] = use_max ? fmax(red[l], red[l + s]) : red[l] + red[l + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = red[0];
    barrier(CLK_LOCAL_MEM_FENCE); // red may be reused right after
    return r;
}

// Stable log-softmax statistics of one row x[0..c): mx = max, lse = log(sum exp(x - mx)) (so
// logp_j = x_j - mx - lse), sumz = sum (x_j - mx).
inline void loss_row_stats(global const float *x, int c, local float *red, float *mx, float *lse,
                           float *sumz)
{
    uint l = get_local_id(0), size = get_local_size(0);
    float v = -INFINITY;
    for (uint j = l; j < (uint)c; j += size) v = fmax(v, x[j]);
    float m = loss_wg_reduce(red, v, 1);
    float se = 0.0f, sz = 0.0f, sec = 0.0f; // sum exp compensated (Kahan): few work items, big c
    for (uint j = l; j < (uint)c; j += size) {
        float z = x[j] - m, y = exp(z) - sec, t = se + y;
        sec = (t - se) - y;
        se = t;
        sz += z;
    }
    *mx = m;
    *lse = log(loss_wg_reduce(red, se, 0));
    *sumz = loss_wg_reduce(red, sz, 0);
}

// loss (N): (eps/c) * (-sum_j logp_ij) + (1-eps) * (-logp_i,y); NaN for a label outside [0, c).
// logits (N, C) float, labels (N) int32. -sum_j logp_ij = c*lse - sumz.
kernel void xent_forward(global float *loss, ulong loss_off, global const float *logits,
                         ulong logits_off, global const int *labels, ulong labels_off, int c,
                         float eps, local float *red)
{
    uint i = get_group_id(0);
    global const float *x = logits + logits_off + (ulong)i * (ulong)c;
    float m, lse, sumz;
    loss_row_stats(x, c, red, &m, &lse, &sumz);
    if (get_local_id(0) != 0) return;
    int y = labels[labels_off + i];
    float nll = (y >= 0 && y < c) ? lse - (x[y] - m) : NAN;
    loss[loss_off + i] = (eps / (float)c) * ((float)c * lse - sumz) + (1.0f - eps) * nll;
}

// dlogits (N, C) = (softmax - (1-eps)*onehot(y) - eps/c) / N, written; NaN rows for a bad label.
kernel void xent_backward(global float *dlogits, ulong dlogits_off, global const float *logits,
                          ulong logits_off, global const int *labels, ulong labels_off, int n,
                          int c, float eps, local float *red)
{
    uint i = get_group_id(0), size = get_local_size(0);
    ulong row = (ulong)i * (ulong)c;
    global const float *x = logits + logits_off + row;
    float m, lse, sumz;
    loss_row_stats(x, c, red, &m, &lse, &sumz);
    int y = labels[labels_off + i];
    float bad = (y >= 0 && y < c) ? 0.0f : NAN, inv_n = 1.0f / (float)n, u = eps / (float)c;
    for (uint j = get_local_id(0); j < (uint)c; j += size) {
        float t = ((int)j == y ? 1.0f - eps : 0.0f) + u;
        dlogits[dlogits_off + row + j] = (exp(x[j] - m - lse) - t) * inv_n + bad;
    }
}

// correct (N) int32: bit 0 when the label ranks first, bit 1 when it ranks in the top 5, where a
// class outranks the label when its logit is larger, or equal at a lower index. 0 for a bad
// label or a NaN label logit.
kernel void topk_correct(global int *correct, ulong correct_off, global const float *logits,
                         ulong logits_off, global const int *labels, ulong labels_off, int c,
                         local float *red)
{
    uint i = get_group_id(0), size = get_local_size(0);
    global const float *x = logits + logits_off + (ulong)i * (ulong)c;
    int y = labels[labels_off + i];
    int ok = y >= 0 && y < c;
    float v = ok ? x[y] : 0.0f;
    float ahead = 0.0f; // classes ranked above the label (exact in float up to 2^24)
    for (uint j = get_local_id(0); j < (uint)c; j += size)
        ahead += (x[j] > v || (x[j] == v && (int)j < y)) ? 1.0f : 0.0f;
    float rank = loss_wg_reduce(red, ahead, 0);
    if (get_local_id(0) != 0) return;
    ok = ok && !isnan(v);
    correct[correct_off + i] = ok ? ((rank < 0.5f ? 1 : 0) | (rank < 4.5f ? 2 : 0)) : 0;
}
