/* Layer operations on the device: forward and backward of every op, NCHW float32, enqueued on the
 * context's queue without waiting. Host halves of kernels/<op>.cl live in src/ops/<op>.c.
 *
 * Argument order: outputs first, then inputs, then the shape/params struct (by pointer).
 *
 * Gradient rule (the one place it is written down):
 *  - parameter gradients (dw, dbias, dgamma, dbeta, ...) ACCUMULATE: dw += ...; the trainer zeroes
 *    the flat gradient buffer once per step;
 *  - activation gradients (din, dx, ...) are WRITTEN: dx = ... when `accum` is 0, and dx += ... when
 *    `accum` is 1. The graph passes accum = 1 only where two paths meet: a tensor consumed by two
 *    nodes (the input of a residual block feeds the conv path and the identity path; SE and SA
 *    inputs feed a gate and a product) gets `=` from the first backward that reaches it and `+=`
 *    from the second.
 *  - a NULL din (ct_ptr.mem == NULL) means "not needed" (the network input); the op skips it.
 */
#ifndef CLTRAIN_OPS_H
#define CLTRAIN_OPS_H

#include "cltrain/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- GEMM (CLBlast, row-major) --------------------------------------------------------------- */

/* C[M,N] = alpha * op(A) op(B) + beta * C, row-major, leading dimensions in elements.
 * op(A) is A[M,K] (lda >= K) or, with trans_a, A is stored [K,M] (lda >= M); likewise B. */
CT_NODISCARD ct_status ct_gemm(ct_ctx *ctx, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                               float alpha, ct_ptr a, size_t lda, ct_ptr b, size_t ldb, float beta,
                               ct_ptr c, size_t ldc);

/* Batched form: count GEMMs whose operands start stride_a/_b/_c elements apart. */
CT_NODISCARD ct_status ct_gemm_strided(ct_ctx *ctx, int trans_a, int trans_b, size_t m, size_t n,
                                       size_t k, float alpha, ct_ptr a, size_t lda, size_t stride_a,
                                       ct_ptr b, size_t ldb, size_t stride_b, float beta, ct_ptr c,
                                       size_t ldc, size_t stride_c, size_t count);

/* ---- elementwise (kernels/elementwise.cl) ---------------------------------------------------- */

CT_NODISCARD ct_status ct_fill(ct_ctx *ctx, ct_ptr x, float value, size_t n);     /* x = v */
CT_NODISCARD ct_status ct_scale(ct_ctx *ctx, ct_ptr x, float alpha, size_t n);    /* x *= a */
CT_NODISCARD ct_status ct_axpy(ct_ctx *ctx, ct_ptr y, float alpha, ct_ptr x, size_t n); /* y += a x */
CT_NODISCARD ct_status ct_copy(ct_ctx *ctx, ct_ptr y, ct_ptr x, size_t n);        /* y = x */

/* ---- conv2d (kernels/conv.cl, src/ops/conv.c) ------------------------------------------------ */

typedef struct {
    int n, c_in, h, w;     /* input (N, C_in, H, W) */
    int c_out, kh, kw;     /* weight (C_out, C_in/groups, KH, KW) */
    int stride, pad, groups;
} ct_conv2d_p;

int ct_conv2d_out_h(const ct_conv2d_p *p); /* (h + 2 pad - kh) / stride + 1 */
int ct_conv2d_out_w(const ct_conv2d_p *p);

/* out (N, C_out, OH, OW) = conv(in, w) + bias (bias optional) */
CT_NODISCARD ct_status ct_conv2d_forward(ct_ctx *ctx, ct_ptr out, ct_ptr in, ct_ptr w, ct_ptr bias,
                                         const ct_conv2d_p *p);
/* din (N, C_in, H, W) = / += conv_transpose(dout, w) */
CT_NODISCARD ct_status ct_conv2d_backward_data(ct_ctx *ctx, ct_ptr din, int accum, ct_ptr dout,
                                               ct_ptr w, const ct_conv2d_p *p);
/* dw += corr(in, dout); dbias += sum dout (dbias optional) */
CT_NODISCARD ct_status ct_conv2d_backward_weight(ct_ctx *ctx, ct_ptr dw, ct_ptr dbias, ct_ptr dout,
                                                 ct_ptr in, const ct_conv2d_p *p);

