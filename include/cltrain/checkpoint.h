/* safetensors files (write and read) and atomic file writes: the on-disk format of checkpoints.
 * Pure host C: no OpenCL here; callers download device buffers before writing and upload after. */
#ifndef CLTRAIN_CHECKPOINT_H
#define CLTRAIN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cltrain/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- safetensors ------------------------------------------------------------------------------
 * Layout (https://github.com/huggingface/safetensors): u64 little-endian header length N, then N
 * bytes of JSON {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
 * "__metadata__": {"key": "string", ...}} (padded with spaces to a multiple of 8), then the raw
 * little-endian data; offsets are bytes from the start of the data section. */

enum { CT_ST_MAX_DIM = 8 };

typedef enum { CT_ST_F32 = 0, CT_ST_I64, CT_ST_I32, CT_ST_U8 } ct_st_dtype;

/* Bytes per element of a dtype (4, 8, 4, 1). */
size_t ct_st_dtype_size(ct_st_dtype dt);
/* "F32", "I64", "I32", "U8". */
const char *ct_st_dtype_name(ct_st_dtype dt);

typedef struct {
    const char *name;
    ct_st_dtype dtype;
    int ndim;                       /* 0 is a scalar (one element) */
    int64_t shape[CT_ST_MAX_DIM];
    const void *data;               /* host, native order, numel * ct_st_dtype_size bytes */
} ct_st_tensor;

typedef struct {
    const char *key, *value;
} ct_st_meta;

/* Number of elements of t (product of the shape; 1 for a scalar). */
size_t ct_st_numel(const ct_st_tensor *t);

/* Write tensors t[0..n) in that order (data 8-byte aligned) and the metadata map (may be NULL)
 * to `path` atomically: a temp file in the same directory, fsync, rename, fsync of the dir.
 * Names must be unique and not "__metadata__". */
CT_NODISCARD ct_status ct_st_write(const char *path, const ct_st_tensor *t, int n,
                                   const ct_st_meta *meta, int n_meta);

/* A safetensors file read into memory. Tensors keep the file's header order. */
typedef struct ct_st_file ct_st_file;

/* Read and validate the whole file. Truncated or malformed files are CT_ERR_FORMAT with a message
 * naming the file and the fault; a missing file is CT_ERR_IO. */
CT_NODISCARD ct_status ct_st_read(const char *path, ct_st_file **out);
int ct_st_count(const ct_st_file *f);
const ct_st_tensor *ct_st_at(const ct_st_file *f, int i);
/* The tensor called name, or NULL. */
const ct_st_tensor *ct_st_find(const ct_st_file *f, const char *name);
/* A metadata value, or NULL when the key is absent. */
const char *ct_st_meta_get(const ct_st_file *f, const char *key);
void ct_st_free(ct_st_file *f);

/* ---- atomic writes ------------------------------------------------------------------------- */

/* A file being written under a temporary name next to its final path. */
typedef struct ct_afile ct_afile;

CT_NODISCARD ct_status ct_afile_open(const char *path, ct_afile **out);
FILE *ct_afile_stream(ct_afile *a);
/* Flush, fsync, close, rename onto the final path, fsync the directory; frees a (also on error,
 * removing the temp file). A write error seen on the stream fails the commit. */
CT_NODISCARD ct_status ct_afile_commit(ct_afile *a);
/* Close and remove the temp file; frees a (NULL is fine). */
void ct_afile_abort(ct_afile *a);
/* Write bytes [0, n) of data to path atomically. */
CT_NODISCARD ct_status ct_write_file_atomic(const char *path, const void *data, size_t n);
/* Read a whole file into a malloc'd NUL-terminated buffer (*n excludes the NUL). */
CT_NODISCARD ct_status ct_read_file(const char *path, char **data, size_t *n);

#ifdef __cplusplus
}
#endif
#endif
