// conv2d kernels: im2col/col2im layout kernels and bias add/gradient (used by both GEMM back ends
// of src/ops/conv.c), and for CPU devices a register-tiled GEMM on packed panels plus implicit-GEMM
// convolution and weight-gradient kernels. No double, no atomics, no work-group barriers except
// in bias_backward's reduction.
//
// "Column" layout used by im2col/col2im: col (R, NB*P) float, row r, image n, position p at
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
// bias[c] when has_bias. A gather (one work item per output element, or per row of them in
// col2im_rows), so no atomics. With KH = KW = 1, stride 1, pad 0 this unpacks a GEMM result
// (C, NB*H*W) into NCHW.
inline void col2im_at(global const float *col, ulong col_off, global float *out, ulong i,
                      int accum, global const float *bias, ulong bias_off, int has_bias, int n,
                      int ch, int y, int x, int kh, int kw, int stride, int pad, int oh, int ow,
                      int nb)
{
    ulong p_img = (ulong)oh * ow;
    ulong ld = (ulong)nb * p_img;
    global const float *cn = col + col_off + (ulong)n * p_img;
    // taps that read (y, x): oy*stride + ky - pad = y with 0 <= ky < kh, 0 <= oy < oh; loop over
    // oy (and ox) directly so there is no division per tap
    int ty = y + pad, tx = x + pad;
    int oy0 = ty - kh + 1 > 0 ? (ty - kh + stride) / stride : 0, oy1 = min(ty / stride, oh - 1);
    int ox0 = tx - kw + 1 > 0 ? (tx - kw + stride) / stride : 0, ox1 = min(tx / stride, ow - 1);
    float s = 0.0f;
    for (int oy = oy0; oy <= oy1; oy++) {
        int ky = ty - oy * stride;
        for (int ox = ox0; ox <= ox1; ox++) {
            int kx = tx - ox * stride;
            ulong r = ((ulong)ch * kh + ky) * kw + kx;
            s += cn[r * ld + (ulong)(oy * ow + ox)];
        }
    }
    if (has_bias) s += bias[bias_off + ch];
    if (accum) s += out[i];
    out[i] = s;
}

kernel void col2im(global const float *col, ulong col_off, global float *out, ulong out_off,
                   int accum, global const float *bias, ulong bias_off, int has_bias, int c,
                   int h, int w, int kh, int kw, int stride, int pad, int oh, int ow, int nb)
{
    uint i = get_global_id(0); // 32-bit index split: the host keeps nb*C*H*W under 2^31
    if (i >= (uint)(nb * c * h * w)) return;
    uint plane = (uint)(h * w), img = (uint)c * plane;
    int n = (int)(i / img), ch = (int)(i % img / plane), yx = (int)(i % plane);
    col2im_at(col, col_off, out + out_off, i, accum, bias, bias_off, has_bias, n, ch, yx / w,
              yx % w, kh, kw, stride, pad, oh, ow, nb);
}

