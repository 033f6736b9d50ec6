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

// ---- register-tiled GEMM for CPU devices (PoCL) ----------------------------------------------
//
// "Panel" layout of a GEMM's B operand (K, N) per group g: 16-column panels, each K x 16 and
// contiguous: B[g][k][j] at b[g * nt*K*16 + (j/16) * K*16 + k*16 + j%16], nt = ceil(N/16),
// columns j >= N zero. im2col_panel writes it, gemm_tile reads it with one sequential float16
// load per k.

#ifndef GEMM_R
#define GEMM_R 8 // rows of C per work item (each row a float16 accumulator)
#endif

// Panel B <- im2col of in (NB, C, H, W) for `groups` groups of Kg = C*KH*KW/groups rows.
// trans 0: B_g (K = Kg, N = NB*OH*OW), B_g[k][j] = col[g*Kg + k][j] (forward, data grad);
// trans 1: B_g (K = NB*OH*OW, N = Kg), B_g[k][j] = col[g*Kg + j][k] (weight grad).
// col[r][pos] is im2col's element: r = (c*KH + ky)*KW + kx, pos = n*OH*OW + oy*OW + ox.
kernel void im2col_panel(global const float *in, ulong in_off, global float *out, ulong out_off,
                         int c, int h, int w, int kh, int kw, int stride, int pad, int oh, int ow,
                         int nb, int groups, int trans)
{
    ulong i = get_global_id(0);
    ulong kg = (ulong)c * kh * kw / groups, npos = (ulong)nb * oh * ow;
    ulong kdim = trans ? npos : kg, ndim = trans ? kg : npos;
    ulong nt = (ndim + 15) / 16;
    if (i >= (ulong)groups * nt * kdim * 16) return;
    ulong q = i % 16, t = i / 16;
    ulong kq = t % kdim;
    t /= kdim;
    ulong jt = t % nt, g = t / nt;
    ulong j = jt * 16 + q;
    float v = 0.0f;
    if (j < ndim) {
        ulong r = g * kg + (trans ? j : kq), pos = trans ? kq : j;
        ulong p_img = (ulong)oh * ow;
        int n = (int)(pos / p_img), p = (int)(pos % p_img);
        int oy = p / ow, ox = p % ow;
        int kx = (int)(r % kw), ky = (int)((r / kw) % kh), ch = (int)(r / ((ulong)kw * kh));
        int y = oy * stride - pad + ky, x = ox * stride - pad + kx;
        if (y >= 0 && y < h && x >= 0 && x < w)
            v = in[in_off + (((ulong)n * c + ch) * h + y) * w + x];
    }
    out[out_off + i] = v;
}

#ifdef TRANS_A
#define A_AT(ap, lda, i, k) (ap)[(ulong)(k) * (lda) + (i)]
#else
#define A_AT(ap, lda, i, k) (ap)[(ulong)(i) * (lda) + (k)]
#endif

// C_g (M, N) = / += op(A_g) (M, K) . B_g (K, N) (+ bias[g*M + i] when has_bias) for group
// g = get_global_id(2). op(A) = A (row-major, lda >= K) or, with -DTRANS_A, A stored (K, M).
// B in panel layout (b_ps = the panel stride, K_full*16). C row-major (c_plane 0: C[i][j] at
// i*ldc + j) or NCHW (c_plane P > 0: column j = (image n, position p) = (j / P, j % P) lands at
// n*ldc + i*P + p). Work item (i-tile, j-tile, g) computes a GEMM_R x 16 tile: one float16 load
// of B and GEMM_R broadcast A values per k, like CPU code; i runs fastest so neighbouring work
// items share B's panel in cache. accum 0: C is written (never read), 1: added to.
kernel void gemm_tile(int m, int n, int k, int accum,
                      global const float *a, ulong a_off, int lda, ulong a_gs,
                      global const float *b, ulong b_off, ulong b_ps, ulong b_gs,
                      global float *c, ulong c_off, int ldc, ulong c_gs, int c_plane,
                      global const float *bias, ulong bias_off, int has_bias)
{
    int i0 = get_global_id(0) * GEMM_R;
    int jt = get_global_id(1), j0 = jt * 16;
    ulong g = get_global_id(2);
    if (j0 >= n || i0 >= m) return;
    global const float *ap = a + a_off + g * a_gs;
    global const float *bp = b + b_off + g * b_gs + (ulong)jt * b_ps;
    int rows = m - i0 < GEMM_R ? m - i0 : GEMM_R;
    int cols = n - j0 < 16 ? n - j0 : 16;
    int ar[GEMM_R]; // row indices clamped to the last valid row: loads stay in bounds
    for (int r = 0; r < GEMM_R; r++) ar[r] = i0 + (r < rows ? r : rows - 1);
    float16 acc[GEMM_R];
    for (int r = 0; r < GEMM_R; r++) acc[r] = (float16)(0.0f);
    for (int kk = 0; kk < k; kk++) {
        float16 bv = vload16(0, bp + (ulong)kk * 16);
        for (int r = 0; r < GEMM_R; r++)
            acc[r] = fma((float16)(A_AT(ap, lda, ar[r], kk)), bv, acc[r]);
    }
    global float *cg = c + c_off + g * c_gs;
    int p0 = c_plane ? j0 % c_plane : 0;
    ulong base = c_plane ? (ulong)(j0 / c_plane) * ldc + p0 : (ulong)j0;
    int contiguous = cols == 16 && (!c_plane || p0 + 16 <= c_plane);
    for (int r = 0; r < rows; r++) {
        int i = i0 + r;
        float16 v = acc[r];
        if (has_bias) v += (float16)(bias[bias_off + g * m + i]);
        ulong row = (ulong)i * (c_plane ? c_plane : ldc);
        if (contiguous) {
            global float *o = cg + base + row;
            if (accum) v += vload16(0, o);
            vstore16(v, 0, o);
        } else {
            float t[16];
            vstore16(v, 0, t);
            for (int q = 0; q < cols; q++) {
                int j = j0 + q;
                ulong o = c_plane ? (ulong)(j / c_plane) * ldc + row + j % c_plane : row + j;
                cg[o] = accum ? cg[o] + t[q] : t[q];
            }
        }
    }
}
