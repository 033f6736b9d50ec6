/* The context object: device, CL context and queue, programs (built or loaded from the binary
 * cache), kernels by name, launches, and device buffers with byte accounting.
 * Everything lives in ct_ctx; nothing here is process-wide. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cltrain/runtime.h"
#include "runtime/cache.h"
#include "runtime/kernels_embedded.h"

typedef struct {
    char *file, *options;
    cl_program program;
} program_entry;

typedef struct {
    int program; /* index into programs */
    char *name;
    cl_kernel kernel;
} kernel_entry;

struct ct_ctx {
    ct_device_info info;
    cl_context context;
    cl_command_queue queue;
    int verbose;
    program_entry *programs;
    int n_programs, cap_programs;
    kernel_entry *kernels;
    int n_kernels, cap_kernels;
    ct_cache_stats cache;
    size_t mem_in_use, mem_peak;
    cl_mem scratch;
    size_t scratch_bytes;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

ct_status ct_ctx_create(ct_ctx **out, const ct_ctx_opts *opts)
{
    ct_status st;
    ct_device_info *devs = NULL;
    int n = 0, idx = 0;
    cl_int err;
    *out = NULL;
    ct_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return ct_error(CT_ERR_HOST_OOM, "out of memory creating the context");
    CT_TRY(ct_devices_list(&devs, &n));
    CT_TRY(ct_device_select(devs, n, opts ? opts->device : NULL, &idx));
    ctx->info = devs[idx];
    ctx->verbose = opts ? opts->verbose : 0;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)ctx->info.platform,
                                     0};
    ctx->context = clCreateContext(props, 1, &ctx->info.device, NULL, NULL, &err);
    if (err != CL_SUCCESS)
        CT_FAIL(err, "clCreateContext on %s: %s", ctx->info.name, ct_status_str(err));
    ctx->queue = clCreateCommandQueue(ctx->context, ctx->info.device, 0, &err);
    if (err != CL_SUCCESS)
        CT_FAIL(err, "clCreateCommandQueue on %s: %s", ctx->info.name, ct_status_str(err));
    free(devs);
    *out = ctx;
    return CT_OK;
fail:
    free(devs);
    ct_ctx_free(ctx);
    return st;
}

void ct_ctx_free(ct_ctx *ctx)
{
    if (!ctx) return;
    if (ctx->queue) clFinish(ctx->queue);
    if (ctx->scratch) ct_buf_free(ctx, ctx->scratch);
    for (int i = 0; i < ctx->n_kernels; i++) {
        clReleaseKernel(ctx->kernels[i].kernel);
        free(ctx->kernels[i].name);
    }
    for (int i = 0; i < ctx->n_programs; i++) {
        clReleaseProgram(ctx->programs[i].program);
        free(ctx->programs[i].file);
        free(ctx->programs[i].options);
    }
    free(ctx->kernels);
    free(ctx->programs);
    if (ctx->queue) clReleaseCommandQueue(ctx->queue);
    if (ctx->context) clReleaseContext(ctx->context);
    free(ctx);
}

cl_context ct_ctx_cl(const ct_ctx *ctx) { return ctx->context; }
cl_command_queue ct_ctx_queue(const ct_ctx *ctx) { return ctx->queue; }
cl_device_id ct_ctx_device(const ct_ctx *ctx) { return ctx->info.device; }
const ct_device_info *ct_ctx_info(const ct_ctx *ctx) { return &ctx->info; }
int ct_ctx_verbose(const ct_ctx *ctx) { return ctx->verbose; }
ct_cache_stats ct_ctx_cache_stats(const ct_ctx *ctx) { return ctx->cache; }

ct_status ct_ctx_finish(ct_ctx *ctx)
{
    cl_int err = clFinish(ctx->queue);
    return err == CL_SUCCESS ? CT_OK : ct_error(err, "clFinish: %s", ct_status_str(err));
}

/* ---- sources --------------------------------------------------------------------------------- */

