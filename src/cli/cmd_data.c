/* `cltrain data PATH`: describe a dataset: format, classes with names, counts per split, image
 * sizes, normalisation stats and failed decodes (--strict: any bad file is an error, exit 1).
 * Read-only: never writes into the dataset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cltrain/data.h"

static const char data_usage[] =
    "usage: cltrain data [PATH] [--strict] [--quick] [--workers N] [--labels-csv FILE "
    "--label-col COL]\n"
    "Describes the dataset at PATH (default: Fashion-MNIST in " CT_DATA_DEFAULT_PATH "):\n"
    "IDX (train-images-idx3-ubyte[.gz]), CIFAR-10 binary (data_batch_*.bin) or image folders\n"
    "ROOT/{train,val}/<class>/*.(JPEG|jpg|jpeg|png|bmp). Decodes every image to count failures\n"
    "(--quick: header checks only). --strict: any corrupt file is an error (exit 1).\n";

static void size_stats(const ct_dataset *ds, ct_split s, const char *name)
{
    size_t n = ct_data_count(ds, s);
    if (n == 0) return;
    int wmin = 1 << 30, wmax = 0, hmin = 1 << 30, hmax = 0;
    double wsum = 0, hsum = 0;
    for (size_t i = 0; i < n; i++) {
        int w, h;
        ct_data_item_dims(ds, s, i, &w, &h);
        wmin = w < wmin ? w : wmin, wmax = w > wmax ? w : wmax;
        hmin = h < hmin ? h : hmin, hmax = h > hmax ? h : hmax;
        wsum += w, hsum += h;
    }
    printf("%-6s %zu images; width %d..%d (mean %.1f), height %d..%d (mean %.1f)\n", name, n, wmin,
           wmax, wsum / n, hmin, hmax, hsum / n);
}

int cmd_data(int argc, char **argv)
{
    ct_data_opts o = ct_data_opts_default();
    int quick = 0, workers = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(data_usage, stdout);
            return CT_EXIT_OK;
        } else if (!strcmp(a, "--strict")) {
            o.strict = 1;
        } else if (!strcmp(a, "--quick")) {
            quick = 1;
        } else if (!strcmp(a, "--workers") && i + 1 < argc) {
            workers = atoi(argv[++i]);
        } else if (!strcmp(a, "--labels-csv") && i + 1 < argc) {
            o.labels_csv = argv[++i];
        } else if (!strcmp(a, "--label-col") && i + 1 < argc) {
            o.label_col = argv[++i];
        } else if (a[0] != '-' && !o.path) {
            o.path = a;
        } else {
            fprintf(stderr, "cltrain data: unknown or incomplete argument '%s'\n%s", a, data_usage);
            return CT_EXIT_USAGE;
        }
    }
    ct_dataset *ds;
    ct_status st = ct_data_open(&ds, &o);
    if (st != CT_OK) {
        cli_report("opening the dataset", st);
        return CT_EXIT_FAIL;
    }
    const ct_data_info *in = ct_data_get_info(ds);
    printf("dataset: %s\nformat: %s, %d channel%s, batches of %dx%d px\n", in->path,
           in->format_name, in->native_channels, in->native_channels > 1 ? "s" : "", in->size,
           in->size);
    printf("classes: %d\n", in->n_classes);
    size_t *counts = calloc((size_t)in->n_classes * 2, sizeof(size_t));
    if (!counts) {
        ct_data_free(ds);
        fprintf(stderr, "cltrain data: out of memory\n");
        return CT_EXIT_FAIL;
    }
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < ct_data_count(ds, (ct_split)s); i++) {
            int l = ct_data_item_label(ds, (ct_split)s, i);
            if (l >= 0 && l < in->n_classes) counts[(size_t)l * 2 + s]++;
        }
    for (int c = 0; c < in->n_classes; c++) {
        const char *id = ct_data_class_id(ds, c), *nm = ct_data_class_name(ds, c);
        printf("  %3d %-22s %-22s train %6zu  val %6zu\n", c, id, strcmp(id, nm) ? nm : "",
               counts[(size_t)c * 2], counts[(size_t)c * 2 + 1]);
    }
    free(counts);
    size_stats(ds, CT_SPLIT_TRAIN, "train:");
    size_stats(ds, CT_SPLIT_VALID, "val:");
    printf("normalisation: mean");
    for (int c = 0; c < in->channels; c++) printf(" %.4f", in->mean[c]);
    printf(", std");
    for (int c = 0; c < in->channels; c++) printf(" %.4f", in->std[c]);
    printf("%s\n", in->small ? " (computed over the training images)" : " (ImageNet)");
    size_t failed = 0;
    if (!quick) st = ct_data_verify(ds, workers, &failed);
    printf("bad files: %zu skipped at open (header checks)", in->n_skipped);
    if (!quick && in->format == CT_DATA_FOLDER)
        printf(", %zu failed decodes of %zu images decoded", failed, in->n_train + in->n_valid);
    printf("\n");
    ct_data_free(ds);
    if (st != CT_OK) {
        cli_report("decoding", st);
        return CT_EXIT_FAIL;
    }
    return o.strict && failed ? CT_EXIT_FAIL : CT_EXIT_OK;
}
