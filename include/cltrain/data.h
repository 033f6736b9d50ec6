/* Datasets and the threaded loader: IDX (Fashion-MNIST/MNIST), CIFAR-10 binary and ImageNet-layout
 * image folders, fastai transforms on host threads, uint8 NCHW batches. Pure host code (no OpenCL).
 *
 * Usage (a training loop; error handling shortened):
 *
 *     ct_data_opts o = ct_data_opts_default();
 *     o.path = "/data/imagenette2-320";            // NULL: Fashion-MNIST in CT_DATA_DEFAULT_PATH
 *     o.size = 128;
 *     ct_dataset *ds;
 *     if (ct_data_open(&ds, &o)) { fprintf(stderr, "%s\n", ct_last_error()); return 1; }
 *     const ct_data_info *in = ct_data_get_info(ds);   // n_classes, channels, mean/std, counts
 *
 *     ct_loader_opts lo = {.batch_size = 64, .workers = 0, .prefetch = 0, .seed = 42};
 *     ct_loader *ld;
 *     ct_loader_create(&ld, ds, &lo);
 *     size_t n_iter = ct_data_n_batches(ds, CT_SPLIT_TRAIN, 64);   // floor(N / bs)
 *     for (int epoch = 0; epoch < 5; epoch++) {
 *         ct_loader_start(ld, CT_SPLIT_TRAIN, epoch, 0);   // resume: pass the batch index
 *         const ct_batch *b;
 *         while (ct_loader_next(ld, &b) == CT_OK && b) {
 *             // b->images (b->n, C, S, S) uint8, b->labels (b->n) int32: upload, then
 *             // ct_normalize_u8(ctx, x, buf, 0, b->n, C, S*S, in->mean, in->std)
 *         }
 *     }
 *     ct_loader_free(ld);
 *     ct_data_free(ds);
 *
 * Determinism: batch j of epoch e of a split holds the same items with the same augmentations for a
 * given seed, whatever the worker count, prefetch depth or timing, and whether the epoch started at
 * 0 or at j. Every sample's RNG is derived from (seed, split, epoch, position in the epoch).
 */
#ifndef CLTRAIN_DATA_H
#define CLTRAIN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "cltrain/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where Debian's dataset-fashion-mnist package puts the files. */
#define CT_DATA_DEFAULT_PATH "/usr/share/datasets/fashion-mnist"

typedef enum { CT_DATA_IDX = 1, CT_DATA_CIFAR10, CT_DATA_FOLDER } ct_data_format;
typedef enum { CT_SPLIT_TRAIN = 0, CT_SPLIT_VALID = 1 } ct_split;

typedef struct {
    const char *path;     /* dataset root; NULL or "": $CLTRAIN_DEFAULT_DATA or CT_DATA_DEFAULT_PATH */
    int size;             /* output side in px; 0: native side (IDX 28, CIFAR 32), folders 128 */
    int channels;         /* model channels 1 or 3; 0: the dataset's (IDX 1, CIFAR/folders 3) */
    size_t limit_train;   /* 0: all; else a fixed random subset of this many training items */
    size_t limit_valid;   /* 0: all; else the same for the validation split */
    uint64_t subset_seed; /* RNG seed choosing the subsets above */
    int strict;           /* 1: a corrupt image is an error; 0: skipped (or zero-filled), counted */
    int presize;          /* 0: off; else decode once into a cache, shorter side = presize px */
    const char *cache_dir; /* presize cache; NULL: $XDG_CACHE_HOME/cltrain/presize (~/.cache/..) */
    int small_aug;        /* IDX/CIFAR train: 1 = pad 4 (reflect) + random crop + flip p .5 */
    const char *labels_csv; /* fastai noisy-label CSV (path,<label_col>,...,is_valid); NULL: none */
    const char *label_col;  /* e.g. "noisy_labels_5" */
    int quiet;            /* 1: do not print the first skipped paths on stderr */
} ct_data_opts;

/* Defaults: everything 0/NULL (native size and channels, all items, not strict, no presize). */
ct_data_opts ct_data_opts_default(void);

typedef struct {
    ct_data_format format;
    const char *format_name; /* "idx", "cifar10", "folder" */
    const char *path;        /* the root that was opened */
    int n_classes;
    int channels;            /* model channels of every batch */
    int native_channels;     /* channels stored in the dataset */
    int size;                /* every batch image is size x size */
    int small;               /* 1: IDX/CIFAR (no RandomResizedCrop; valid = resize only) */
    size_t n_train, n_valid; /* usable items after limits and skipped files */
    float mean[3], std[3];   /* per model channel, in [0,1] units (ImageNet stats for folders,
                                computed over the training split for IDX and CIFAR) */
    size_t n_skipped;        /* corrupt or undecodable files found when opening */
} ct_data_info;

typedef struct ct_dataset ct_dataset;

