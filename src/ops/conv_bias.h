/* Private to src/ops: per-channel bias add and bias gradient (kernels/conv.cl), shared by conv.c
 * and linear.c. Not public API; enqueue only, never wait. */
#ifndef CT_OPS_CONV_BIAS_H
#define CT_OPS_CONV_BIAS_H

#include "cltrain/ops.h"

/* x (N, C, P) += bias (C) */
CT_NODISCARD ct_status ct_ops_bias_add(ct_ctx *ctx, ct_ptr x, ct_ptr bias, int n, int c, int p);
/* dbias (C) += sum over N, P of dout (N, C, P) */
CT_NODISCARD ct_status ct_ops_bias_backward(ct_ctx *ctx, ct_ptr dbias, ct_ptr dout, int n, int c,
                                            int p);
#endif