/* ---- linear (src/ops/linear.c) --------------------------------------------------------------- */

/* out (N, OUT) = in (N, IN) . w(OUT, IN)^T + b(OUT) (b optional) */
CT_NODISCARD ct_status ct_linear_forward(ct_ctx *ctx, ct_ptr out, ct_ptr in, ct_ptr w, ct_ptr b,
                                         int n, int in_f, int out_f);
CT_NODISCARD ct_status ct_linear_backward(ct_ctx *ctx, ct_ptr din, int accum, ct_ptr dw, ct_ptr db,
                                          ct_ptr dout, ct_ptr in, ct_ptr w, int n, int in_f,
                                          int out_f);

typedef enum { CT_ACT_NONE = 0, CT_ACT_RELU, CT_ACT_MISH, CT_ACT_SIGMOID } ct_act;

/* ---- batchnorm2d (kernels/batchnorm.cl) ------------------------------------------------------ */

typedef struct {
    int n, c, hw;   /* (N, C, H*W) */
    float eps;      /* 1e-5 */
    float momentum; /* 0.1: running = (1 - m) running + m batch (unbiased var) */
    ct_act act;     /* CT_ACT_NONE (0), or CT_ACT_RELU fused: out = relu(batchnorm(in)) */
} ct_bn_p;

/* Training mode: normalise with the batch mean and biased variance, save mean and rstd (C each)
 * for backward, update running stats in place. */
CT_NODISCARD ct_status ct_bn_forward_train(ct_ctx *ctx, ct_ptr out, ct_ptr save_mean,
                                           ct_ptr save_rstd, ct_ptr run_mean, ct_ptr run_var,
                                           ct_ptr in, ct_ptr gamma, ct_ptr beta, const ct_bn_p *p);
/* Eval mode: normalise with the running stats. */
CT_NODISCARD ct_status ct_bn_forward_eval(ct_ctx *ctx, ct_ptr out, ct_ptr in, ct_ptr gamma,
                                          ct_ptr beta, ct_ptr run_mean, ct_ptr run_var,
                                          const ct_bn_p *p);
/* Backward of the training-mode forward (din written/accumulated, dgamma/dbeta accumulate).
 * p->act must be CT_ACT_NONE: a fused ReLU's backward is ct_bn_backward_act. */
CT_NODISCARD ct_status ct_bn_backward(ct_ctx *ctx, ct_ptr din, int accum, ct_ptr dgamma,
                                      ct_ptr dbeta, ct_ptr dout, ct_ptr in, ct_ptr gamma,
                                      ct_ptr save_mean, ct_ptr save_rstd, const ct_bn_p *p);
/* Backward of a forward with p->act = CT_ACT_RELU from the gradient of the activation's output
 * (dact) and that output (act_out): the batchnorm sees dact where act_out > 0, else 0 (ReLU's
 * backward), with no intermediate tensor. Otherwise as ct_bn_backward. */
CT_NODISCARD ct_status ct_bn_backward_act(ct_ctx *ctx, ct_ptr din, int accum, ct_ptr dgamma,
                                          ct_ptr dbeta, ct_ptr dact, ct_ptr act_out, ct_ptr in,
                                          ct_ptr gamma, ct_ptr save_mean, ct_ptr save_rstd,
                                          const ct_bn_p *p);

/* ---- activations (kernels/act.cl) ------------------------------------------------------------ */


/* out = f(in), elementwise over n; out may equal in (in-place) */
CT_NODISCARD ct_status ct_act_forward(ct_ctx *ctx, ct_act act, ct_ptr out, ct_ptr in, size_t n);
/* din = / += dout * f'(in); `in` is the forward input, except for RELU and SIGMOID which take
 * the forward OUTPUT in `in` (so in-place forward works); see ct_act_backward_uses_output(). */
CT_NODISCARD ct_status ct_act_backward(ct_ctx *ctx, ct_act act, ct_ptr din, int accum, ct_ptr dout,
                                       ct_ptr in, size_t n);
int ct_act_backward_uses_output(ct_act act);

/* ---- pooling (kernels/pool.cl) --------------------------------------------------------------- */