/* Open a dataset, detecting the format from the path (a directory holding
 * train-images-idx3-ubyte[.gz] -> IDX; data_batch_1.bin or cifar-10-batches-bin/ -> CIFAR-10;
 * train/ and val/ (or valid/) subfolders -> image folders). Structural problems are errors naming
 * the file; corrupt images are skipped and counted (an error with opts.strict). opts NULL: defaults. */
CT_NODISCARD ct_status ct_data_open(ct_dataset **out, const ct_data_opts *opts);
void ct_data_free(ct_dataset *ds);

const ct_data_info *ct_data_get_info(const ct_dataset *ds);
/* Human class name ("tench", "T-shirt/top"); the folder name/wnid when no name is known. */
const char *ct_data_class_name(const ct_dataset *ds, int cls);
/* Class identifier: folder name (wnid) for folders, the name for IDX/CIFAR. */
const char *ct_data_class_id(const ct_dataset *ds, int cls);
size_t ct_data_count(const ct_dataset *ds, ct_split split);
/* Batches per epoch: train floor(N / bs) (drop_last), valid ceil(N / bs). */
size_t ct_data_n_batches(const ct_dataset *ds, ct_split split, int batch_size);
/* Label of item i of a split (in stored order) and, for folders, its path (else NULL). */
int ct_data_item_label(const ct_dataset *ds, ct_split split, size_t i);
const char *ct_data_item_path(const ct_dataset *ds, ct_split split, size_t i);
/* Stored size of item i (for folders, from the header read at open). */
void ct_data_item_dims(const ct_dataset *ds, ct_split split, size_t i, int *w, int *h);

/* Decode failures met while loading batches (files that passed the header check but failed to
 * decode; their slot in the batch is zero-filled). */
size_t ct_data_decode_failures(const ct_dataset *ds);

/* Fill one batch synchronously: items of batch `batch` of `epoch` (train shuffled by seed+epoch,
 * valid in order), transformed (train: augmented). images: (bs, C, S, S) uint8; labels: (bs)
 * int32; *n receives the count (bs, or fewer for the last valid batch). Thread-safe. */
CT_NODISCARD ct_status ct_data_load_batch(ct_dataset *ds, ct_split split, uint64_t seed, int epoch,
                                          size_t batch, int batch_size, uint8_t *images,
                                          int32_t *labels, int *n);

/* Decode every item of both splits with `workers` threads (0: default) and count the failures
 * (corrupt files skipped at open are not re-counted). With strict, the first failure is an error. */
CT_NODISCARD ct_status ct_data_verify(ct_dataset *ds, int workers, size_t *n_failed);

/* Load one image file for prediction with the validation transform: squish to size+xtra and
 * centre-crop to size when crop_xtra is 1 (folder-trained models), plain squish to size when 0
 * (small-image models). out: (channels, size, size) uint8. */
CT_NODISCARD ct_status ct_image_load(const char *path, int channels, int size, int crop_xtra,
                                     uint8_t *out);

/* Write the synthetic shapes dataset to dir/{train,val}/<colour>_<shape>/NNNNN.(png|jpg):
 * 10 classes (circle, square, triangle, cross, ring x red, blue), n_train/n_val images in all
 * (classes round-robin, PNG and JPEG alternating), size x size RGB, deterministic in seed. */
CT_NODISCARD ct_status ct_data_make_shapes(const char *dir, int n_train, int n_val, int size,
                                           uint64_t seed);

/* ---- threaded loader ------------------------------------------------------------------------ */

typedef struct {
    int batch_size;
    int workers;   /* 0: cores - 1, at least 1 */
    int prefetch;  /* batches in the ring; 0: workers + 2; at least 2 */
    uint64_t seed; /* shuffling and augmentation */
} ct_loader_opts;

typedef struct {
    const uint8_t *images; /* (n, C, S, S) uint8 */
    const int32_t *labels; /* (n) int32 */
    int n;                 /* items in this batch */
    size_t index;          /* batch index within the epoch */
} ct_batch;

typedef struct ct_loader ct_loader;

CT_NODISCARD ct_status ct_loader_create(ct_loader **out, ct_dataset *ds, const ct_loader_opts *o);
/* Begin (or restart) an epoch of `split` at batch first_batch; stops any epoch in flight. */
CT_NODISCARD ct_status ct_loader_start(ct_loader *l, ct_split split, int epoch, size_t first_batch);
/* The next batch, or *b = NULL at the end of the epoch. The batch stays valid until the next
 * call to ct_loader_next/start/free. A worker's error (strict mode, I/O) is returned here. */
CT_NODISCARD ct_status ct_loader_next(ct_loader *l, const ct_batch **b);
/* Worker threads actually used. */
int ct_loader_workers(const ct_loader *l);
void ct_loader_free(ct_loader *l);

/* Default worker count: online cores - 1, at least 1. */
int ct_data_default_workers(void);

#ifdef __cplusplus
}
#endif
#endif