// col2im with one work item per output row (n, ch, y): the index split once per row, which on
// CPU devices cost more than the gather itself.
kernel void col2im_rows(global const float *col, ulong col_off, global float *out, ulong out_off,
                        int accum, global const float *bias, ulong bias_off, int has_bias, int c,
                        int h, int w, int kh, int kw, int stride, int pad, int oh, int ow, int nb)
{
    uint row = get_global_id(0);
    if (row >= (uint)(nb * c * h)) return;
    int y = (int)(row % (uint)h), nc = (int)(row / (uint)h);
    for (int x = 0; x < w; x++)
        col2im_at(col, col_off, out + out_off, (ulong)row * w + x, accum, bias, bias_off, has_bias,
                  nc / c, nc % c, y, x, kh, kw, stride, pad, oh, ow, nb);
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
#ifndef WG_CO
#define WG_CO 2 // output channels per work item of the 3x3 implicit weight gradient
#endif

// Panel B <- im2col of in (NB, C, H, W) for `groups` groups of Kg = C*KH*KW/groups rows:
// B_g (K = Kg, N = NB*OH*OW), B_g[k][j] = col[g*Kg + k][j] (forward and data-gradient GEMMs),
// col[r][pos] im2col's element: r = (c*KH + ky)*KW + kx, pos = n*OH*OW + oy*OW + ox.
// One work item per 16-wide panel row (g, j-panel, k): the index split is done once, then the 16
// columns step through positions. 32-bit index math: the host keeps a chunk's panel under 2^31
// elements.
kernel void im2col_panel(global const float *in, ulong in_off, global float *out, ulong out_off,
                         int c, int h, int w, int kh, int kw, int stride, int pad, int oh, int ow,
                         int nb, int groups)
{
    uint i = get_global_id(0);
    uint kg = (uint)(c * kh * kw / groups), npos = (uint)(nb * oh * ow);
    uint kdim = kg, ndim = npos;
    uint nt = (ndim + 15) / 16;
    if (i >= (uint)groups * nt * kdim) return;
    uint kq = i % kdim, t = i / kdim;
    uint jt = t % nt, g = t / nt;
    uint j0 = jt * 16;
    // the first column's (r, pos), split into (ch, ky, kx) and (n, oy, ox)
    uint r = g * kg + kq, pos = j0;
    uint p_img = (uint)(oh * ow);
    int n = (int)(pos / p_img), p = (int)(pos % p_img);
    int oy = p / ow, ox = p % ow;
    int kx = (int)(r % (uint)kw), ky = (int)((r / (uint)kw) % (uint)kh);
    int ch = (int)(r / (uint)(kw * kh));
    global float *o = out + out_off + (ulong)i * 16;
    if (j0 + 16 <= ndim) { // fast paths: the 16 positions read one input row segment
        global const float *src = in + in_off + (ulong)(n * c + ch) * h * w;
        int yy = oy * stride - pad + ky, xx = ox * stride - pad + kx;
        if (kh == 1 && kw == 1 && stride == 1 && pad == 0 && p + 16 <= (int)p_img) {
            vstore16(vload16(0, src + p), 0, o); // a pack: positions are contiguous
            return;
        }
        if (ox + 16 <= ow && yy >= 0 && yy < h && xx >= 0) {
            if (stride == 1 && xx + 16 <= w) {
                vstore16(vload16(0, src + (ulong)yy * w + xx), 0, o);
                return;
            }
            if (stride == 2 && xx + 32 <= w) {
                float16 lo = vload16(0, src + (ulong)yy * w + xx);
                float16 hi = vload16(0, src + (ulong)yy * w + xx + 16);
                vstore16((float16)(lo.even, hi.even), 0, o);
                return;
            }
        }
    }
    float v[16];
    for (int q = 0; q < 16; q++) {
        float x = 0.0f;
        if (j0 + q < ndim && n < nb) {
            int yy = oy * stride - pad + ky, xx = ox * stride - pad + kx;
            if (yy >= 0 && yy < h && xx >= 0 && xx < w)
                x = in[in_off + ((ulong)(n * c + ch) * h + yy) * w + xx];
        }
        v[q] = x;
        if (++ox == ow) { // next output position
            ox = 0;
            if (++oy == oh) oy = 0, n++;
        }
    }
    for (int q = 0; q < 16; q++) o[q] = v[q];
}

// The weight-gradient panel: B_g (K = NB*OH*OW, N = Kg), B_g[k][j] = col[g*Kg + j][k] in the
// panel layout above (16 taps side by side per position). Work item (g, tap panel, 16-position block, tap q) reads 16 positions of one tap,
// with the same row vector loads as the forward panel, and writes them 16 floats apart; the 16
// work items of a block fill the same 16 cache lines one after another.
kernel void im2col_panel_t(global const float *in, ulong in_off, global float *out, ulong out_off,
                           int c, int h, int w, int kh, int kw, int stride, int pad, int oh,
                           int ow, int nb, int groups)
{
    uint i = get_global_id(0);
    uint kg = (uint)(c * kh * kw / groups), npos = (uint)(nb * oh * ow);
    uint nt = (kg + 15) / 16, npb = (npos + 15) / 16;
    if (i >= (uint)groups * nt * npb * 16) return;
    uint q = i % 16, t = i / 16;
    uint pb = t % npb;
    t /= npb;
    uint jt = t % nt, g = t / nt;
    uint tap = jt * 16 + q, pos0 = pb * 16;
    uint cnt = npos - pos0 < 16 ? npos - pos0 : 16;
    global float *o = out + out_off + ((ulong)g * nt + jt) * npos * 16 + (ulong)pos0 * 16 + q;
    float v[16];
    for (int e = 0; e < 16; e++) v[e] = 0.0f;
    if (tap < kg) {
        uint r = g * kg + tap;
        int kx = (int)(r % (uint)kw), ky = (int)((r / (uint)kw) % (uint)kh);
        int ch = (int)(r / (uint)(kw * kh));
        uint p_img = (uint)(oh * ow);
        int n = (int)(pos0 / p_img), p = (int)(pos0 % p_img);
        int oy = p / ow, ox = p % ow;
        global const float *src = in + in_off + (ulong)(n * c + ch) * h * w;
        int yy = oy * stride - pad + ky, xx = ox * stride - pad + kx;
        int done = 0;
        if (cnt == 16 && kh == 1 && kw == 1 && stride == 1 && pad == 0 && p + 16 <= (int)p_img) {
            vstore16(vload16(0, src + p), 0, v); // a 1x1 tap: positions are contiguous
            done = 1;
        } else if (cnt == 16 && ox + 16 <= ow && yy >= 0 && yy < h && xx >= 0) {
            if (stride == 1 && xx + 16 <= w) {
                vstore16(vload16(0, src + (ulong)yy * w + xx), 0, v);
                done = 1;
            } else if (stride == 2 && xx + 32 <= w) {
                float16 lo = vload16(0, src + (ulong)yy * w + xx);
                float16 hi = vload16(0, src + (ulong)yy * w + xx + 16);
                vstore16((float16)(lo.even, hi.even), 0, v);
                done = 1;
            }
        }
        if (!done)
            for (uint e = 0; e < cnt; e++) {
                int y2 = oy * stride - pad + ky, x2 = ox * stride - pad + kx;
                if (y2 >= 0 && y2 < h && x2 >= 0 && x2 < w)
                    v[e] = in[in_off + ((ulong)(n * c + ch) * h + y2) * w + x2];
                if (++ox == ow) {
                    ox = 0;
                    if (++oy == oh) oy = 0, n++;
                }
            }
    }
    for (uint e = 0; e < cnt; e++) o[(ulong)e * 16] = v[e];
}

// Panel A <- op(A_g) (M, K) for `groups` groups: GEMM_R-row panels, each K x GEMM_R and
// contiguous: A_g[i][k] at out[g * mt*K*GEMM_R + (i/GEMM_R) * K*GEMM_R + k*GEMM_R + i%GEMM_R],
// mt = ceil(M/GEMM_R), rows i >= M zero. Source element A_g(i, k) at a + g*a_gs +
//   mode 0: i*lda + k (row-major)   mode 1: k*lda + i (stored transposed)
//   mode 2: (k/plane)*lda + i*plane + k%plane (NCHW: k = image*plane + position, lda = image
//           stride), the layout of dout for the weight gradient;
//   mode 3: (k/plane)*lda + i*plane + plane-1 - k%plane (plane = KH*KW, lda = C_in/g*KH*KW):
//           conv weights with in/out channels swapped and the window flipped, so a stride-1
//           data gradient runs as a forward convolution of dout.
// One work item per 16 values of k of one row panel (16 x GEMM_R floats written contiguously):
// the index split is done once per item and k's (k/plane, k%plane) advance by increments, as
// integer division per element cost more than the copy itself on CPU devices.
#define PACK_KB 16
kernel void pack_a(global const float *a, ulong a_off, int lda, ulong a_gs, int mode, int plane,
                   int m, int k, int groups, global float *out, ulong out_off)
{
    uint e = get_global_id(0);
    uint mt = (uint)(m + GEMM_R - 1) / GEMM_R, kb = (uint)(k + PACK_KB - 1) / PACK_KB;
    if (e >= (uint)groups * mt * kb) return;
    uint k0 = e % kb * PACK_KB, t = e / kb;
    uint it = t % mt, g = t / mt;
    uint i0 = it * GEMM_R, rows = (uint)m - i0 < GEMM_R ? (uint)m - i0 : GEMM_R;
    uint kn = (uint)k - k0 < PACK_KB ? (uint)k - k0 : PACK_KB;
    uint pl = plane > 0 ? (uint)plane : 1u; // modes 0 and 1 pass plane 0
    uint kq = k0 / pl, kr = k0 % pl;
    global const float *src = a + a_off + g * a_gs;
    global float *o = out + out_off + ((ulong)g * mt + it) * (ulong)k * GEMM_R + (ulong)k0 * GEMM_R;
    for (uint q = 0; q < kn; q++) {
        uint kk = k0 + q;
        for (uint r = 0; r < GEMM_R; r++) {
            ulong i = i0 + r;
            ulong at = mode == 0   ? i * lda + kk
                       : mode == 1 ? (ulong)kk * lda + i
                       : mode == 2 ? (ulong)kq * lda + i * pl + kr
                                   : (ulong)kq * lda + i * pl + (pl - 1 - kr);
            o[q * GEMM_R + r] = r < rows ? src[at] : 0.0f;
        }
        if (++kr == pl) kr = 0, kq++;
    }
}

// C_g (M, N) = / += A_g (M, K) . B_g (K, N) (+ bias[g*M + i] when has_bias) for group
// g = get_global_id(2); A in row-panel layout (pack_a; a_ps = K_full*GEMM_R, a_gs per group),
// B in column-panel layout (im2col_panel; b_ps = K_full*16, b_gs per group). C row-major
// (c_plane 0: C[i][j] at i*ldc + j) or NCHW (c_plane P > 0: column j = (image n, position p) =
// (j / P, j % P) lands at n*ldc + i*P + p). Work item (i-tile, pair of j-panels, g) computes a
// GEMM_R x 32 tile like CPU code: per k, two float16 loads of B, GEMM_R contiguous A values
// broadcast, 2*GEMM_R float16 FMAs (2*GEMM_R accumulators: 16 of AVX-512's 32 registers); i runs
// fastest so neighbouring work items share B's panels in cache. A missing second panel (odd
// panel count) repeats the first and is not stored. accum 0: C is written (never read), 1:
// added to.
kernel void gemm_tile(int m, int n, int k, int accum,
                      global const float *a, ulong a_off, ulong a_ps, ulong a_gs,
                      global const float *b, ulong b_off, ulong b_ps, ulong b_gs,
                      global float *c, ulong c_off, int ldc, ulong c_gs, int c_plane,
                      global const float *bias, ulong bias_off, int has_bias)
{
    int it = get_global_id(0), i0 = it * GEMM_R;
    int jt = get_global_id(1) * 2, j0 = jt * 16;
    ulong g = get_global_id(2);
    if (j0 >= n || i0 >= m) return;
    int two = j0 + 16 < n;
    global const float *ap = a + a_off + g * a_gs + (ulong)it * a_ps;
    global const float *bp0 = b + b_off + g * b_gs + (ulong)jt * b_ps;
    global const float *bp1 = two ? bp0 + b_ps : bp0;
    float16 acc0[GEMM_R], acc1[GEMM_R];
#pragma unroll
    for (int r = 0; r < GEMM_R; r++) acc0[r] = acc1[r] = (float16)(0.0f);
    for (int kk = 0; kk < k; kk++) {
        float16 b0 = vload16(0, bp0 + (ulong)kk * 16), b1 = vload16(0, bp1 + (ulong)kk * 16);
        global const float *ak = ap + (ulong)kk * GEMM_R;
#pragma unroll
        for (int r = 0; r < GEMM_R; r++) {
            float16 av = (float16)(ak[r]);
            acc0[r] = fma(av, b0, acc0[r]);
            acc1[r] = fma(av, b1, acc1[r]);
        }
    }
    global float *cg = c + c_off + g * c_gs;
    int rows = m - i0 < GEMM_R ? m - i0 : GEMM_R;
    for (int h = 0; h <= two; h++) {
        int jh = j0 + h * 16, cols = n - jh < 16 ? n - jh : 16;
        int p0 = c_plane ? jh % c_plane : 0;
        ulong base = c_plane ? (ulong)(jh / c_plane) * ldc + p0 : (ulong)jh;
        int contiguous = cols == 16 && (!c_plane || p0 + 16 <= c_plane);
        for (int r = 0; r < rows; r++) {
            int i = i0 + r;
            float16 v = h ? acc1[r] : acc0[r];
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
                    int j = jh + q;
                    ulong o = c_plane ? (ulong)(j / c_plane) * ldc + row + j % c_plane : row + j;
                    cg[o] = accum ? cg[o] + t[q] : t[q];
                }
            }
        }
    }
}

