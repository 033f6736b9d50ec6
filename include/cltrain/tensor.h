/* Device tensor views: a buffer plus an element offset, the ABI every kernel takes as
 * (global float *x, ulong x_off). Views own nothing; the arena or parameter buffer does. */
#ifndef CLTRAIN_TENSOR_H
#define CLTRAIN_TENSOR_H

#include "cltrain/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    cl_mem mem; /* NULL: absent (an optional input or output) */
    size_t off; /* offset in elements (float or int32, both 4 bytes) */
} ct_ptr;

#define CT_PTR(m, o) ((ct_ptr){(m), (o)})
#define CT_PTR_NULL ((ct_ptr){NULL, 0})
static inline ct_ptr ct_ptr_add(ct_ptr p, size_t elems)
{
    p.off += elems;
    return p;
}

#ifdef __cplusplus
}
#endif
#endif
