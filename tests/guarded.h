/* Guarded device tensors for op tests: each tensor sits at element offset G_OFF of its buffer with
 * sentinels before and after, so an op that ignores its offset or writes past its end fails. */
#ifndef CT_TESTS_GUARDED_H
#define CT_TESTS_GUARDED_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define G_OFF 7   /* element offset of the tensor in its buffer */
#define G_TAIL 5  /* sentinel elements after it */
#define G_SENT 1234.5f

/* Upload n floats (NULL: NaN, to catch elements an op fails to write) between sentinels. */
static inline cl_mem g_put(ct_ctx *ctx, const float *h, size_t n)
{
    size_t tot = G_OFF + n + G_TAIL;
    float *b = malloc(tot * sizeof *b);
    if (!b) return NULL;
    for (size_t i = 0; i < tot; i++) b[i] = G_SENT;
    for (size_t i = 0; i < n; i++) b[G_OFF + i] = h ? h[i] : NAN;
    cl_mem m = t_upload(ctx, b, tot * sizeof *b);
    free(b);
    return m;
}

/* The view of a guarded tensor (NULL buffer: the absent tensor). */
static inline ct_ptr g_ptr(cl_mem m) { return m ? CT_PTR(m, G_OFF) : CT_PTR_NULL; }

/* Download n floats into h and check (one T_CHECK) that the sentinels are intact. */
static inline int g_get(ct_ctx *ctx, cl_mem m, float *h, size_t n, const char *what)
{
    size_t tot = G_OFF + n + G_TAIL;
    float *b = malloc(tot * sizeof *b);
    if (!b || !t_download(ctx, m, b, tot * sizeof *b)) {
        free(b);
        T_CHECK(0, "%s: download failed", what);
        return 0;
    }
    int ok = 1;
    for (size_t i = 0; i < tot; i++)
        if ((i < G_OFF || i >= G_OFF + n) && b[i] != G_SENT) ok = 0;
    T_CHECK(ok, "%s: wrote outside its tensor (sentinels changed)", what);
    memcpy(h, b + G_OFF, n * sizeof *h);
    free(b);
    return ok;
}

/* Download and compare with a double reference: |got - ref| <= atol + rtol |ref|. */
static inline void g_expect(ct_ctx *ctx, cl_mem m, const double *ref, size_t n, double atol,
                            double rtol, const char *what)
{
    float *h = malloc((n ? n : 1) * sizeof *h);
    if (h && g_get(ctx, m, h, n, what)) t_close(what, h, ref, n, atol, rtol);
    free(h);
}

/* ref[i] = base[i] + add[i] (the expected value of an accumulating op) into a malloc'd array */
static inline double *g_sum(const float *base, const double *add, size_t n)
{
    double *s = malloc((n ? n : 1) * sizeof *s);
    if (s)
        for (size_t i = 0; i < n; i++) s[i] = (double)base[i] + add[i];
    return s;
}
#endif
