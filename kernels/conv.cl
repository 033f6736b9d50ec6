// Layout kernels for conv2d as im2col + GEMM: im2col, col2im (also the un-packing of GEMM results
// with bias), bias add and bias gradient. No GEMM here (ct_gemm does that); no double, no atomics.
//
// "Column" layout used by every kernel here: col (R, NB*P) float, row r, image n, position p at
// col[col_off + r * (NB*P) + n * P + p]; for im2col R = C*KH*KW with r = (c*KH + kh)*KW + kw and
// P = OH*OW. With KH = KW = 1, stride 1, pad 0 im2col is a pack (NB, C, P) -> (C, NB*P) and col2im
// the inverse unpack.

#ifndef CONV_WG
#define CONV_WG 256 // local size of bias_backward (the host passes the same value)
#endif

// col (C*KH*KW, NB*OH*OW) <- in (NB, C, H, W); zero where the window falls in the padding.
// One work item per col element; global size padded, total = C*KH*KW*NB*OH*OW.
kernel void im2col(global const float *in, ulong in_off, global float *col, ulong col_off, int c,
                   int h, int w, int kh, int kw, int stride, int pad, int oh, int ow, int nb)
{
    ulong i = get_global_id(0);
    ulong p_img = (ulong)oh * ow;
    ulong ld = (ulong)nb * p_img;
    ulong total = (ulong)c * kh * kw * ld;
    if (i >= total) return;
    ulong r = i / ld, j = i % ld;
    int n = (int)(j / p_img), p = (int)(j % p_img);
    int oy = p / ow, ox = p % ow;
    int kx = (int)(r % kw), ky = (int)((r / kw) % kh), ch = (int)(r / ((ulong)kw * kh));
    int y = oy * stride - pad + ky, x = ox * stride - pad + kx;
    float v = 0.0f;
    if (y >= 0 && y < h && x >= 0 && x < w)
        v = in[in_off + (((ulong)n * c + ch) * h + y) * w + x];
    col[col_off + i] = v;
}

// out (NB, C, H, W) = / += sum of the col entries that im2col took from each element, plus
// bias[c] when has_bias. A gather (one work item per output element), so no atomics. With
// KH = KW = 1, stride 1, pad 0 this unpacks a GEMM result (C, NB*H*W) into NCHW.
kernel void col2im(global const float *col, ulong col_off, global float *out, ulong out_off,
                   int accum, global const float *bias, ulong bias_off, int has_bias, int c, int h,
                   int w, int kh, int kw, int stride, int pad, int oh, int ow, int nb)
{
    ulong i = get_global_id(0);
    ulong total = (ulong)nb * c * h * w;
    if (i >= total) return;
    int x = (int)(i % w), y = (int)((i / w) % h);
    int ch = (int)((i / ((ulong)w * h)) % c), n = (int)(i / ((ulong)w * h * c));
    ulong p_img = (ulong)oh * ow;
    ulong ld = (ulong)nb * p_img;
    float s = 0.0f;
    for (int ky = 0; ky < kh; ky++) {
        int ty = y + pad - ky; // = oy * stride
        if (ty < 0 || ty % stride) continue;
        int oy = ty / stride;
        if (oy >= oh) continue;
        for (int kx = 0; kx < kw; kx++) {
            int tx = x + pad - kx;
            if (tx < 0 || tx % stride) continue;
            int ox = tx / stride;
            if (ox >= ow) continue;
            ulong r = ((ulong)ch * kh + ky) * kw + kx;
            s += col[col_off + r * ld + (ulong)n * p_img + (ulong)oy * ow + ox];
        }
    }
    if (has_bias) s += bias[bias_off + ch];
    if (accum) s += out[out_off + i];
    out[out_off + i] = s;
}

// x (N, C, P) += bias (C), broadcast over N and P. One work item per element.
kernel void bias_add(global float *x, ulong x_off, global const float *bias, ulong bias_off, int n,
                     int c, int p)
{
    ulong i = get_global_id(0);
    if (i >= (ulong)n * c * p) return;
    int ch = (int)((i / (ulong)p) % c);
    x[x_off + i] += bias[bias_off + ch];
}

// dbias (C) += sum over N and P of dout (N, C, P). One work group of CONV_WG items per channel:
// strided partial sums, then a tree reduction in local memory (barriers in uniform flow).
kernel void bias_backward(global float *dbias, ulong dbias_off, global const float *dout,
                          ulong dout_off, int n, int c, int p, local float *part)
{
    int ch = get_group_id(0);
    int lid = get_local_id(0);
    ulong m = (ulong)n * p;
    float s = 0.0f;
    if (ch < c)
        for (ulong j = lid; j < m; j += CONV_WG) {
            ulong img = j / (ulong)p, q = j % (ulong)p;
            s += dout[dout_off + (img * c + ch) * p + q];
        }
    part[lid] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int step = CONV_WG / 2; step > 0; step >>= 1) {
        if (lid < step) part[lid] += part[lid + step];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0 && ch < c) dbias[dbias_off + ch] += part[0];
}