// The sum of a float16's lanes (pairwise halves: a fixed order, so results are reproducible).
inline float hsum16(float16 v)
{
    float8 h8 = v.lo + v.hi;
    float4 h4 = h8.lo + h8.hi;
    float2 h2 = h4.lo + h4.hi;
    return h2.x + h2.y;
}

// ---- implicit GEMM for stride-1 convs on CPU devices --------------------------------------------

// out (NB, C, HP, WP) = in (NB, C, H, W) placed at (pad, pad), zeros around: the input of
// gemm_implicit, whose vector loads then never leave the tensor. One work item per output row
// (one index split per row, 16-float vector copies: with one item and four integer divisions
// per element this copy took 18 % of a training step). 32-bit index math (the host keeps
// NB*C*HP*WP under 2^31).
kernel void pad_planes(global const float *in, ulong in_off, global float *out, ulong out_off,
                       int c, int h, int w, int hp, int wp, int pad, int nb)
{
    uint row = get_global_id(0);
    if (row >= (uint)(nb * c * hp)) return;
    uint nc = row / (uint)hp;
    int y = (int)(row % (uint)hp) - pad;
    global float *o = out + out_off + (ulong)row * wp;
    if (y < 0 || y >= h) {
        int x = 0;
        for (; x + 16 <= wp; x += 16) vstore16((float16)(0.0f), 0, o + x);
        for (; x < wp; x++) o[x] = 0.0f;
        return;
    }
    global const float *src = in + in_off + ((ulong)nc * h + y) * w;
    for (int x = 0; x < pad; x++) o[x] = 0.0f;
    global float *oi = o + pad;
    int x = 0;
    for (; x + 16 <= w; x += 16) vstore16(vload16(0, src + x), 0, oi + x);
    for (; x < w; x++) oi[x] = src[x];
    for (int t = pad + w; t < wp; t++) o[t] = 0.0f;
}