typedef struct {
    int n, c, h, w;
    int k, stride, pad, ceil_mode; /* PyTorch semantics; avg counts padding (count_include_pad) */
} ct_pool_p;

int ct_pool_out_h(const ct_pool_p *p);
int ct_pool_out_w(const ct_pool_p *p);

/* argmax: int32 (N, C, OH, OW), index into the H*W plane of the window max */
CT_NODISCARD ct_status ct_maxpool_forward(ct_ctx *ctx, ct_ptr out, ct_ptr argmax, ct_ptr in,
                                          const ct_pool_p *p);
CT_NODISCARD ct_status ct_maxpool_backward(ct_ctx *ctx, ct_ptr din, int accum, ct_ptr dout,
                                           ct_ptr argmax, const ct_pool_p *p);
CT_NODISCARD ct_status ct_avgpool_forward(ct_ctx *ctx, ct_ptr out, ct_ptr in, const ct_pool_p *p);
CT_NODISCARD ct_status ct_avgpool_backward(ct_ctx *ctx, ct_ptr din, int accum, ct_ptr dout,
                                           const ct_pool_p *p);
/* global average pool: out (N, C) = mean over H*W */
CT_NODISCARD ct_status ct_gap_forward(ct_ctx *ctx, ct_ptr out, ct_ptr in, int n, int c, int hw);
CT_NODISCARD ct_status ct_gap_backward(ct_ctx *ctx, ct_ptr din, int accum, ct_ptr dout, int n, int c,
                                       int hw);

/* ---- small ops (kernels/elementwise.cl etc.) ------------------------------------------------- */

/* out = a + b (residual add) */
CT_NODISCARD ct_status ct_add_forward(ct_ctx *ctx, ct_ptr out, ct_ptr a, ct_ptr b, size_t n);
/* da = / += dout, db = / += dout */
CT_NODISCARD ct_status ct_add_backward(ct_ctx *ctx, ct_ptr da, int a_accum, ct_ptr db, int b_accum,
                                       ct_ptr dout, size_t n);
/* channel-wise scale: out (N,C,HW) = x * gate (N,C) */
CT_NODISCARD ct_status ct_chscale_forward(ct_ctx *ctx, ct_ptr out, ct_ptr x, ct_ptr gate, int n,
                                          int c, int hw);
/* dx = / += dout * gate; dgate = / += sum_hw dout * x (gate is an activation, not a parameter) */
CT_NODISCARD ct_status ct_chscale_backward(ct_ctx *ctx, ct_ptr dx, int x_accum, ct_ptr dgate,
                                           int gate_accum, ct_ptr dout, ct_ptr x, ct_ptr gate,
                                           int n, int c, int hw);
/* dropout with keep-probability 1-p and inverted scaling; mask (n floats: 0 or 1/(1-p)) is
 * written from (seed, step) by a counter-based RNG so it is reproducible. train 0: out = in. */
CT_NODISCARD ct_status ct_dropout_forward(ct_ctx *ctx, ct_ptr out, ct_ptr mask, ct_ptr in, size_t n,
                                          float p, uint64_t seed, uint64_t step, int train);
CT_NODISCARD ct_status ct_dropout_backward(ct_ctx *ctx, ct_ptr din, int accum, ct_ptr dout,
                                           ct_ptr mask, size_t n);
/* out[r] = / += scale * sum_j a[r*len + j] * b[r*len + j] for r < rows (b.mem NULL: plain sums;
 * kernels/misc.cl). GAP, SE's dgate and SA's dgamma use it. */
CT_NODISCARD ct_status ct_rowdot(ct_ctx *ctx, ct_ptr out, int accum, float scale, ct_ptr a,
                                 ct_ptr b, size_t rows, size_t len);

/* ---- SimpleSelfAttention and spectral norm (kernels/misc.cl, src/ops/misc.c) ----------------- */

/* Spectral norm as torch.nn.utils.spectral_norm (1 power iteration, eps 1e-12) of w (rows, cols)
 * row-major. update 1 (training): v = normalize(w^T u), u = normalize(w v), in place; update 0
 * (eval): u, v as stored. Then sigma (1) = u . (w v) and w_sn = w / sigma. u (rows) and v (cols)
 * persist across steps (buffers, not parameters; start them as normalised random vectors). */
