/* `cltrain bench ops`: per-op timings on xresnet18's shapes at --size px, batch --bs: every distinct
 * conv (forward, backward data, backward weight: ms and GFLOP/s) and the memory-bound ops
 * (ms and GB/s). Figures only, no asserts; clFinish brackets every timed call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cltrain/ops.h"

/* --clock cpu: process CPU time (all threads, so PoCL's workers too) instead of wall time, for
 * comparing CPU-device kernels on a machine other jobs share; GFLOP/s then reads "per CPU-s". */
static clockid_t bench_clock = CLOCK_MONOTONIC;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(bench_clock, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One timed operation: fn(ctx, u, pass) enqueues pass `pass` of the op described by u. */
typedef ct_status (*op_fn)(ct_ctx *ctx, void *u, int pass);

/* Median wall time in ms of `reps` runs of fn after one warm-up run (builds, CLBlast compiles). */
static ct_status time_op(ct_ctx *ctx, op_fn fn, void *u, int pass, int reps, double *ms)
{
    double t[64];
    ct_status st;
    if (reps > 64) reps = 64;
    if ((st = fn(ctx, u, pass)) != CT_OK || (st = ct_ctx_finish(ctx)) != CT_OK) return st;
    for (int i = 0; i < reps; i++) {
        double t0 = now_ms();
        if ((st = fn(ctx, u, pass)) != CT_OK || (st = ct_ctx_finish(ctx)) != CT_OK) return st;
        t[i] = now_ms() - t0;
    }
    qsort(t, (size_t)reps, sizeof t[0], cmp_double);
    *ms = reps % 2 ? t[reps / 2] : 0.5 * (t[reps / 2 - 1] + t[reps / 2]);
    return CT_OK;
}

/* Device buffers for one benchmark, filled with a small constant (never garbage: NaN and
 * denormals distort CPU timings). */
#define MAX_BUFS 6
typedef struct {
    cl_mem m[MAX_BUFS];
} bufs;

static ct_status bufs_alloc(ct_ctx *ctx, bufs *b, const size_t *floats, int n)
{
    memset(b, 0, sizeof *b);
    for (int i = 0; i < n; i++) {
        ct_status st = ct_buf_alloc(ctx, floats[i] * sizeof(float), &b->m[i]);
        if (st == CT_OK) st = ct_fill(ctx, CT_PTR(b->m[i], 0), 0.01f * (i + 1), floats[i]);
        if (st != CT_OK) return st;
    }
    return CT_OK;
}

static void bufs_free(ct_ctx *ctx, bufs *b)
{
    for (int i = 0; i < MAX_BUFS; i++) ct_buf_free(ctx, b->m[i]);
}

#define P(b, i) CT_PTR((b)->m[i], 0)

/* ---- conv shapes --------------------------------------------------------------------------- */

typedef struct {
    const char *name;
    int c_in, c_out, k, stride, level; /* input spatial: size halved `level` times */
    int count;                         /* how many convs of this shape xresnet18 has */
} conv_shape;

/* xresnet18 (fastai): 3-conv stem at size, then size/2 twice; maxpool; stages at levels 2 .. 5;
 * strided blocks: 3x3 stride 2 on the conv path, avgpool + 1x1 on the identity path. */
static const conv_shape conv_shapes[] = {
    {"stem0 3x3 s2", 3, 32, 3, 2, 0, 1},      {"stem1 3x3", 32, 32, 3, 1, 1, 1},
    {"stem2 3x3", 32, 64, 3, 1, 1, 1},        {"s1 3x3", 64, 64, 3, 1, 2, 4},
    {"s2 3x3 s2", 64, 128, 3, 2, 2, 1},       {"s2 3x3", 128, 128, 3, 1, 3, 3},
    {"s2 id 1x1", 64, 128, 1, 1, 3, 1},       {"s3 3x3 s2", 128, 256, 3, 2, 3, 1},
    {"s3 3x3", 256, 256, 3, 1, 4, 3},         {"s3 id 1x1", 128, 256, 1, 1, 4, 1},
    {"s4 3x3 s2", 256, 512, 3, 2, 4, 1},      {"s4 3x3", 512, 512, 3, 1, 5, 3},
    {"s4 id 1x1", 256, 512, 1, 1, 5, 1},
};

/* The side after `level` halvings as xresnet does them: 3x3 stride-2 pad-1 convs and maxpool,
 * and 2x2 ceil-mode avgpools, all give ceil(side / 2). */
static int side_at(int size, int level)
{
    for (int i = 0; i < level; i++) size = (size + 1) / 2;
    return size;
}

typedef struct {
    ct_conv2d_p p;
    bufs b; /* in, w, out, dout, din, dw */
} conv_run;

static ct_status conv_pass(ct_ctx *ctx, void *u, int pass)
{
    conv_run *r = u;
    bufs *b = &r->b;
    if (pass == 0) return ct_conv2d_forward(ctx, P(b, 2), P(b, 0), P(b, 1), CT_PTR_NULL, &r->p);
    if (pass == 1) return ct_conv2d_backward_data(ctx, P(b, 4), 0, P(b, 3), P(b, 1), &r->p);
    return ct_conv2d_backward_weight(ctx, P(b, 5), CT_PTR_NULL, P(b, 3), P(b, 0), &r->p);
}

/* peak: the measured GFLOP/s matching the clock (the device's for wall time, one compute
 * unit's for process CPU time), 0 if unknown */
static ct_status bench_convs(ct_ctx *ctx, int size, int bs, int reps, double peak)
{
    static const char *pass_name[3] = {"fwd", "bwd-data", "bwd-weight"};
    double net_ms[3] = {0, 0, 0}, net_flop = 0;
    printf("%-14s %-22s %10s %10s %10s %9s %9s %9s\n", "conv", "in -> out", "fwd ms", "bwd-d ms",
           "bwd-w ms", "fwd GF/s", "bwd-d GF/s", "bwd-w GF/s");
    for (size_t i = 0; i < sizeof conv_shapes / sizeof conv_shapes[0]; i++) {
        const conv_shape *s = &conv_shapes[i];
        int hw = side_at(size, s->level);
        if (hw < 1) continue;
        conv_run r = {{bs, s->c_in, hw, hw, s->c_out, s->k, s->k, s->stride, s->k / 2, 1}, {{0}}};
        int oh = ct_conv2d_out_h(&r.p), ow = ct_conv2d_out_w(&r.p);
        size_t n_in = (size_t)bs * s->c_in * hw * hw, n_w = (size_t)s->c_out * s->c_in * s->k * s->k;
        size_t n_out = (size_t)bs * s->c_out * oh * ow;
        const size_t sizes[6] = {n_in, n_w, n_out, n_out, n_in, n_w};
        double flop = 2.0 * n_out * s->c_in * s->k * s->k, ms[3];
        ct_status st = bufs_alloc(ctx, &r.b, sizes, 6);
        for (int pass = 0; pass < 3 && st == CT_OK; pass++)
            st = time_op(ctx, conv_pass, &r, pass, reps, &ms[pass]);
        bufs_free(ctx, &r.b);
        if (st != CT_OK) {
            fprintf(stderr, "conv %s: %s\n", s->name, ct_last_error());
            return st;
        }
        char shape[64];
        snprintf(shape, sizeof shape, "%dx%d^2 -> %dx%d^2", s->c_in, hw, s->c_out, oh);
        printf("%-14s %-22s %10.2f %10.2f %10.2f %9.1f %9.1f %9.1f\n", s->name, shape, ms[0],
               ms[1], ms[2], flop / ms[0] * 1e-6, flop / ms[1] * 1e-6, flop / ms[2] * 1e-6);
        fflush(stdout);
        for (int pass = 0; pass < 3; pass++) net_ms[pass] += s->count * ms[pass];
        net_flop += s->count * flop;
    }
    printf("xresnet18 convs (each shape x its count): ");
    for (int pass = 0; pass < 3; pass++)
        printf("%s %.1f ms (%.1f GF/s)%s", pass_name[pass], net_ms[pass],
               net_flop / net_ms[pass] * 1e-6, pass < 2 ? ", " : "\n");
    double all_ms = net_ms[0] + net_ms[1] + net_ms[2];
    printf("  = %.1f ms per training step in convs, %.1f img/s bound from convs alone", all_ms,
           bs * 1e3 / all_ms);
    if (peak > 0) printf("; %.0f %% of the measured peak", 3 * net_flop / all_ms * 1e-6 / peak * 100);
    printf("\n\n");
    return CT_OK;
}

/* ---- the device's fp32 peak ---------------------------------------------------------------- */

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One fma_peak launch, timed by the wall clock whatever --clock says. */
static ct_status fma_run(ct_ctx *ctx, cl_kernel k, cl_mem out, size_t items, int iters,
                         double *sec)
{
    cl_float a = 0.9999f, b = 1e-4f;
    size_t local = 16;
    double t0 = wall_s();
    ct_status st = ct_launch(ctx, k, 1, &items, &local,
                             (ct_karg[]){CT_KA(out), CT_KA(iters), CT_KA(a), CT_KA(b)}, 4);
    if (st == CT_OK) st = ct_ctx_finish(ctx);
    *sec = wall_s() - t0;
    return st;
}

double bench_fma_peak(ct_ctx *ctx)
{
    cl_kernel k;
    cl_mem out = NULL;
    size_t items = (size_t)(ct_ctx_info(ctx)->compute_units ? ct_ctx_info(ctx)->compute_units : 1) *
                   2048;
    double sec = 0, best = 0;
    int iters = 256;
    ct_status st = ct_kernel_get(ctx, "bench.cl", "fma_peak", NULL, &k);
    if (st == CT_OK) st = ct_buf_alloc(ctx, items * sizeof(float), &out);
    if (st == CT_OK) st = fma_run(ctx, k, out, items, iters, &sec); /* build, warm up */
    if (st == CT_OK) st = fma_run(ctx, k, out, items, iters, &sec); /* calibrate to ~0.2 s */
    if (st == CT_OK && sec > 0 && sec < 0.2) iters = (int)(iters * 0.2 / sec) + 1;
    for (int rep = 0; rep < 3 && st == CT_OK; rep++) {
        st = fma_run(ctx, k, out, items, iters, &sec);
        double gf = 2.0 * 12 * 16 * (double)iters * (double)items / sec * 1e-9;
        if (st == CT_OK && gf > best) best = gf;
    }
    ct_buf_free(ctx, out);
    if (st != CT_OK) {
        ct_error_clear();
        return 0;
    }
    return best;
}

/* ---- memory-bound ops ---------------------------------------------------------------------- */

typedef struct {
    int n, c, hw; /* activation (N, C, H*W), square planes */
    ct_pool_p pool;
    bufs b; /* x, y, dy, dx, argmax, 8 per-channel arrays of C (batchnorm) */
} mem_run;

typedef struct {
    const char *name;
    op_fn fn;
    int pass;
    double bytes_per_elem; /* ideal traffic per input element (floats moved x 4) */
    int pool;              /* the figure uses the pool output size for the output side */
} mem_op;

static ct_status relu_pass(ct_ctx *ctx, void *u, int pass)
{
    mem_run *r = u;
    size_t n = (size_t)r->n * r->c * r->hw;
    if (pass == 0) return ct_act_forward(ctx, CT_ACT_RELU, P(&r->b, 1), P(&r->b, 0), n);
    return ct_act_backward(ctx, CT_ACT_RELU, P(&r->b, 3), 0, P(&r->b, 2), P(&r->b, 1), n);
}

static ct_status mish_pass(ct_ctx *ctx, void *u, int pass)
{
    mem_run *r = u;
    size_t n = (size_t)r->n * r->c * r->hw;
    if (pass == 0) return ct_act_forward(ctx, CT_ACT_MISH, P(&r->b, 1), P(&r->b, 0), n);
    return ct_act_backward(ctx, CT_ACT_MISH, P(&r->b, 3), 0, P(&r->b, 2), P(&r->b, 0), n);
}

static ct_status maxpool_pass(ct_ctx *ctx, void *u, int pass)
{
    mem_run *r = u;
    if (pass == 0) return ct_maxpool_forward(ctx, P(&r->b, 1), P(&r->b, 4), P(&r->b, 0), &r->pool);
    return ct_maxpool_backward(ctx, P(&r->b, 3), 0, P(&r->b, 2), P(&r->b, 4), &r->pool);
}

static ct_status avgpool_pass(ct_ctx *ctx, void *u, int pass)
{
    mem_run *r = u;
    if (pass == 0) return ct_avgpool_forward(ctx, P(&r->b, 1), P(&r->b, 0), &r->pool);
    return ct_avgpool_backward(ctx, P(&r->b, 3), 0, P(&r->b, 2), &r->pool);
}

static ct_status add_pass(ct_ctx *ctx, void *u, int pass)
{
    mem_run *r = u;
    size_t n = (size_t)r->n * r->c * r->hw;
    if (pass == 0) return ct_add_forward(ctx, P(&r->b, 1), P(&r->b, 0), P(&r->b, 2), n);
    return ct_add_backward(ctx, P(&r->b, 3), 0, P(&r->b, 1), 1, P(&r->b, 2), n);
}

/* batchnorm2d training forward / backward; per-channel arrays in buffer 5: save mean, save rstd,
 * running mean, running var, gamma, beta, dgamma, dbeta */
static ct_status bn_pass(ct_ctx *ctx, void *u, int pass)
{
    mem_run *r = u;
    ct_bn_p p = {r->n, r->c, r->hw, 1e-5f, 0.1f, CT_ACT_NONE};
    ct_ptr ch[8];
    for (int i = 0; i < 8; i++) ch[i] = ct_ptr_add(P(&r->b, 5), (size_t)i * r->c);
    if (pass == 0)
        return ct_bn_forward_train(ctx, P(&r->b, 1), ch[0], ch[1], ch[2], ch[3], P(&r->b, 0),
                                   ch[4], ch[5], &p);
    return ct_bn_backward(ctx, P(&r->b, 3), 0, ch[6], ch[7], P(&r->b, 2), P(&r->b, 0), ch[4], ch[0],
                          ch[1], &p);
}

/* Ideal bytes: pools count the input once and the output (+ int32 argmax) at 1/stride^2 size. */
static const mem_op mem_ops[] = {
    {"relu fwd", relu_pass, 0, 8, 0},        {"relu bwd", relu_pass, 1, 12, 0},
    {"mish fwd", mish_pass, 0, 8, 0},        {"mish bwd", mish_pass, 1, 12, 0},
    {"add fwd", add_pass, 0, 12, 0},         {"add bwd (=, +=)", add_pass, 1, 16, 0},
    {"maxpool3 s2 fwd", maxpool_pass, 0, 4, 8}, {"maxpool3 s2 bwd", maxpool_pass, 1, 4, 8},
    {"avgpool2 s2 fwd", avgpool_pass, 0, 4, 4}, {"avgpool2 s2 bwd", avgpool_pass, 1, 4, 4},
    {"batchnorm fwd", bn_pass, 0, 8, 0},     {"batchnorm bwd", bn_pass, 1, 12, 0},
};

static ct_status bench_mem(ct_ctx *ctx, int size, int bs, int reps)
{
    /* a stem activation (bs, 32, level 1) and a stage-1 activation (bs, 64, level 2) */
    const int shapes[2][2] = {{32, 1}, {64, 2}};
    printf("%-18s %-18s %10s %9s\n", "memory-bound op", "activation", "ms", "GB/s");
    for (int si = 0; si < 2; si++) {
        int c = shapes[si][0], side = side_at(size, shapes[si][1]);
        if (side < 2) continue;
        mem_run r = {bs, c, side * side, {bs, c, side, side, 3, 2, 1, 0}, {{0}}};
        size_t n = (size_t)bs * c * side * side;
        const size_t sizes[6] = {n, n, n, n, n, 8 * (size_t)c};
        ct_status st = bufs_alloc(ctx, &r.b, sizes, 6);
        for (size_t i = 0; i < sizeof mem_ops / sizeof mem_ops[0] && st == CT_OK; i++) {
            const mem_op *o = &mem_ops[i];
            int avg = o->fn == avgpool_pass;
            r.pool = (ct_pool_p){bs, c, side, side, avg ? 2 : 3, 2, avg ? 0 : 1, avg};
            double ms = 0, bytes = o->bytes_per_elem * n;
            if (o->pool) { /* + the output side at pool size */
                double on = (double)bs * c * ct_pool_out_h(&r.pool) * ct_pool_out_w(&r.pool);
                bytes += o->pool * on;
            }
            st = time_op(ctx, o->fn, &r, o->pass, reps, &ms);
            if (st != CT_OK) {
                fprintf(stderr, "%s: %s\n", o->name, ct_last_error());
                break;
            }
            char shape[48];
            snprintf(shape, sizeof shape, "%dx%dx%d^2", bs, c, side);
            printf("%-18s %-18s %10.3f %9.2f\n", o->name, shape, ms, bytes / ms * 1e-6);
            fflush(stdout);
        }
        bufs_free(ctx, &r.b);
        if (st != CT_OK) return st;
    }
    return CT_OK;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: cltrain bench ops [--size PX] [--bs N] [--reps N] [--quick] [--only conv|mem]\n"
               "                        [--clock wall|cpu]\n"
               "Times xresnet18's conv shapes (forward, backward data, backward weight; ms and\n"
               "GFLOP/s) and the memory-bound ops (ms and GB/s of ideal traffic) on the device.\n"
               "  --size PX   input image size (default 128)\n"
               "  --bs N      batch size (default 32)\n"
               "  --reps N    timed repetitions after one warm-up, median reported (default 3)\n"
               "  --quick     --reps 1 and, unless given, --bs 8\n"
               "  --only W    only the conv table or only the memory-bound table\n"
               "  --clock C   wall (default) or cpu: process CPU seconds, for CPU devices on a\n"
               "              shared machine (rates are then per CPU-second)\n"
               "environment: CLTRAIN_CONV_GEMM=clblast|tiled picks the conv GEMM back end\n");
}

