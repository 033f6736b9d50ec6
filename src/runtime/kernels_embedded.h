/* The table of OpenCL sources compiled into the library (generated kernels_embedded.c).
 * Only the runtime reads it; everything else asks ct_kernel_get for a kernel by file name. */
#ifndef CT_KERNELS_EMBEDDED_H
#define CT_KERNELS_EMBEDDED_H
#include <stddef.h>

typedef struct {
    const char *name; /* "conv.cl"; NULL terminates the table */
    const char *src;
    size_t len;
} ct_embedded_kernel;

extern const ct_embedded_kernel ct_embedded_kernels[];
#endif
