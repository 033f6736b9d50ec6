/* CIFAR-10 binary reader: data_batch_1..5.bin (train) and test_batch.bin (valid), records of one
 * label byte + 3072 planar RGB bytes, loaded whole; names from batches.meta.txt when present.
 * Rejects files whose size is not a positive multiple of the record size before reading. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/internal.h"

enum { REC_PX = 3 * 32 * 32, REC = 1 + REC_PX };

static int is_file(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* The directory holding the .bin files: root itself or root/cifar-10-batches-bin */
static int cifar_dir(const char *root, char *dir, size_t n)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/data_batch_1.bin", root);
    if (is_file(p)) return snprintf(dir, n, "%s", root), 1;
    snprintf(p, sizeof p, "%s/cifar-10-batches-bin/data_batch_1.bin", root);
    if (is_file(p)) return snprintf(dir, n, "%s/cifar-10-batches-bin", root), 1;
    return 0;
}

int ct__cifar_detect(const char *root)
{
    char d[4096];
    return cifar_dir(root, d, sizeof d);
}

/* Append the records of one file to split s. */
static ct_status cifar_read(ct_dataset *ds, int s, const char *path, int *max_label)
{
    struct stat sb;
    if (stat(path, &sb) != 0) return ct_error(CT_ERR_NOT_FOUND, "%s: missing CIFAR-10 file", path);
    if (sb.st_size <= 0 || sb.st_size % REC != 0)
        return ct_error(CT_ERR_FORMAT,
                        "%s: %lld bytes is not a whole number of CIFAR-10 records (%d bytes each; "
                        "a full batch is 30730000)",
                        path, (long long)sb.st_size, REC);
    size_t nrec = (size_t)sb.st_size / REC, old = ds->n[s];
    uint8_t *px = realloc(ds->pixels[s], (old + nrec) * REC_PX);
    if (!px) return ct_error(CT_ERR_HOST_OOM, "%s: %zu records", path, nrec);
    ds->pixels[s] = px;
    ct_item *it = realloc(ds->items[s], (old + nrec) * sizeof(ct_item));
    if (!it) return ct_error(CT_ERR_HOST_OOM, "%s: %zu records", path, nrec);
    ds->items[s] = it;
    FILE *f = fopen(path, "rb");
    if (!f) return ct_error(CT_ERR_IO, "%s: cannot open", path);
    uint8_t rec[REC];
    for (size_t i = 0; i < nrec; i++) {
        if (fread(rec, 1, REC, f) != REC) {
            fclose(f);
            return ct_error(CT_ERR_IO, "%s: short read at record %zu", path, i);
        }
        if (rec[0] > 99) {
            fclose(f);
            return ct_error(CT_ERR_FORMAT, "%s: record %zu has label %d (CIFAR-10 labels are 0-9)",
                            path, i, rec[0]);
        }
        memcpy(px + (old + i) * REC_PX, rec + 1, REC_PX);
        it[old + i] = (ct_item){NULL, rec[0], 32, 32, old + i};
        if (rec[0] > *max_label) *max_label = rec[0];
    }
    fclose(f);
    ds->n[s] = old + nrec;
    return CT_OK;
}

ct_status ct__cifar_open(ct_dataset *ds)
{
    char dir[4096], p[4200];
    if (!cifar_dir(ds->root, dir, sizeof dir))
        return ct_error(CT_ERR_NOT_FOUND, "%s: no data_batch_1.bin", ds->root);
    int max_label = 0;
    ct_status st;
    for (int b = 1; b <= 5; b++) {
        snprintf(p, sizeof p, "%s/data_batch_%d.bin", dir, b);
        if (b > 1 && !is_file(p)) break; /* fewer batches is allowed (a subset) */
        if ((st = cifar_read(ds, 0, p, &max_label)) != CT_OK) return st;
    }
    snprintf(p, sizeof p, "%s/test_batch.bin", dir);
    if (!is_file(p))
        return ct_error(CT_ERR_NOT_FOUND, "%s: missing test_batch.bin (the validation split)", dir);
    if ((st = cifar_read(ds, 1, p, &max_label)) != CT_OK) return st;
    ds->nat_w = ds->nat_h = 32;
    ds->info.native_channels = 3;
    ds->n_classes = max_label < 9 ? 10 : max_label + 1;
    ds->class_ids = calloc((size_t)ds->n_classes, sizeof(char *));
    if (!ds->class_ids) return ct_error(CT_ERR_HOST_OOM, "cifar.c: class table");
    snprintf(p, sizeof p, "%s/batches.meta.txt", dir);
    FILE *f = fopen(p, "r");
    char line[256];
    for (int c = 0; c < ds->n_classes; c++) {
        const char *name = c < 10 ? ct__cifar_names[c] : NULL;
        if (f && fgets(line, sizeof line, f)) {
            line[strcspn(line, "\r\n")] = 0;
            if (line[0]) name = line;
        }
        char num[16];
        snprintf(num, sizeof num, "%d", c);
        ds->class_ids[c] = strdup(name ? name : num);
        if (!ds->class_ids[c]) {
            if (f) fclose(f);
            return ct_error(CT_ERR_HOST_OOM, "cifar.c: class name");
        }
    }
    if (f) fclose(f);
    return CT_OK;
}