// Stride-1 convolution as an implicit GEMM: out_g (Cog = m, positions) = / += A_g . im2col(in),
// the im2col columns never stored. `in` is padded (pad_planes: (NB, C, HP, WP) with WP >=
// ceil(OW/16)*16 + KW - 1 and HP >= OH + KH rounded to even OH), so the B vector of tap
// (ch, ky, kx) for 16 output columns ox0 .. ox0+15 of row oy is one vload16 at row oy + ky,
// column ox0 + kx. A is packed by pack_a (rows = output channels, k = (ch*KH + ky)*KW + kx).
// Work item (i-tile, (n, pair of rows oy0 and oy0+1, 16-column tile), g): input row oy0 + t
// feeds output row oy0 with ky = t and row oy0+1 with ky = t-1, so KH+1 rows of vector loads
// serve 2*KH rows of FMAs. The store masks columns past OW and a second row past OH. bias
// (C_out) optional; accum 0 writes, 1 adds; nb: the chunk's images (items past them return).
inline void implicit_pairs(int m, int cg, const int kh, const int kw, int hp, int wp, int oh,
                           int ow, int c, int nb, int accum, global const float *a, ulong a_off,
                           ulong a_ps, ulong a_gs, global const float *in, ulong in_off,
                           global float *out, ulong out_off, global const float *bias,
                           ulong bias_off, int has_bias)
{
    int it = get_global_id(0), i0 = it * GEMM_R;
    uint jt = get_global_id(1);
    uint g = get_global_id(2);
    uint tpr = (uint)(ow + 15) / 16, rp = (uint)(oh + 1) / 2;
    uint n = jt / (rp * tpr), rem = jt % (rp * tpr);
    int oy = (int)(rem / tpr) * 2, ox0 = (int)(rem % tpr) * 16;
    if (i0 >= m || n >= (uint)nb) return;
    global const float *ap = a + a_off + g * a_gs + (ulong)it * a_ps;
    global const float *bp = in + in_off + (((ulong)n * c + g * cg) * hp + oy) * wp + ox0;
    float16 acc0[GEMM_R], acc1[GEMM_R];
#pragma unroll
    for (int r = 0; r < GEMM_R; r++) acc0[r] = acc1[r] = (float16)(0.0f);
    const int tk = kh * kw * GEMM_R; // floats of A per input channel
    for (int ch = 0; ch < cg; ch++) {
        global const float *bc = bp + (ulong)ch * hp * wp;
        global const float *ac = ap + (ulong)ch * tk;
#pragma unroll
        for (int t = 0; t <= kh; t++) {
            global const float *brow = bc + t * wp;
            global const float *a0 = ac + t * kw * GEMM_R;  // taps ky = t of row oy
            global const float *a1 = a0 - kw * GEMM_R;      // taps ky = t-1 of row oy+1
#pragma unroll
            for (int kx = 0; kx < kw; kx++) {
                float16 bv = vload16(0, brow + kx);
                if (t < kh) {
#pragma unroll
                    for (int r = 0; r < GEMM_R; r++)
                        acc0[r] = fma((float16)(a0[kx * GEMM_R + r]), bv, acc0[r]);
                }
                if (t > 0) {
#pragma unroll
                    for (int r = 0; r < GEMM_R; r++)
                        acc1[r] = fma((float16)(a1[kx * GEMM_R + r]), bv, acc1[r]);
                }
            }
        }
    }
    int rows = m - i0 < GEMM_R ? m - i0 : GEMM_R;
    int cols = ow - ox0 < 16 ? ow - ox0 : 16;
    ulong plane = (ulong)oh * ow, c_out = (ulong)get_global_size(2) * m;
    global float *o = out + out_off + (ulong)n * c_out * plane + (ulong)oy * ow + ox0;
    for (int h = 0; h < 2 && oy + h < oh; h++)
        for (int r = 0; r < rows; r++) {
            ulong co = g * m + i0 + r;
            global float *orow = o + co * plane + h * ow;
            float16 v = h ? acc1[r] : acc0[r];
            if (has_bias) v += (float16)(bias[bias_off + co]);
            if (cols == 16) {
                if (accum) v += vload16(0, orow);
                vstore16(v, 0, orow);
            } else {
                float t[16];
                vstore16(v, 0, t);
                for (int q = 0; q < cols; q++) orow[q] = accum ? orow[q] + t[q] : t[q];
            }
        }
}

