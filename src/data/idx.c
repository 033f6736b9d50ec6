/* IDX reader (MNIST / Fashion-MNIST): gzip through zlib or raw files, images (N, 1, H, W) uint8 and
 * labels loaded whole into memory. Validates magic, sizes and counts before trusting any field. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "data/internal.h"

static const char *const split_prefix[2] = {"train", "t10k"};

/* path of <root>/<prefix>-<kind>-idx<d>-ubyte, with ".gz" when only that exists; 0 if neither */
static int idx_path(const char *root, const char *prefix, const char *kind, char *buf, size_t n)
{
    struct stat sb;
    snprintf(buf, n, "%s/%s-%s-ubyte", root, prefix, kind);
    if (stat(buf, &sb) == 0 && S_ISREG(sb.st_mode)) return 1;
    snprintf(buf, n, "%s/%s-%s-ubyte.gz", root, prefix, kind);
    return stat(buf, &sb) == 0 && S_ISREG(sb.st_mode);
}

int ct__idx_detect(const char *root)
{
    char p[4096];
    return idx_path(root, "train", "images-idx3", p, sizeof p);
}

static ct_status read_exact(gzFile f, const char *path, void *dst, size_t bytes, const char *what)
{
    uint8_t *d = dst;
    while (bytes > 0) {
        unsigned chunk = bytes > (1u << 30) ? (1u << 30) : (unsigned)bytes;
        int got = gzread(f, d, chunk);
        if (got < 0) {
            int err;
            const char *msg = gzerror(f, &err);
            return ct_error(CT_ERR_FORMAT, "%s: corrupt compressed data while reading %s: %s", path,
                            what, msg);
        }
        if (got == 0)
            return ct_error(CT_ERR_FORMAT, "%s: truncated IDX file (%zu bytes of %s missing)", path,
                            bytes, what);
        d += got;
        bytes -= (size_t)got;
    }
    return CT_OK;
}

/* Read an IDX file of `ndim` dims (1: labels, 3: images). dims[] receives the sizes; *data the
 * payload (malloc'd). */
static ct_status idx_read(const char *path, int ndim, uint32_t dims[3], uint8_t **data)
{
    ct_status st = CT_OK;
    *data = NULL;
    gzFile f = gzopen(path, "rb");
    if (!f) return ct_error(CT_ERR_IO, "%s: cannot open IDX file", path);
    uint8_t hdr[16];
    CT_TRY(read_exact(f, path, hdr, 4, "the header"));
    uint32_t magic = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    if (magic != (0x800u | (uint32_t)ndim))
        CT_FAIL(CT_ERR_FORMAT, "%s: bad IDX magic 0x%08x (want 0x%08x: unsigned bytes, %d dims)",
                path, magic, 0x800u | (uint32_t)ndim, ndim);
    CT_TRY(read_exact(f, path, hdr + 4, 4 * (size_t)ndim, "the header"));
    size_t total = 1;
    for (int i = 0; i < ndim; i++) {
        const uint8_t *b = hdr + 4 + 4 * i;
        dims[i] = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        if (dims[i] == 0) CT_FAIL(CT_ERR_FORMAT, "%s: IDX dimension %d is zero", path, i);
        if (i > 0 && dims[i] > 4096)
            CT_FAIL(CT_ERR_FORMAT, "%s: IDX image side %u is implausible (> 4096)", path, dims[i]);
        if (total > ((size_t)1 << 34) / dims[i])
            CT_FAIL(CT_ERR_OVERFLOW, "%s: IDX declares more than 16 GiB of data", path);
        total *= dims[i];
    }
    *data = malloc(total);
    if (!*data) CT_FAIL(CT_ERR_HOST_OOM, "%s: %zu bytes for the IDX payload", path, total);
    CT_TRY(read_exact(f, path, *data, total, ndim == 1 ? "labels" : "images"));
    gzclose(f);
    return CT_OK;
fail:
    free(*data);
    *data = NULL;
    gzclose(f);
    return st;
}

ct_status ct__idx_open(ct_dataset *ds)
{
    ct_status st = CT_OK;
    uint8_t *labels = NULL;
    int max_label = 0;
    for (int s = 0; s < 2; s++) {
        char ip[4096], lp[4096];
        if (!idx_path(ds->root, split_prefix[s], "images-idx3", ip, sizeof ip))
            CT_FAIL(CT_ERR_NOT_FOUND, "%s: missing %s-images-idx3-ubyte[.gz] (the %s split)",
                    ds->root, split_prefix[s], s ? "validation" : "training");
        if (!idx_path(ds->root, split_prefix[s], "labels-idx1", lp, sizeof lp))
            CT_FAIL(CT_ERR_NOT_FOUND, "%s: missing %s-labels-idx1-ubyte[.gz]", ds->root,
                    split_prefix[s]);
        uint32_t idim[3], ldim[3];
        CT_TRY(idx_read(ip, 3, idim, &ds->pixels[s]));
        CT_TRY(idx_read(lp, 1, ldim, &labels));
        if (idim[0] != ldim[0])
            CT_FAIL(CT_ERR_FORMAT, "%s holds %u images but %s holds %u labels", ip, idim[0], lp,
                    ldim[0]);
        if (s == 0) {
            ds->nat_h = (int)idim[1], ds->nat_w = (int)idim[2];
        } else if ((int)idim[1] != ds->nat_h || (int)idim[2] != ds->nat_w) {
            CT_FAIL(CT_ERR_FORMAT, "%s: images are %ux%u but the training images are %dx%d", ip,
                    idim[2], idim[1], ds->nat_w, ds->nat_h);
        }
        ds->n[s] = idim[0];
        ds->items[s] = calloc(ds->n[s], sizeof(ct_item));
        if (!ds->items[s]) CT_FAIL(CT_ERR_HOST_OOM, "idx.c: %zu items", ds->n[s]);
        for (size_t i = 0; i < ds->n[s]; i++) {
            ds->items[s][i] = (ct_item){NULL, labels[i], ds->nat_w, ds->nat_h, i};
            if (labels[i] > max_label) max_label = labels[i];
        }
        free(labels);
        labels = NULL;
    }
    ds->info.native_channels = 1;
    ds->n_classes = max_label + 1;
    ds->class_ids = calloc((size_t)ds->n_classes, sizeof(char *));
    if (!ds->class_ids) CT_FAIL(CT_ERR_HOST_OOM, "idx.c: class table");
    /* Fashion-MNIST and MNIST share the format; the path tells them apart */
    int fashion = strstr(ds->root, "fashion") || strstr(ds->root, "Fashion");
    for (int c = 0; c < ds->n_classes; c++) {
        char num[16];
        snprintf(num, sizeof num, "%d", c);
        ds->class_ids[c] = strdup(fashion && c < 10 ? ct__fashion_names[c] : num);
        if (!ds->class_ids[c]) CT_FAIL(CT_ERR_HOST_OOM, "idx.c: class name");
    }
    return CT_OK;
fail:
    free(labels);
    return st;
}
