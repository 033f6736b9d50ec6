/* Linear layer (x . W^T + b) forward and backward as ct_gemm calls plus the bias kernels of
 * kernels/conv.cl. Enqueue only: never waits, allocates nothing. */
#include "cltrain/ops.h"
#include "ops/conv_bias.h"

static ct_status check_dims(int n, int in_f, int out_f, const char *what)
{
    if (n < 0 || in_f <= 0 || out_f <= 0)
        return ct_error(CT_ERR_INVALID_ARG,
                        "linear %s (src/ops/linear.c): bad shape n %d in %d out %d", what, n, in_f,
                        out_f);
    return CT_OK;
}

ct_status ct_linear_forward(ct_ctx *ctx, ct_ptr out, ct_ptr in, ct_ptr w, ct_ptr b, int n,
                            int in_f, int out_f)
{
    ct_status st = check_dims(n, in_f, out_f, "forward");
    if (st != CT_OK || n == 0) return st;
    /* out (N, OUT) = in (N, IN) . w^T, w stored (OUT, IN) */
    st = ct_gemm(ctx, 0, 1, (size_t)n, (size_t)out_f, (size_t)in_f, 1.f, in, (size_t)in_f, w,
                 (size_t)in_f, 0.f, out, (size_t)out_f);
    if (st != CT_OK) return st;
    return ct_ops_bias_add(ctx, out, b, n, out_f, 1);
}

ct_status ct_linear_backward(ct_ctx *ctx, ct_ptr din, int accum, ct_ptr dw, ct_ptr db, ct_ptr dout,
                             ct_ptr in, ct_ptr w, int n, int in_f, int out_f)
{
    ct_status st = check_dims(n, in_f, out_f, "backward");
    if (st != CT_OK || n == 0) return st;
    if (din.mem) { /* din (N, IN) = / += dout (N, OUT) . w (OUT, IN) */
        st = ct_gemm(ctx, 0, 0, (size_t)n, (size_t)in_f, (size_t)out_f, 1.f, dout, (size_t)out_f, w,
                     (size_t)in_f, accum ? 1.f : 0.f, din, (size_t)in_f);
        if (st != CT_OK) return st;
    }
    if (dw.mem) { /* dw (OUT, IN) += dout^T (OUT, N) . in (N, IN) */
        st = ct_gemm(ctx, 1, 0, (size_t)out_f, (size_t)in_f, (size_t)n, 1.f, dout, (size_t)out_f,
                     in, (size_t)in_f, 1.f, dw, (size_t)in_f);
        if (st != CT_OK) return st;
    }
    return ct_ops_bias_backward(ctx, db, dout, n, out_f, 1); /* db (OUT) += sum_n dout */
}