kernel void gemm_implicit(int m, int cg, int kh, int kw, int hp, int wp, int oh, int ow, int c,
                          int nb, int accum, global const float *a, ulong a_off, ulong a_ps,
                          ulong a_gs, global const float *in, ulong in_off, global float *out,
                          ulong out_off, global const float *bias, ulong bias_off, int has_bias)
{
    implicit_pairs(m, cg, kh, kw, hp, wp, oh, ow, c, nb, accum, a, a_off, a_ps, a_gs, in, in_off,
                   out, out_off, bias, bias_off, has_bias);
}

// gemm_implicit for 3x3 windows: the window a compile-time constant, so the tap loops unroll.
kernel void gemm_implicit_k3(int m, int cg, int kh, int kw, int hp, int wp, int oh, int ow, int c,
                             int nb, int accum, global const float *a, ulong a_off, ulong a_ps,
                             ulong a_gs, global const float *in, ulong in_off, global float *out,
                             ulong out_off, global const float *bias, ulong bias_off,
                             int has_bias)
{
    implicit_pairs(m, cg, 3, 3, hp, wp, oh, ow, c, nb, accum, a, a_off, a_ps, a_gs, in, in_off,
                   out, out_off, bias, bias_off, has_bias);
}

// ---- implicit GEMM for stride-2 convs and 5- to 8-column outputs -------------------------------
//
// A "vector group" is 16 output positions of one image taken as R rows of 16/R columns: R = 1
// for 16-column tiles of a row (ow > 8), R = 2 for 5- to 8-wide outputs (an 8x8 stage fills
// whole float16 lanes, 7x7 14 of 16; R = 4 for 4-wide ones measured slower than the panel path:
// its four vload4 and three shuffles per B vector compete with the FMAs). Its B vector for tap
// (ch, ky, kx) is built from R row loads of the padded input (pad_planes) at stride S (1 or 2:
// even lanes of a 2x-wide load). R and S are literal constants in each kernel below, so the
// compiler specialises the loads after inlining. Padded sizes: HP >= (ceil(OH/R)*R - 1)*S + KH
// rows, WP >= W16*S + KW - 1 columns (W16 = ceil(OW/16)*16 for R = 1, 16/R otherwise).

inline float16 implicit_b(global const float *p, int wp, const int r, const int s)
{
    if (r == 1 && s == 1) return vload16(0, p);
    if (r == 1) return (float16)(vload16(0, p).even, vload16(0, p + 16).even);
    if (r == 2 && s == 1) return (float16)(vload8(0, p), vload8(0, p + wp));
    return (float16)(vload16(0, p).even, vload16(0, p + 2 * wp).even);
}

// Store (or add) vector group v's 16 lanes: R rows of 16/R columns from (oy, ox0), masking rows
// past OH and columns past OW.
inline void implicit_store(global float *o, float16 v, int oy, int ox0, int oh, int ow, int accum,
                           const int r)
{
    float t[16];
    vstore16(v, 0, t);
    const int cw = 16 / r;
    int cols = ow - ox0 < cw ? ow - ox0 : cw;
    for (int q = 0; q < r && oy + q < oh; q++) {
        global float *orow = o + (ulong)(oy + q) * ow + ox0;
        for (int x = 0; x < cols; x++) orow[x] = accum ? orow[x] + t[q * cw + x] : t[q * cw + x];
    }
}

