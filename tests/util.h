/* Test helpers shared by every tests/test_*.c: device setup with the skip/require rules, checks
 * that count failures, tolerance comparison against double references, RNG, golden files.
 * Exit codes: 0 pass, 77 skip (no OpenCL device), 99 setup error, 1 failure. */
#ifndef CT_TESTS_UTIL_H
#define CT_TESTS_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cltrain/runtime.h"
#include "cltrain/tensor.h"

enum { T_PASS = 0, T_FAIL = 1, T_SKIP = 77, T_SETUP = 99 };

/* Create a context on the default device (CLTRAIN_DEVICE honoured). Returns T_PASS with *ctx set,
 * or the exit code the test must return: T_SKIP when there is no device (T_FAIL when
 * CLTRAIN_REQUIRE_DEVICE=1), T_SETUP on any other failure. */
int t_ctx(ct_ctx **ctx);

/* Checks: count and print failures, keep going. */
extern int t_failures, t_checks;
#define T_CHECK(cond, ...)                                                                         \
    do {                                                                                           \
        t_checks++;                                                                                \
        if (!(cond)) {                                                                             \
            t_failures++;                                                                          \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)
/* A library call that must succeed; on failure prints the status and detail, counts it. */
#define T_OK(expr)                                                                                 \
    do {                                                                                           \
        int t_st_ = (expr);                                                                        \
        T_CHECK(t_st_ == 0, "%s -> %s: %s", #expr, ct_status_str(t_st_), ct_last_error());         \
    } while (0)

/* |got[i] - ref[i]| <= atol + rtol * |ref[i]| for all i; prints the worst element on failure.
 * Returns 1 when all close. Counts one check. */
int t_close(const char *what, const float *got, const double *ref, size_t n, double atol,
            double rtol);
int t_close_f(const char *what, const float *got, const float *ref, size_t n, double atol,
              double rtol);

/* Print "<name>: N checks, M failed" and return T_PASS or T_FAIL. */
int t_finish(const char *name);

/* Deterministic RNG (xorshift64*). */
typedef struct {
    uint64_t s;
} t_rng;
void t_rng_seed(t_rng *r, uint64_t seed);
double t_uniform(t_rng *r); /* [0, 1) */
double t_normal(t_rng *r);
void t_fill_uniform(t_rng *r, float *x, size_t n, float lo, float hi);
void t_fill_normal(t_rng *r, float *x, size_t n, float std);

/* Device transfers for tests (abort the test via T_SETUP on failure: return NULL). */
cl_mem t_upload(ct_ctx *ctx, const void *host, size_t bytes);
cl_mem t_alloc(ct_ctx *ctx, size_t bytes, float fill); /* filled with `fill` (bit pattern of a float) */
int t_download(ct_ctx *ctx, cl_mem m, void *host, size_t bytes);

/* Golden files written by tests/gen/golden.py: named float32 tensors.
 * Format: "CTGOLD1\n", u32 count, then per tensor u32 name_len, name bytes, u32 ndim,
 * u32 dims[ndim], float32 data (little-endian). */
typedef struct {
    char name[64];
    int ndim;
    int dims[8];
    size_t numel;
    float *data;
} t_tensor;
typedef struct {
    int count;
    t_tensor *t;
} t_golden;
/* Load $CLTRAIN_TEST_DATA/<file>; NULL (with a message) when missing or malformed. */
t_golden *t_golden_load(const char *file);
const t_tensor *t_golden_get(const t_golden *g, const char *name); /* NULL + message if absent */
void t_golden_free(t_golden *g);
/* Path of a test data file. */
const char *t_data_path(const char *file, char *buf, size_t n);

/* Double-precision helpers for references */
double *t_to_double(const float *x, size_t n); /* malloc'd copy */
#endif
