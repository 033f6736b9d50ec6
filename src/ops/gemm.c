/* ct_gemm: row-major SGEMM on the context's queue through CLBlast, with element offsets.
 * Must not wait for completion; CLBlast enqueues on our queue like any other kernel. */
#include <clblast_c.h>

#include "cltrain/ops.h"

static ct_status clblast_status(CLBlastStatusCode s, const char *what, size_t m, size_t n, size_t k)
{
    if (s == CLBlastSuccess) return CT_OK;
    if (s > -1000) /* an OpenCL code passed through */
        return ct_error((ct_status)s, "%s %zux%zux%zu: %s", what, m, n, k,
                        ct_status_str((ct_status)s));
    return ct_error(CT_ERR_CLBLAST, "%s %zux%zux%zu: CLBlast status %d", what, m, n, k, (int)s);
}

ct_status ct_gemm(ct_ctx *ctx, int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                  ct_ptr a, size_t lda, ct_ptr b, size_t ldb, float beta, ct_ptr c, size_t ldc)
{
    if (m == 0 || n == 0) return CT_OK;
    cl_command_queue q = ct_ctx_queue(ctx);
    CLBlastStatusCode s = CLBlastSgemm(CLBlastLayoutRowMajor,
                                       trans_a ? CLBlastTransposeYes : CLBlastTransposeNo,
                                       trans_b ? CLBlastTransposeYes : CLBlastTransposeNo, m, n, k,
                                       alpha, a.mem, a.off, lda, b.mem, b.off, ldb, beta, c.mem,
                                       c.off, ldc, &q, NULL);
    return clblast_status(s, "SGEMM", m, n, k);
}

ct_status ct_gemm_strided(ct_ctx *ctx, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                          float alpha, ct_ptr a, size_t lda, size_t stride_a, ct_ptr b, size_t ldb,
                          size_t stride_b, float beta, ct_ptr c, size_t ldc, size_t stride_c,
                          size_t count)
{
    if (m == 0 || n == 0 || count == 0) return CT_OK;
    if (count == 1)
        return ct_gemm(ctx, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    cl_command_queue q = ct_ctx_queue(ctx);
    CLBlastStatusCode s = CLBlastSgemmStridedBatched(
        CLBlastLayoutRowMajor, trans_a ? CLBlastTransposeYes : CLBlastTransposeNo,
        trans_b ? CLBlastTransposeYes : CLBlastTransposeNo, m, n, k, alpha, a.mem, a.off, lda,
        stride_a, b.mem, b.off, ldb, stride_b, beta, c.mem, c.off, ldc, stride_c, count, &q, NULL);
    return clblast_status(s, "batched SGEMM", m, n, k);
}
