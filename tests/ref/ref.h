/* Plain-C double-precision references for the op tests (tests/ref/<op>.c), one section per op.
 * Test-only: independent of the kernels, never used to check themselves. */
#ifndef CT_TESTS_REF_H
#define CT_TESTS_REF_H

/* ---- batchnorm2d (tests/ref/batchnorm.c): x, out (N, C, HW); per-channel arrays (C) ---------- */

/* Training mode: batch mean and biased variance; mean/rstd (may be NULL) get the batch stats;
 * run_mean/run_var (may be NULL) are updated in place with the unbiased variance. */
void ref_bn_forward_train(double *out, double *mean, double *rstd, double *run_mean,
                          double *run_var, const double *x, const double *gamma,
                          const double *beta, int n, int c, int hw, double eps, double momentum);
void ref_bn_forward_eval(double *out, const double *x, const double *gamma, const double *beta,
                         const double *run_mean, const double *run_var, int n, int c, int hw,
                         double eps);
/* Gradients of sum(dy * out) of the training forward; all three WRITTEN (dx may be NULL). */
void ref_bn_backward(double *dx, double *dgamma, double *dbeta, const double *dy, const double *x,
                     const double *gamma, int n, int c, int hw, double eps);

/* ---- loss (tests/ref/loss.c): logits (N, C), labels (N) int ---------------------------------- */

/* Per-sample label-smoothing cross-entropy into loss (N, may be NULL); returns the mean. */
double ref_xent_forward(double *loss, const double *logits, const int *labels, int n, int c,
                        double eps);
/* d(mean loss)/d logits (N, C) */
void ref_xent_backward(double *dlogits, const double *logits, const int *labels, int n, int c,
                       double eps);
/* bit 0: label is the top-1, bit 1: in the top 5 (repeated argmax, lower index wins ties) */
void ref_topk_correct(int *correct, const double *logits, const int *labels, int n, int c);

/* ---- conv2d (tests/ref/conv.c): in (N, C_in, H, W), w (C_out, C_in/groups, KH, KW),
 * out (N, C_out, OH, OW); the shape struct is the library's ct_conv2d_p -------------------- */
#include "cltrain/ops.h"

/* out = conv(in, w) + bias (bias may be NULL); zero padding, any stride and groups */
void ref_conv2d_forward(double *out, const double *in, const double *w, const double *bias,
                        const ct_conv2d_p *p);
/* Gradients of sum(dout * out): din WRITTEN (= not +=) */
void ref_conv2d_backward_data(double *din, const double *dout, const double *w,
                              const ct_conv2d_p *p);
/* dw and dbias (may be NULL) WRITTEN */
void ref_conv2d_backward_weight(double *dw, double *dbias, const double *dout, const double *in,
                                const ct_conv2d_p *p);

/* ---- linear (tests/ref/linear.c): in (N, IN), w (OUT, IN), b (OUT), out (N, OUT) ------------- */

void ref_linear_forward(double *out, const double *in, const double *w, const double *b, int n,
                        int in_f, int out_f); /* b may be NULL */
/* Gradients of sum(dout * out), all WRITTEN; din, dw, db may each be NULL */
void ref_linear_backward(double *din, double *dw, double *db, const double *dout, const double *in,
                         const double *w, int n, int in_f, int out_f);

/* ---- activations, pooling, channel scale, dropout, SA (tests/ref/{act,pool,misc}.c) ---------- */
#include <stdint.h>

/* out = f(in); din = dout * f'(in) WRITTEN, from the forward INPUT for every activation */
void ref_act_forward(double *out, const double *in, ct_act act, size_t n);
void ref_act_backward(double *din, const double *dout, const double *in, ct_act act, size_t n);

/* pooling over (N, C, H, W) with the library's ct_pool_p; output size as PyTorch */
int ref_pool_out(int size, int k, int s, int pad, int ceil_mode);
void ref_maxpool_forward(double *out, int *argmax, const double *in, const ct_pool_p *p);
void ref_maxpool_backward(double *din, const double *dout, const int *argmax, const ct_pool_p *p);
void ref_avgpool_forward(double *out, const double *in, const ct_pool_p *p);
void ref_avgpool_backward(double *din, const double *dout, const ct_pool_p *p);
void ref_gap_forward(double *out, const double *in, int planes, int hw);
void ref_gap_backward(double *din, const double *dout, int planes, int hw);

/* channel scale: x, out (planes, hw), gate (planes); dx, dgate WRITTEN */
void ref_chscale_forward(double *out, const double *x, const double *gate, int planes, int hw);
void ref_chscale_backward(double *dx, double *dgate, const double *dout, const double *x,
                          const double *gate, int planes, int hw);
/* the dropout mask (0 or 1/(1-p)) ct_dropout_forward must produce for (seed, step) */
void ref_dropout_mask(float *mask, size_t n, float p, uint64_t seed, uint64_t step);
/* spectral norm of w (rows, cols): optional power step on u, v in place; returns sigma; w_sn
 * (may be NULL) = w / sigma. Backward WRITES dw with u, v constant. */
double ref_specnorm_forward(double *w_sn, double *u, double *v, const double *w, int rows,
                            int cols, int update);
void ref_specnorm_backward(double *dw, const double *dw_sn, const double *w, const double *u,
                           const double *v, double sigma, int rows, int cols);
/* SimpleSelfAttention: x, out, o (B, C, N), w (C, C); out = gamma (x x^T)(w x) + x; o may be
 * NULL. Backward: gradients of sum(dout * out), all WRITTEN. */
void ref_sa_forward(double *out, double *o, const double *x, const double *w, double gamma, int b,
                    int c, int n);
void ref_sa_backward(double *dx, double *dw, double *dgamma, const double *dout, const double *x,
                     const double *w, double gamma, int b, int c, int n);

/* ---- central finite differences (header-only, used by every backward test) ------------------ */

/* d loss / d x[i] by central differences with step h: loss(u) is evaluated with x[i] = x0 +- h,
 * x[i] restored afterwards. In double the error is O(h^2) plus roundoff ~1e-16 * |loss| / h. */
static inline double ref_fd(double (*loss)(void *u), void *u, double *x, size_t i, double h)
{
    double x0 = x[i];
    x[i] = x0 + h;
    double lp = loss(u);
    x[i] = x0 - h;
    double lm = loss(u);
    x[i] = x0;
    return (lp - lm) / (2 * h);
}

#endif