int bench_ops(int argc, char **argv)
{
    int size = 128, bs = -1, reps = 3, quick = 0, do_conv = 1, do_mem = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_val = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return CT_EXIT_OK;
        } else if (!strcmp(a, "--quick")) {
            quick = 1;
        } else if (has_val && !strcmp(a, "--size")) {
            size = atoi(argv[++i]);
        } else if (has_val && !strcmp(a, "--bs")) {
            bs = atoi(argv[++i]);
        } else if (has_val && !strcmp(a, "--reps")) {
            reps = atoi(argv[++i]);
        } else if (has_val && !strcmp(a, "--clock")) {
            const char *c = argv[++i];
            if (strcmp(c, "wall") && strcmp(c, "cpu")) {
                fprintf(stderr, "cltrain bench ops: --clock takes wall or cpu, not '%s'\n", c);
                return CT_EXIT_USAGE;
            }
            bench_clock = strcmp(c, "cpu") ? CLOCK_MONOTONIC : CLOCK_PROCESS_CPUTIME_ID;
        } else if (has_val && !strcmp(a, "--only")) {
            const char *w = argv[++i];
            do_conv = !strcmp(w, "conv"), do_mem = !strcmp(w, "mem");
            if (!do_conv && !do_mem) {
                fprintf(stderr, "cltrain bench ops: --only takes conv or mem, not '%s'\n", w);
                return CT_EXIT_USAGE;
            }
        } else {
            fprintf(stderr, "cltrain bench ops: unknown or incomplete argument '%s'\n", a);
            usage(stderr);
            return CT_EXIT_USAGE;
        }
    }
    if (quick) reps = 1;
    if (bs < 0) bs = quick ? 8 : 32;
    if (size < 8 || bs < 1 || reps < 1 || reps > 64) {
        fprintf(stderr, "cltrain bench ops: need --size >= 8, --bs >= 1, 1 <= --reps <= 64\n");
        return CT_EXIT_USAGE;
    }
    ct_ctx *ctx = cli_ctx();
    if (!ctx) return CT_EXIT_FAIL;
    printf("bench ops: device %s; xresnet18 shapes at %d px, batch %d; median of %d after a "
           "warm-up; clFinish around each call; %s time\n", ct_ctx_info(ctx)->name, size, bs, reps,
           bench_clock == CLOCK_MONOTONIC ? "wall" : "process CPU");
    const char *be = getenv("CLTRAIN_CONV_GEMM");
    printf("conv GEMM back end: %s\n\n", be && *be ? be
           : (ct_ctx_info(ctx)->type & CL_DEVICE_TYPE_CPU) ? "tiled (the CPU-device default)"
                                                            : "clblast (the default off CPUs)");
    double peak = bench_fma_peak(ctx);
    unsigned cus = ct_ctx_info(ctx)->compute_units ? ct_ctx_info(ctx)->compute_units : 1;
    if (peak > 0)
        printf("measured fp32 FMA peak (kernels/bench.cl): %.1f GFLOP/s, %.1f per compute unit "
               "(%u units)\n\n", peak, peak / cus, cus);
    ct_status st = CT_OK;
    if (do_conv) st = bench_convs(ctx, size, bs, reps, bench_clock == CLOCK_MONOTONIC ? peak
                                                                                    : peak / cus);
    if (st == CT_OK && do_mem) st = bench_mem(ctx, size, bs, reps);
    if (st == CT_OK)
        printf("\npeak device memory %.1f MiB\n", ct_mem_peak(ctx) / 1048576.0);
    ct_ctx_free(ctx);
    if (st != CT_OK) {
        cli_report("bench ops", st);
        return CT_EXIT_FAIL;
    }
    return CT_EXIT_OK;
}