/* The text of kernels/<file>: from CLTRAIN_KERNEL_DIR when set, else the embedded copy. */
static ct_status load_source(const char *file, char **out)
{
    const char *dir = getenv("CLTRAIN_KERNEL_DIR");
    if (dir && *dir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, file);
        FILE *f = fopen(path, "rb");
        if (!f) return ct_error(CT_ERR_NOT_FOUND, "cannot open kernel source %s", path);
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        char *s = len >= 0 ? malloc((size_t)len + 1) : NULL;
        if (!s || fread(s, 1, (size_t)len, f) != (size_t)len) {
            free(s);
            fclose(f);
            return ct_error(CT_ERR_IO, "cannot read kernel source %s", path);
        }
        fclose(f);
        s[len] = '\0';
        *out = s;
        return CT_OK;
    }
    for (const ct_embedded_kernel *e = ct_embedded_kernels; e->name; e++)
        if (!strcmp(e->name, file)) {
            *out = malloc(e->len + 1);
            if (!*out) return ct_error(CT_ERR_HOST_OOM, "out of memory");
            memcpy(*out, e->src, e->len);
            (*out)[e->len] = '\0';
            return CT_OK;
        }
    return ct_error(CT_ERR_NOT_FOUND, "no kernel file %s is embedded in this build", file);
}

static void print_build_log(ct_ctx *ctx, cl_program prog, const char *file, const char *options)
{
    size_t n = 0;
    clGetProgramBuildInfo(prog, ctx->info.device, CL_PROGRAM_BUILD_LOG, 0, NULL, &n);
    char *log = malloc(n + 1);
    if (log) {
        log[0] = '\0';
        clGetProgramBuildInfo(prog, ctx->info.device, CL_PROGRAM_BUILD_LOG, n, log, NULL);
        log[n] = '\0';
    }
    fprintf(stderr, "cltrain: building kernels/%s (options '%s') failed on %s:\n%s\n", file,
            options ? options : "", ctx->info.name, log ? log : "(no log)");
    free(log);
}

static ct_status build_program(ct_ctx *ctx, const char *file, const char *options,
                               cl_program *out)
{
    ct_status st = CT_OK;
    char *common = NULL, *body = NULL, *full = NULL;
    unsigned char *bin = NULL;
    cl_program prog = NULL;
    cl_int err;
    char opts[1024];
    snprintf(opts, sizeof opts, "-cl-std=CL1.2 %s", options ? options : "");

    CT_TRY(load_source("common.cl", &common));
    CT_TRY(load_source(file, &body));
    size_t lc = strlen(common), lb = strlen(body);
    full = malloc(lc + lb + 32);
    if (!full) CT_FAIL(CT_ERR_HOST_OOM, "out of memory");
    sprintf(full, "%s\n#line 1\n%s", common, body);

    ct_cache_key key;
    ct_cache_key_init(&key);
    ct_cache_key_add_str(&key, full);
    ct_cache_key_add_str(&key, opts);
    ct_cache_key_add_str(&key, ctx->info.name);
    ct_cache_key_add_str(&key, ctx->info.driver_version);
    ct_cache_key_add_str(&key, ctx->info.platform_version);
    ct_cache_key_add_str(&key, ctx->info.device_version);
    char dirbuf[4096];
    const char *dir = ct_cache_dir(dirbuf, sizeof dirbuf);

    double t0 = now_s();
    if (dir) {
        size_t len = 0;
        const char *why = NULL;
        bin = ct_cache_load(dir, &key, &len, &why);
        if (bin) {
            const unsigned char *bp = bin;
            cl_int bst;
            prog = clCreateProgramWithBinary(ctx->context, 1, &ctx->info.device, &len, &bp, &bst,
                                             &err);
            if (err == CL_SUCCESS && bst == CL_SUCCESS &&
                clBuildProgram(prog, 1, &ctx->info.device, opts, NULL, NULL) == CL_SUCCESS) {
                ctx->cache.hits++;
                ctx->cache.build_seconds += now_s() - t0;
                if (ctx->verbose)
                    fprintf(stderr, "cltrain: program cache hit  %-16s %.3f s\n", file,
                            now_s() - t0);
                goto done;
            }
            if (prog) clReleaseProgram(prog);
            prog = NULL;
            why = "driver rejected the binary";
        }
        ctx->cache.misses++;
        if (ctx->verbose)
            fprintf(stderr, "cltrain: program cache miss %-16s (%s)\n", file, why ? why : "?");
    }

    const char *src = full;
    prog = clCreateProgramWithSource(ctx->context, 1, &src, NULL, &err);
    if (err != CL_SUCCESS) CT_FAIL(err, "clCreateProgramWithSource(%s): %s", file, ct_status_str(err));
    t0 = now_s();
    err = clBuildProgram(prog, 1, &ctx->info.device, opts, NULL, NULL);
    ctx->cache.builds++;
    ctx->cache.build_seconds += now_s() - t0;
    if (err != CL_SUCCESS) {
        print_build_log(ctx, prog, file, options);
        CT_FAIL(CT_ERR_BUILD, "building kernels/%s failed (%s); the build log is above", file,
                ct_status_str(err));
    }
    if (ctx->verbose)
        fprintf(stderr, "cltrain: built %-16s '%s' in %.3f s\n", file, options ? options : "",
                now_s() - t0);
    if (dir) {
        size_t blen = 0;
        if (clGetProgramInfo(prog, CL_PROGRAM_BINARY_SIZES, sizeof blen, &blen, NULL) ==
                CL_SUCCESS && blen > 0) {
            free(bin);
            bin = malloc(blen);
            unsigned char *bp = bin;
            if (bin &&
                clGetProgramInfo(prog, CL_PROGRAM_BINARIES, sizeof bp, &bp, NULL) == CL_SUCCESS)
                (void)ct_cache_store(dir, &key, bin, blen); /* failure: next run rebuilds */
        }
    }
done:
    *out = prog;
    prog = NULL;
fail:
    if (prog) clReleaseProgram(prog);
    free(bin);
    free(full);
    free(body);
    free(common);
    return st;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s ? s : "", n);
    return d;
}