// out_g (Cog = m, positions) = / += A_g . im2col(in) for stride s, vector groups of r rows.
// Work item (i-tile, (n, pair of vector groups), g): 2 x GEMM_R float16 accumulators; a missing
// second group (odd count) repeats the first and is not stored; the two may lie in different
// images (a 4x4 output is one group). Arguments as gemm_implicit.
inline void implicit_rs(int m, int cg, int kh, int kw, int hp, int wp, int oh, int ow, int c,
                        int nb, int accum, global const float *a, ulong a_off, ulong a_ps, ulong a_gs,
                        global const float *in, ulong in_off, global float *out, ulong out_off,
                        global const float *bias, ulong bias_off, int has_bias, const int r,
                        const int s)
{
    int it = get_global_id(0), i0 = it * GEMM_R;
    uint jt = get_global_id(1);
    uint g = get_global_id(2);
    if (i0 >= m) return;
    uint tpr = r == 1 ? (uint)(ow + 15) / 16 : 1u;
    uint groups = (uint)(oh + r - 1) / r * tpr; // per image; the pair may span two images
    uint v0 = jt * 2, v1 = v0 + 1 < nb * groups ? v0 + 1 : v0;
    int two = v1 != v0;
    uint n0 = v0 / groups, n1 = v1 / groups;
    v0 %= groups, v1 %= groups;
    int oy0 = (int)(v0 / tpr) * r, ox0 = (int)(v0 % tpr) * 16;
    int oy1 = (int)(v1 / tpr) * r, ox1 = (int)(v1 % tpr) * 16;
    ulong img = (ulong)hp * wp * c; // floats per padded image
    global const float *b0 = in + in_off + n0 * img + (ulong)g * cg * hp * wp +
                             (ulong)oy0 * s * wp + ox0 * s;
    global const float *b1 = in + in_off + n1 * img + (ulong)g * cg * hp * wp +
                             (ulong)oy1 * s * wp + ox1 * s;
    global const float *ak = a + a_off + g * a_gs + (ulong)it * a_ps;
    float16 acc0[GEMM_R], acc1[GEMM_R];
#pragma unroll
    for (int q = 0; q < GEMM_R; q++) acc0[q] = acc1[q] = (float16)(0.0f);
    for (int ch = 0; ch < cg; ch++) {
        ulong cofs = (ulong)ch * hp * wp;
        for (int ky = 0; ky < kh; ky++)
            for (int kx = 0; kx < kw; kx++) {
                ulong tap = cofs + (ulong)ky * wp + kx;
                float16 bv0 = implicit_b(b0 + tap, wp, r, s), bv1 = implicit_b(b1 + tap, wp, r, s);
#pragma unroll
                for (int q = 0; q < GEMM_R; q++) {
                    float16 av = (float16)(ak[q]);
                    acc0[q] = fma(av, bv0, acc0[q]);
                    acc1[q] = fma(av, bv1, acc1[q]);
                }
                ak += GEMM_R;
            }
    }
    int rows = m - i0 < GEMM_R ? m - i0 : GEMM_R;
    ulong plane = (ulong)oh * ow, c_out = (ulong)get_global_size(2) * m;
    global float *o0 = out + out_off + n0 * c_out * plane, *o1 = out + out_off + n1 * c_out * plane;
    for (int q = 0; q < rows; q++) {
        ulong co = g * m + i0 + q;
        float16 bb = has_bias ? (float16)(bias[bias_off + co]) : (float16)(0.0f);
        implicit_store(o0 + co * plane, acc0[q] + bb, oy0, ox0, oh, ow, accum, r);
        if (two) implicit_store(o1 + co * plane, acc1[q] + bb, oy1, ox1, oh, ow, accum, r);
    }
}

#define IMPLICIT_RS_KERNEL(name, r, s)                                                             \
    kernel void name(int m, int cg, int kh, int kw, int hp, int wp, int oh, int ow, int c, int nb, \
                     int accum, global const float *a, ulong a_off, ulong a_ps, ulong a_gs,        \
                     global const float *in, ulong in_off, global float *out, ulong out_off,       \
                     global const float *bias, ulong bias_off, int has_bias)                       \
    {                                                                                              \
        implicit_rs(m, cg, kh, kw, hp, wp, oh, ow, c, nb, accum, a, a_off, a_ps, a_gs, in, in_off,     \
                    out, out_off, bias, bias_off, has_bias, r, s);                                 \
    }
IMPLICIT_RS_KERNEL(gemm_implicit_r1s2, 1, 2)
IMPLICIT_RS_KERNEL(gemm_implicit_r2s1, 2, 1)
IMPLICIT_RS_KERNEL(gemm_implicit_r2s2, 2, 2)

