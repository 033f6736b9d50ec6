/* OpenCL runtime: device discovery and choice, the context object, programs with a binary cache,
 * kernel lookup and launch, device buffers with byte accounting. No process-wide device state. */
#ifndef CLTRAIN_RUNTIME_H
#define CLTRAIN_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

#include "cltrain/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- devices --------------------------------------------------------------------------------- */

typedef struct {
    int platform_index, device_index; /* "P:D" selector */
    cl_platform_id platform;
    cl_device_id device;
    char platform_name[128], platform_version[128];
    char name[128], vendor[128], driver_version[128], device_version[128], c_version[128];
    cl_device_type type;
    cl_uint compute_units, clock_mhz;
    cl_ulong global_mem, local_mem, max_alloc;
    size_t max_wg;
    int fp16, fp64;
} ct_device_info;

/* Every device of every platform, in platform then device order. *out is malloc'd (free it). */
CT_NODISCARD ct_status ct_devices_list(ct_device_info **out, int *n);

/* Resolve a selector ("P:D", or a case-insensitive substring of the device or platform name;
 * NULL or "" means CLTRAIN_DEVICE, else the first GPU, else the first device) to an index into
 * the list. On no match the error message lists the devices. */
CT_NODISCARD ct_status ct_device_select(const ct_device_info *devs, int n, const char *selector,
                                        int *index);

/* ---- context --------------------------------------------------------------------------------- */

typedef struct ct_ctx ct_ctx;

typedef struct {
    const char *device; /* selector as above; NULL: CLTRAIN_DEVICE or the default */
    int verbose;        /* 1: report program cache hits/misses and build times on stderr */
} ct_ctx_opts;

CT_NODISCARD ct_status ct_ctx_create(ct_ctx **out, const ct_ctx_opts *opts);
void ct_ctx_free(ct_ctx *ctx);

cl_context ct_ctx_cl(const ct_ctx *ctx);
cl_command_queue ct_ctx_queue(const ct_ctx *ctx);
cl_device_id ct_ctx_device(const ct_ctx *ctx);
const ct_device_info *ct_ctx_info(const ct_ctx *ctx);
int ct_ctx_verbose(const ct_ctx *ctx);
/* Wait for all enqueued work. Only call at synchronisation points (end of step, readback). */
CT_NODISCARD ct_status ct_ctx_finish(ct_ctx *ctx);

/* Program cache statistics since the context was created. */
typedef struct {
    int hits, misses, builds;
    double build_seconds; /* wall time spent in clBuildProgram (source and binary) */
} ct_cache_stats;
ct_cache_stats ct_ctx_cache_stats(const ct_ctx *ctx);

/* ---- programs and kernels -------------------------------------------------------------------- */

/* The kernel `name` from kernels/`file` built with `options` (e.g. "-DTILE=16"; may be NULL).
 * Programs are built once per (file, options) per context and come from the on-disk binary cache
 * when possible; the returned kernel is owned by the context. common.cl is prepended. */
CT_NODISCARD ct_status ct_kernel_get(ct_ctx *ctx, const char *file, const char *name,
                                     const char *options, cl_kernel *out);

/* One kernel argument: its size and a pointer to its value. */
typedef struct {
    size_t size;
    const void *ptr;
} ct_karg;
#define CT_KA(x) ((ct_karg){sizeof(x), &(x)})
/* A local-memory argument of `bytes` bytes. */
#define CT_KA_LOCAL(bytes) ((ct_karg){(bytes), NULL})

/* Set args[0..nargs) and enqueue over `global` work items (rounded up to a multiple of `local`
 * when local is given; kernels guard their index). local NULL lets the driver choose. Does not
 * wait. */
CT_NODISCARD ct_status ct_launch(ct_ctx *ctx, cl_kernel k, int dims, const size_t *global,
                                 const size_t *local, const ct_karg *args, int nargs);

/* The common elementwise launch: kernel `name` of `file` (options may be NULL) over n work items
 * in 1-D groups of ct_ctx_wg1d, capped at the kernel's limit. */
CT_NODISCARD ct_status ct_launch_1d(ct_ctx *ctx, const char *file, const char *name,
                                    const char *options, size_t n, const ct_karg *args, int nargs);

/* The largest work-group size usable for kernel k on this device (min of device and kernel). */
size_t ct_kernel_max_wg(ct_ctx *ctx, cl_kernel k);

/* A 1-D local size for elementwise kernels: min(256, device limit), a power of two. */
size_t ct_ctx_wg1d(const ct_ctx *ctx);
/* Which of a kernel's two work-item layouts to use: 1 (the CPU one: contiguous runs, a row per
 * item) on CPU devices, 0 (coalesced, an element per item) elsewhere, unless the environment
 * variable `env` is set (0 or 1; the tests run both). */
int ct_ctx_cpu_layout(const ct_ctx *ctx, const char *env);

/* ---- buffers --------------------------------------------------------------------------------- */

/* Device allocation of `bytes`, counted in the context's in-use and peak totals. Out of memory is
 * CT_ERR_DEVICE_OOM with the byte count in the message. The buffer is NOT zeroed. */
CT_NODISCARD ct_status ct_buf_alloc(ct_ctx *ctx, size_t bytes, cl_mem *out);
/* Release a buffer from ct_buf_alloc (NULL is fine). */
void ct_buf_free(ct_ctx *ctx, cl_mem mem);
/* Fill bytes [off, off+bytes) with zeros (a kernel; does not wait). */
CT_NODISCARD ct_status ct_buf_zero(ct_ctx *ctx, cl_mem mem, size_t off, size_t bytes);
/* Blocking host<->device copies of bytes at byte offset off. */
CT_NODISCARD ct_status ct_buf_write(ct_ctx *ctx, cl_mem mem, size_t off, size_t bytes,
                                    const void *src);
CT_NODISCARD ct_status ct_buf_read(ct_ctx *ctx, cl_mem mem, size_t off, size_t bytes, void *dst);
/* Device-to-device copy (does not wait). */
CT_NODISCARD ct_status ct_buf_copy(ct_ctx *ctx, cl_mem dst, size_t dst_off, cl_mem src,
                                   size_t src_off, size_t bytes);
size_t ct_mem_in_use(const ct_ctx *ctx);
size_t ct_mem_peak(const ct_ctx *ctx);
void ct_mem_reset_peak(ct_ctx *ctx);

/* A scratch buffer owned by the context, grown on demand to at least `bytes` (im2col, partial
 * sums). Valid until the next ct_ctx_scratch call that grows it; in-flight kernels keep the old
 * one alive (OpenCL reference counting). */
CT_NODISCARD ct_status ct_ctx_scratch(ct_ctx *ctx, size_t bytes, cl_mem *out);

#ifdef __cplusplus
}
#endif
#endif
