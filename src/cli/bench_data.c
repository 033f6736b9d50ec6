/* `cltrain bench data`: images/s of decode + augment through the threaded loader (no device).
 * Prints figures only; asserts nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cltrain/data.h"

static const char bench_data_usage[] =
    "usage: cltrain bench data [--data PATH] [--size S] [--workers N] [--bs B] [--batches K]\n"
    "                          [--split train|valid] [--presize P] [--epochs E]\n"
    "Times K batches (default 20, at most one epoch) of the training transform (valid: the\n"
    "validation transform) through the loader and prints images/s, for each of E epochs (default\n"
    "1; with --presize the second epoch reads the cache). Default data: Fashion-MNIST.\n";

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int bench_data(int argc, char **argv)
{
    ct_data_opts o = ct_data_opts_default();
    ct_loader_opts lo = {.batch_size = 64, .workers = 0, .prefetch = 0, .seed = 1};
    long batches = 20, epochs = 1;
    ct_split split = CT_SPLIT_TRAIN;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(bench_data_usage, stdout);
            return CT_EXIT_OK;
        }
        if (!v) {
            fprintf(stderr, "cltrain bench data: '%s' needs a value or is unknown\n%s", a,
                    bench_data_usage);
            return CT_EXIT_USAGE;
        }
        i++;
        if (!strcmp(a, "--data")) o.path = v;
        else if (!strcmp(a, "--size")) o.size = atoi(v);
        else if (!strcmp(a, "--workers")) lo.workers = atoi(v);
        else if (!strcmp(a, "--bs")) lo.batch_size = atoi(v);
        else if (!strcmp(a, "--batches")) batches = atol(v);
        else if (!strcmp(a, "--presize")) o.presize = atoi(v);
        else if (!strcmp(a, "--epochs")) epochs = atol(v);
        else if (!strcmp(a, "--split") && (!strcmp(v, "train") || !strcmp(v, "valid")))
            split = !strcmp(v, "train") ? CT_SPLIT_TRAIN : CT_SPLIT_VALID;
        else {
            fprintf(stderr, "cltrain bench data: bad option '%s %s'\n%s", a, v, bench_data_usage);
            return CT_EXIT_USAGE;
        }
    }
    if (lo.batch_size <= 0 || batches <= 0 || epochs <= 0) {
        fprintf(stderr, "cltrain bench data: --bs, --batches and --epochs must be positive\n");
        return CT_EXIT_USAGE;
    }
    ct_dataset *ds = NULL;
    ct_loader *ld = NULL;
    ct_status st = ct_data_open(&ds, &o);
    if (st == CT_OK) st = ct_loader_create(&ld, ds, &lo);
    if (st != CT_OK) {
        cli_report("bench data", st);
        ct_data_free(ds);
        return CT_EXIT_FAIL;
    }
    const ct_data_info *in = ct_data_get_info(ds);
    size_t nb = ct_data_n_batches(ds, split, lo.batch_size);
    if ((size_t)batches > nb) batches = (long)nb;
    printf("data %s (%s): %s transform, %dx%d x%d, bs %d, workers %d%s\n", in->path,
           in->format_name, split == CT_SPLIT_TRAIN ? "train" : "valid", in->size, in->size,
           in->channels, lo.batch_size, ct_loader_workers(ld), o.presize ? " (presize cache)" : "");
    for (long e = 0; st == CT_OK && e < epochs; e++) {
        double t0 = now_s(), t_first = 0;
        size_t images = 0;
        st = ct_loader_start(ld, split, (int)e, 0);
        for (long b = 0; st == CT_OK && b < batches; b++) {
            const ct_batch *bt;
            st = ct_loader_next(ld, &bt);
            if (st != CT_OK || !bt) break;
            if (b == 0) t_first = now_s() - t0;
            images += (size_t)bt->n;
        }
        double dt = now_s() - t0;
        if (st != CT_OK) break;
        printf("  epoch %ld: %zu images in %.3f s: %.1f images/s (first batch after %.3f s); "
               "decode failures %zu\n",
               e, images, dt, dt > 0 ? images / dt : 0.0, t_first, ct_data_decode_failures(ds));
    }
    if (st != CT_OK) cli_report("bench data", st);
    ct_loader_free(ld);
    ct_data_free(ds);
    return st == CT_OK ? CT_EXIT_OK : CT_EXIT_FAIL;
}
