// Elementwise kernels: fill, scale, axpy, copy, residual add and its backward.
// One work item per element; every kernel guards its index (global size is padded).

kernel void fill(global float *x, ulong x_off, float v, ulong n)
{
    size_t i = get_global_id(0);
    if (i < n) x[x_off + i] = v;
}

kernel void scale(global float *x, ulong x_off, float a, ulong n)
{
    size_t i = get_global_id(0);
    if (i < n) x[x_off + i] *= a;
}

kernel void axpy(global float *y, ulong y_off, float a, global const float *x, ulong x_off, ulong n)
{
    size_t i = get_global_id(0);
    if (i < n) y[y_off + i] += a * x[x_off + i];
}

kernel void copy(global float *y, ulong y_off, global const float *x, ulong x_off, ulong n)
{
    size_t i = get_global_id(0);
    if (i < n) y[y_off + i] = x[x_off + i];
}

kernel void add_forward(global float *out, ulong out_off, global const float *a, ulong a_off,
                        global const float *b, ulong b_off, ulong n)
{
    size_t i = get_global_id(0);
    if (i < n) out[out_off + i] = a[a_off + i] + b[b_off + i];
}

// da = / += dout (accum flag), likewise db; either output may be absent (has_a / has_b = 0).
kernel void add_backward(global float *da, ulong da_off, int a_accum, int has_a,
                         global float *db, ulong db_off, int b_accum, int has_b,
                         global const float *dout, ulong dout_off, ulong n)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    float g = dout[dout_off + i];
    if (has_a) da[da_off + i] = (a_accum ? da[da_off + i] : 0.0f) + g;
    if (has_b) db[db_off + i] = (b_accum ? db[db_off + i] : 0.0f) + g;
}