static int same_opts(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

ct_status ct_kernel_get(ct_ctx *ctx, const char *file, const char *name, const char *options,
                        cl_kernel *out)
{
    ct_status st = CT_OK;
    int pi = -1;
    for (int i = 0; i < ctx->n_kernels; i++) {
        kernel_entry *k = &ctx->kernels[i];
        program_entry *p = &ctx->programs[k->program];
        if (!strcmp(k->name, name) && !strcmp(p->file, file) && same_opts(p->options, options)) {
            *out = k->kernel;
            return CT_OK;
        }
    }
    for (int i = 0; i < ctx->n_programs; i++)
        if (!strcmp(ctx->programs[i].file, file) && same_opts(ctx->programs[i].options, options))
            pi = i;
    if (pi < 0) {
        cl_program prog;
        CT_TRY(build_program(ctx, file, options, &prog));
        if (ctx->n_programs == ctx->cap_programs) {
            int cap = ctx->cap_programs ? 2 * ctx->cap_programs : 16;
            program_entry *g = realloc(ctx->programs, cap * sizeof *g);
            if (!g) {
                clReleaseProgram(prog);
                CT_FAIL(CT_ERR_HOST_OOM, "out of memory");
            }
            ctx->programs = g;
            ctx->cap_programs = cap;
        }
        pi = ctx->n_programs++;
        ctx->programs[pi] = (program_entry){dup_str(file), dup_str(options), prog};
    }
    cl_int err;
    cl_kernel k = clCreateKernel(ctx->programs[pi].program, name, &err);
    if (err != CL_SUCCESS)
        CT_FAIL(err, "no kernel '%s' in kernels/%s: %s", name, file, ct_status_str(err));
    if (ctx->n_kernels == ctx->cap_kernels) {
        int cap = ctx->cap_kernels ? 2 * ctx->cap_kernels : 32;
        kernel_entry *g = realloc(ctx->kernels, cap * sizeof *g);
        if (!g) {
            clReleaseKernel(k);
            CT_FAIL(CT_ERR_HOST_OOM, "out of memory");
        }
        ctx->kernels = g;
        ctx->cap_kernels = cap;
    }
    ctx->kernels[ctx->n_kernels++] = (kernel_entry){pi, dup_str(name), k};
    *out = k;
fail:
    return st;
}

ct_status ct_launch(ct_ctx *ctx, cl_kernel k, int dims, const size_t *global, const size_t *local,
                    const ct_karg *args, int nargs)
{
    for (int i = 0; i < nargs; i++) {
        cl_int err = clSetKernelArg(k, (cl_uint)i, args[i].size, args[i].ptr);
        if (err != CL_SUCCESS) {
            char name[128] = "?";
            clGetKernelInfo(k, CL_KERNEL_FUNCTION_NAME, sizeof name, name, NULL);
            return ct_error(err, "clSetKernelArg(%s, %d): %s", name, i, ct_status_str(err));
        }
    }
    size_t g[3];
    for (int d = 0; d < dims; d++) {
        g[d] = global[d] ? global[d] : 1;
        if (local && local[d]) g[d] = (g[d] + local[d] - 1) / local[d] * local[d];
    }
    cl_int err = clEnqueueNDRangeKernel(ctx->queue, k, (cl_uint)dims, NULL, g, local, 0, NULL, NULL);
    if (err != CL_SUCCESS) {
        char name[128] = "?";
        clGetKernelInfo(k, CL_KERNEL_FUNCTION_NAME, sizeof name, name, NULL);
        if (err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_RESOURCES)
            return ct_error(CT_ERR_DEVICE_OOM, "launching %s: %s (device out of memory?)", name,
                            ct_status_str(err));
        return ct_error(err, "launching %s: %s", name, ct_status_str(err));
    }
    return CT_OK;
}

ct_status ct_launch_1d(ct_ctx *ctx, const char *file, const char *name, const char *options,
                       size_t n, const ct_karg *args, int nargs)
{
    cl_kernel k;
    ct_status st = ct_kernel_get(ctx, file, name, options, &k);
    if (st != CT_OK) return st;
    size_t local = ct_ctx_wg1d(ctx), kmax = ct_kernel_max_wg(ctx, k);
    if (local > kmax) local = kmax;
    return ct_launch(ctx, k, 1, &n, &local, args, nargs);
}

size_t ct_kernel_max_wg(ct_ctx *ctx, cl_kernel k)
{
    size_t wg = 0;
    if (clGetKernelWorkGroupInfo(k, ctx->info.device, CL_KERNEL_WORK_GROUP_SIZE, sizeof wg, &wg,
                                 NULL) != CL_SUCCESS || wg == 0)
        wg = 1;
    return wg < ctx->info.max_wg ? wg : ctx->info.max_wg;
}

int ct_ctx_cpu_layout(const ct_ctx *ctx, const char *env)
{
    const char *v = env ? getenv(env) : NULL;
    if (v && *v) return atoi(v) != 0;
    return (ctx->info.type & CL_DEVICE_TYPE_CPU) != 0;
}

size_t ct_ctx_wg1d(const ct_ctx *ctx)
{
    size_t wg = 256;
    while (wg > ctx->info.max_wg && wg > 1) wg /= 2;
    return wg;
}

/* ---- buffers --------------------------------------------------------------------------------- */

ct_status ct_buf_alloc(ct_ctx *ctx, size_t bytes, cl_mem *out)
{
    cl_int err;
    *out = NULL;
    if (bytes == 0) bytes = 4;
    if (bytes > ctx->info.max_alloc)
        return ct_error(CT_ERR_DEVICE_OOM,
                        "device out of memory: %zu bytes asked in one buffer, the device allows "
                        "%llu (%s)", bytes, (unsigned long long)ctx->info.max_alloc, ctx->info.name);
    cl_mem m = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, bytes, NULL, &err);
    if (err != CL_SUCCESS || !m)
        return ct_error(CT_ERR_DEVICE_OOM, "device out of memory: %zu bytes asked (%zu in use) on "
                        "%s: %s", bytes, ctx->mem_in_use, ctx->info.name, ct_status_str(err));
    ctx->mem_in_use += bytes;
    if (ctx->mem_in_use > ctx->mem_peak) ctx->mem_peak = ctx->mem_in_use;
    *out = m;
    return CT_OK;
}

