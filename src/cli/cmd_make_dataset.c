/* `cltrain make-dataset shapes --out DIR`: writes the synthetic shapes image-folder dataset.
 * Argument parsing and reporting only; the generator is ct_data_make_shapes in src/data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cltrain/data.h"

static const char make_usage[] =
    "usage: cltrain make-dataset shapes --out DIR [--n-train N] [--n-val M] [--size S] [--seed K]\n"
    "Writes DIR/{train,val}/<colour>_<shape>/*.png|jpg: 10 classes (circle, square, triangle,\n"
    "cross, ring x red, blue) on textured backgrounds. N, M: images per split in all\n"
    "(default 1000, 200); S: side in px (default 64); K: RNG seed (default 0).\n";

int cmd_make_dataset(int argc, char **argv)
{
    const char *out = NULL;
    long n_train = 1000, n_val = 200, size = 64, seed = 0;
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(make_usage, stdout);
        return CT_EXIT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "shapes")) {
        fprintf(stderr, "cltrain make-dataset: the only generator is 'shapes'\n%s", make_usage);
        return CT_EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(make_usage, stdout);
            return CT_EXIT_OK;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "cltrain make-dataset: '%s' needs a value or is unknown\n%s", a, make_usage);
            return CT_EXIT_USAGE;
        }
        const char *v = argv[++i];
        char *end = NULL;
        long num = strtol(v, &end, 10);
        int numeric = end && *end == 0 && end != v;
        if (!strcmp(a, "--out")) out = v;
        else if (!strcmp(a, "--n-train") && numeric) n_train = num;
        else if (!strcmp(a, "--n-val") && numeric) n_val = num;
        else if (!strcmp(a, "--size") && numeric) size = num;
        else if (!strcmp(a, "--seed") && numeric) seed = num;
        else {
            fprintf(stderr, "cltrain make-dataset: bad option '%s %s'\n%s", a, v, make_usage);
            return CT_EXIT_USAGE;
        }
    }
    if (!out) {
        fprintf(stderr, "cltrain make-dataset: --out DIR is required\n%s", make_usage);
        return CT_EXIT_USAGE;
    }
    if (n_train > 10000000 || n_val > 10000000) {
        fprintf(stderr, "cltrain make-dataset: at most 10000000 images per split\n");
        return CT_EXIT_USAGE;
    }
    ct_status st = ct_data_make_shapes(out, (int)n_train, (int)n_val, (int)size, (uint64_t)seed);
    if (st != CT_OK) {
        cli_report("make-dataset shapes", st);
        return st == CT_ERR_INVALID_ARG ? CT_EXIT_USAGE : CT_EXIT_FAIL;
    }
    printf("wrote %s: 10 classes, %ld train + %ld val images of %ldx%ld px (seed %ld)\n", out,
           n_train, n_val, size, size, seed);
    return CT_EXIT_OK;
}