CT_NODISCARD ct_status ct_specnorm_forward(ct_ctx *ctx, ct_ptr w_sn, ct_ptr sigma, ct_ptr u,
                                           ct_ptr v, ct_ptr w, int rows, int cols, int update);
/* dw += dw_sn / sigma - (<dw_sn, w> / sigma^2) u v^T (u, v held constant, as torch). Uses the
 * context scratch (one float). */
CT_NODISCARD ct_status ct_specnorm_backward(ct_ctx *ctx, ct_ptr dw, ct_ptr dw_sn, ct_ptr w, ct_ptr u,
                                            ct_ptr v, ct_ptr sigma, int rows, int cols);

typedef struct {
    int b, c, n; /* x (B, C, N = H*W) */
} ct_sa_p;

/* fastai SimpleSelfAttention (ks 1, sym False): convx (B,C,N) = w x; xxt (B,C,C) = x x^T;
 * o (B,C,N) = xxt convx; out = gamma[0] o + x. w (C, C): the 1x1 conv weight (w_sn from
 * ct_specnorm_forward); gamma: a device scalar (1), initialised to 0. convx, xxt, o are saved for
 * backward. out must not alias x. */
CT_NODISCARD ct_status ct_sa_forward(ct_ctx *ctx, ct_ptr out, ct_ptr convx, ct_ptr xxt, ct_ptr o,
                                     ct_ptr x, ct_ptr w, ct_ptr gamma, const ct_sa_p *p);
/* dx = / += dout + (G + G^T) x + w^T dconvx with G = gamma dout convx^T and dconvx = gamma xxt
 * dout (per sample); dw += sum_b dconvx_b x_b^T (the gradient w.r.t. the w given to forward; with spectral norm pass a zeroed
 * temporary dw_sn and feed it to ct_specnorm_backward);
 * dgamma += sum(dout o). dx, dw, dgamma may each be NULL. Uses the context scratch
 * ((2 B C N + B C C) floats). */
CT_NODISCARD ct_status ct_sa_backward(ct_ctx *ctx, ct_ptr dx, int accum, ct_ptr dw, ct_ptr dgamma,
                                      ct_ptr dout, ct_ptr x, ct_ptr w, ct_ptr gamma, ct_ptr convx,
                                      ct_ptr xxt, ct_ptr o, const ct_sa_p *p);

/* ---- loss (kernels/loss.cl) ------------------------------------------------------------------ */

/* Label-smoothing cross-entropy (fastai): per-sample loss[i] (N) =
 *   (eps/c) * (-sum_j logp_ij) + (1-eps) * (-logp_i,y_i); the mean of loss[] is the batch loss.
 * labels: int32 (N). */
CT_NODISCARD ct_status ct_xent_forward(ct_ctx *ctx, ct_ptr loss, ct_ptr logits, ct_ptr labels,
                                       int n, int c, float eps);
/* dlogits (N, C) = d(mean loss)/d logits (written, not accumulated) */
CT_NODISCARD ct_status ct_xent_backward(ct_ctx *ctx, ct_ptr dlogits, ct_ptr logits, ct_ptr labels,
                                        int n, int c, float eps);
/* correct: int32 (N): bit 0 set when the label is the top-1, bit 1 when it is in the top 5
 * (ties broken by lower index, as torch.topk on CPU does for distinct values) */
CT_NODISCARD ct_status ct_topk_correct(ct_ctx *ctx, ct_ptr correct, ct_ptr logits, ct_ptr labels,
                                       int n, int c);

/* ---- input normalisation (kernels/normalize.cl, data path) ----------------------------------- */

/* out (N, C, HW) float = (in/255 - mean[c]) / std[c]; in: uint8 (N, C, HW) at BYTE offset
 * in_off_bytes of in_mem. mean/std: C <= 4 host floats passed as kernel arguments. */
CT_NODISCARD ct_status ct_normalize_u8(ct_ctx *ctx, ct_ptr out, cl_mem in_mem, size_t in_off_bytes,
                                       int n, int c, int hw, const float *mean, const float *std);

#ifdef __cplusplus
}
#endif
#endif