void ct_buf_free(ct_ctx *ctx, cl_mem mem)
{
    if (!mem) return;
    size_t bytes = 0;
    if (clGetMemObjectInfo(mem, CL_MEM_SIZE, sizeof bytes, &bytes, NULL) == CL_SUCCESS)
        ctx->mem_in_use -= bytes <= ctx->mem_in_use ? bytes : ctx->mem_in_use;
    clReleaseMemObject(mem);
}

ct_status ct_buf_zero(ct_ctx *ctx, cl_mem mem, size_t off, size_t bytes)
{
    if (bytes == 0) return CT_OK;
    cl_int err;
    if (off % 4 == 0 && bytes % 4 == 0) {
        cl_uint zero = 0;
        err = clEnqueueFillBuffer(ctx->queue, mem, &zero, sizeof zero, off, bytes, 0, NULL, NULL);
    } else {
        cl_uchar zero = 0;
        err = clEnqueueFillBuffer(ctx->queue, mem, &zero, 1, off, bytes, 0, NULL, NULL);
    }
    return err == CL_SUCCESS ? CT_OK : ct_error(err, "zero-fill of %zu bytes: %s", bytes,
                                                ct_status_str(err));
}

ct_status ct_buf_write(ct_ctx *ctx, cl_mem mem, size_t off, size_t bytes, const void *src)
{
    if (bytes == 0) return CT_OK;
    cl_int err = clEnqueueWriteBuffer(ctx->queue, mem, CL_TRUE, off, bytes, src, 0, NULL, NULL);
    return err == CL_SUCCESS ? CT_OK : ct_error(err, "writing %zu bytes to the device: %s", bytes,
                                                ct_status_str(err));
}