// Weight gradient of a stride-1 3x3 conv as an implicit GEMM: dw[co][ch][ky][kx] +=
// sum over images and positions of dout[n][co][oy][ox] * in[n][ch][oy+ky-pad][ox+kx-pad].
// `in` padded as for gemm_implicit (pad_planes), dout padded to (NB, C_out, OH, wpd) with zero
// columns (and rows), so lanes past OW add nothing. r = 1: wpd = ceil(OW/16)*16, 16-column row
// segments, in width wp >= wpd + 2; r = 2 (5- to 8-wide outputs): wpd = 8 and OH even (the host
// pads a row), a float16 holds two dout rows, in width wp >= 10. Work item (WG_CO output
// channels, input channel of the group, g) keeps WG_CO x 9 float16 accumulators (27 of the 32
// AVX-512 registers at 3), then reduces them across lanes.
inline void wgrad3x3_rows(int cog, int cg, int hp, int wp, int oh, int ow, int wpd, int c_in,
                          int nb, global const float *in, ulong in_off, global const float *dout,
                          ulong dout_off, global float *dw, ulong dw_off, const int r,
                          const int s)
{
    int co0 = get_global_id(0) * WG_CO, ch = get_global_id(1);
    uint g = get_global_id(2);
    if (co0 >= cog || ch >= cg) return;
    int nco = cog - co0 < WG_CO ? cog - co0 : WG_CO;
    int c_out = (int)get_global_size(2) * cog;
    int tpr = r == 1 ? wpd / 16 : 1;
    float16 acc[WG_CO][9];
#pragma unroll
    for (int a = 0; a < WG_CO; a++)
#pragma unroll
        for (int t = 0; t < 9; t++) acc[a][t] = (float16)(0.0f);
    for (int n = 0; n < nb; n++) {
        global const float *ib = in + in_off + ((ulong)n * c_in + g * cg + ch) * hp * wp;
        global const float *dp[WG_CO];
#pragma unroll
        for (int a = 0; a < WG_CO; a++) // channels past the edge repeat the last (never stored)
            dp[a] = dout + dout_off + ((ulong)n * c_out + g * cog + co0 + min(a, nco - 1)) * oh * wpd;
        for (int oy = 0; oy < oh; oy += r)
            for (int t = 0; t < tpr; t++) {
                float16 d[WG_CO];
#pragma unroll
                for (int a = 0; a < WG_CO; a++) d[a] = vload16(0, dp[a] + (ulong)oy * wpd + t * 16);
#pragma unroll
                for (int ky = 0; ky < 3; ky++) {
                    global const float *row = ib + (ulong)(oy * s + ky) * wp + t * 16 * s;
#pragma unroll
                    for (int kx = 0; kx < 3; kx++) {
                        float16 x = s == 2   ? (float16)(vload16(0, row + kx).even,
                                                         vload16(0, row + kx + 16).even)
                                    : r == 1 ? vload16(0, row + kx)
                                             : (float16)(vload8(0, row + kx), vload8(0, row + wp + kx));
#pragma unroll
                        for (int a = 0; a < WG_CO; a++)
                            acc[a][ky * 3 + kx] = fma(d[a], x, acc[a][ky * 3 + kx]);
                    }
                }
            }
    }
    for (int a = 0; a < nco; a++) {
        global float *o = dw + dw_off + ((ulong)(g * cog + co0 + a) * cg + ch) * 9;
        for (int t = 0; t < 9; t++) o[t] += hsum16(acc[a][t]);
    }
}

// The kernels: r and s literal constants (the stride-2 one reads 16-column dout tiles from in
// padded to hp >= 2*OH + 1 rows and wp >= 2*wpd + 2 columns, the input vector of tap (ky, kx)
// the even lanes of two loads).
#define WGRAD3X3_KERNEL(name, r, s)                                                                \
    kernel void name(int cog, int cg, int hp, int wp, int oh, int ow, int wpd, int c_in, int nb,  \
                     global const float *in, ulong in_off, global const float *dout,               \
                     ulong dout_off, global float *dw, ulong dw_off)                               \
    {                                                                                              \
        wgrad3x3_rows(cog, cg, hp, wp, oh, ow, wpd, c_in, nb, in, in_off, dout, dout_off, dw,      \
                      dw_off, r, s);                                                               \
    }
WGRAD3X3_KERNEL(wgrad3x3_implicit, 1, 1)
WGRAD3X3_KERNEL(wgrad3x3_implicit_r2, 2, 1)
WGRAD3X3_KERNEL(wgrad3x3_implicit_s2, 1, 2)

