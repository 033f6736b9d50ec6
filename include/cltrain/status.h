/* Status codes of every cltrain library call: OpenCL's negative codes reused, library codes below -2000.
 * This header must not depend on OpenCL headers; it is the one error vocabulary shared by all areas. */
#ifndef CLTRAIN_STATUS_H
#define CLTRAIN_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define CT_NODISCARD __attribute__((warn_unused_result))
#define CT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CT_NODISCARD
#define CT_PRINTF(a, b)
#endif

/* 0 is success; -1..-999 are OpenCL's cl_int error codes, passed through unchanged. */
typedef int ct_status;

enum {
    CT_OK = 0,
    CT_ERR_HOST_OOM = -2001,      /* malloc failed */
    CT_ERR_DEVICE_OOM = -2002,    /* device allocation failed; message carries the bytes asked */
    CT_ERR_INVALID_ARG = -2003,   /* a caller passed something impossible */
    CT_ERR_NO_DEVICE = -2004,     /* no OpenCL platform/device, or the selector matched none */
    CT_ERR_BUILD = -2005,         /* an OpenCL program failed to build; log printed */
    CT_ERR_IO = -2006,            /* a file could not be opened, read or written */
    CT_ERR_FORMAT = -2007,        /* a file's contents are malformed */
    CT_ERR_NOT_FOUND = -2008,     /* a named thing (file, kernel, key) does not exist */
    CT_ERR_UNSUPPORTED = -2009,   /* valid but not implemented for this shape/device */
    CT_ERR_NONFINITE = -2010,     /* NaN or infinity where a finite value is required */
    CT_ERR_INTERRUPTED = -2011,   /* stopped by a signal; state was saved */
    CT_ERR_CLBLAST = -2012,       /* CLBlast returned an error of its own */
    CT_ERR_OVERFLOW = -2013,      /* a size computation overflowed */
};

/* A short fixed string for any status ("CL_OUT_OF_RESOURCES", "device out of memory", ...). */
const char *ct_status_str(ct_status st);

/* The last detailed message (file name, sizes, reason) set on this thread by a failing call;
 * "" when none. Library code sets it with ct_error(); callers print it. */
const char *ct_last_error(void);

/* Record a detailed message for the current thread and return st (for `return ct_error(...)`). */
ct_status ct_error(ct_status st, const char *fmt, ...) CT_PRINTF(2, 3);

/* Clear the message (after a caller has handled an error it recovered from). */
void ct_error_clear(void);

/* Unwinding helpers for functions with a single `fail:` label and a local `ct_status st`. */
#define CT_TRY(expr)                                                                               \
    do {                                                                                           \
        st = (expr);                                                                               \
        if (st != CT_OK) goto fail;                                                                \
    } while (0)

#define CT_FAIL(code, ...)                                                                         \
    do {                                                                                           \
        st = ct_error((code), __VA_ARGS__);                                                        \
        goto fail;                                                                                 \
    } while (0)

#ifdef __cplusplus
}
#endif
#endif