ct_status ct_buf_read(ct_ctx *ctx, cl_mem mem, size_t off, size_t bytes, void *dst)
{
    if (bytes == 0) return CT_OK;
    cl_int err = clEnqueueReadBuffer(ctx->queue, mem, CL_TRUE, off, bytes, dst, 0, NULL, NULL);
    return err == CL_SUCCESS ? CT_OK : ct_error(err, "reading %zu bytes from the device: %s",
                                                bytes, ct_status_str(err));
}

ct_status ct_buf_copy(ct_ctx *ctx, cl_mem dst, size_t dst_off, cl_mem src, size_t src_off,
                      size_t bytes)
{
    if (bytes == 0) return CT_OK;
    cl_int err = clEnqueueCopyBuffer(ctx->queue, src, dst, src_off, dst_off, bytes, 0, NULL, NULL);
    return err == CL_SUCCESS ? CT_OK : ct_error(err, "device copy of %zu bytes: %s", bytes,
                                                ct_status_str(err));
}

size_t ct_mem_in_use(const ct_ctx *ctx) { return ctx->mem_in_use; }
size_t ct_mem_peak(const ct_ctx *ctx) { return ctx->mem_peak; }
void ct_mem_reset_peak(ct_ctx *ctx) { ctx->mem_peak = ctx->mem_in_use; }

ct_status ct_ctx_scratch(ct_ctx *ctx, size_t bytes, cl_mem *out)
{
    if (ctx->scratch && ctx->scratch_bytes >= bytes) {
        *out = ctx->scratch;
        return CT_OK;
    }
    size_t want = bytes + bytes / 4;
    cl_mem m;
    ct_status st = ct_buf_alloc(ctx, want, &m);
    if (st != CT_OK) return st;
    ct_buf_free(ctx, ctx->scratch); /* in-flight kernels keep their reference */
    ctx->scratch = m;
    ctx->scratch_bytes = want;
    *out = m;
    return CT_OK;
}