// Weight gradient of a 1x1 stride-1 unpadded conv: dw_g (Cog, Cg) += sum over images and
// positions of dout (Cog rows) x in (Cg rows), both contiguous along the positions (P = H*W, a
// multiple of 16 -- the host checks). Work item (4 output channels, 4 input channels, g) keeps
// 4 x 4 float16 accumulators over 16-position segments, then reduces them across lanes.
kernel void wgrad1x1_implicit(int cog, int cg, int p, int c_in, int nb, global const float *in,
                              ulong in_off, global const float *dout, ulong dout_off,
                              global float *dw, ulong dw_off)
{
    int co0 = get_global_id(0) * 4, ci0 = get_global_id(1) * 4;
    uint g = get_global_id(2);
    if (co0 >= cog || ci0 >= cg) return;
    int nco = cog - co0 < 4 ? cog - co0 : 4, nci = cg - ci0 < 4 ? cg - ci0 : 4;
    int c_out = (int)get_global_size(2) * cog;
    float16 acc[4][4];
#pragma unroll
    for (int a = 0; a < 4; a++)
#pragma unroll
        for (int b = 0; b < 4; b++) acc[a][b] = (float16)(0.0f);
    for (int n = 0; n < nb; n++) {
        global const float *dp[4], *ip[4];
#pragma unroll
        for (int a = 0; a < 4; a++) { // rows past the edge repeat the last one (never stored)
            dp[a] = dout + dout_off + ((ulong)n * c_out + g * cog + co0 + min(a, nco - 1)) * p;
            ip[a] = in + in_off + ((ulong)n * c_in + g * cg + ci0 + min(a, nci - 1)) * p;
        }
        for (int q = 0; q < p; q += 16) {
            float16 d[4], x[4];
#pragma unroll
            for (int a = 0; a < 4; a++) d[a] = vload16(0, dp[a] + q), x[a] = vload16(0, ip[a] + q);
#pragma unroll
            for (int a = 0; a < 4; a++)
#pragma unroll
                for (int b = 0; b < 4; b++) acc[a][b] = fma(d[a], x[b], acc[a][b]);
        }
    }
    for (int a = 0; a < nco; a++)
        for (int b = 0; b < nci; b++) {
            dw[dw_off + (ulong)(g * cog + co0 + a) * cg + ci0 + b] += hsum16(acc[a][b]);
        }
}

// ---- 1-pixel route: convs with a 1x1 output whose window covers the whole input (the 1x1, 2x2
// maps of small inputs: src/ops/conv.c conv_1px). Flattening the input image as k = ci*HW +
// y*W + x, the live weight taps are (i, j) = (y + pad, x + pad), so each pass is a small GEMM.

// tapmap: a (R, Q) packed matrix <-> rows of ld floats in src, column q at
//   (q / hw) * kk + base + (q % hw) / w * kw + q % w     (base = pad * kw + pad).
// dir 0: pk[r*Q + q] = src[r*ld + map(q)]; dir 1: src[r*ld + map(q)] += pk[r*Q + q];
// dir 2: pk[q*R + r] = src[r*ld + map(q)] (packed transposed). With hw = w = Q, kk = kw = base = 0
// map is the identity: dir 2 transposes a row-major (R, Q) matrix.
// One work item per element, total R*Q.
kernel void tapmap(global float *src, ulong src_off, global float *pk, ulong pk_off, int r, int q,
                   int ld, int hw, int w, int kk, int kw, int base, int dir)
{
    uint gid = get_global_id(0);
    if (gid >= (uint)(r * q)) return;
    int row = gid / q, col = gid % q, t = col % hw;
    global float *s = src + src_off + (ulong)row * ld + (col / hw) * kk + base + t / w * kw + t % w;
    if (dir == 0)
        pk[pk_off + gid] = *s;
    else if (dir == 1)
        *s += pk[pk_off + gid];
    else
        pk[pk_off + (ulong)col * r + row] = *s;
}

// gemm_dot: C (M, N) = / += A (M, K) . B (N, K)^T (+ bias[j] when has_bias): both operands
// row-major along the reduction (A(i, k) = a[a_off + i*lda + k], B likewise with ldb), C(i, j) =
// c[c_off + i*ldc + j]. One work item per 4x4 tile of C, float16 loads along k and a scalar
// tail; global (ceil(N/4), ceil(M/4)). For the small GEMMs of the 1-pixel route.
kernel void gemm_dot(int m, int n, int k, int accum, global const float *a, ulong a_off, int lda,
                     global const float *b, ulong b_off, int ldb, global float *c, ulong c_off,
                     int ldc, global const float *bias, ulong bias_off, int has_bias)
{
    int j0 = get_global_id(0) * 4, i0 = get_global_id(1) * 4;
    if (i0 >= m || j0 >= n) return;
    int ni = m - i0 < 4 ? m - i0 : 4, nj = n - j0 < 4 ? n - j0 : 4;
    global const float *ap[4], *bp[4];
    for (int t = 0; t < 4; t++) { // rows past the edge repeat the last one (never stored)
        ap[t] = a + a_off + (ulong)(i0 + min(t, ni - 1)) * lda;
        bp[t] = b + b_off + (ulong)(j0 + min(t, nj - 1)) * ldb;
    }
    float16 acc[4][4];
#pragma unroll
    for (int s = 0; s < 4; s++)
#pragma unroll
        for (int t = 0; t < 4; t++) acc[s][t] = (float16)(0.0f);
    int kv = k & ~15;
    for (int q = 0; q < kv; q += 16) {
        float16 av[4], bv[4];
#pragma unroll
        for (int t = 0; t < 4; t++) av[t] = vload16(0, ap[t] + q), bv[t] = vload16(0, bp[t] + q);
#pragma unroll
        for (int s = 0; s < 4; s++)
#pragma unroll
            for (int t = 0; t < 4; t++) acc[s][t] = fma(av[s], bv[t], acc[s][t]);
    }
    for (int s = 0; s < ni; s++)
        for (int t = 0; t < nj; t++) {
            float v = hsum16(acc[s][t]);
            for (int q = kv; q < k; q++) v = fma(ap[s][q], bp[t][q], v);
            if (has_bias) v += bias[bias_off + j0 + t];
            global float *o = c + c_off + (ulong)(i0 + s) * ldc + j0 + t;
            *o = accum ? *o + v : v;
        }
}
