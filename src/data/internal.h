/* Private structures and helpers shared by the src/data sources (dataset formats, transforms, loader).
 * Not installed; nothing outside src/data and its tests may depend on it. */
#ifndef CT_DATA_INTERNAL_H
#define CT_DATA_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "cltrain/data.h"

/* Largest image a file may declare: per side and in total (checked before any allocation). */
#define CT_IMG_MAX_SIDE 32768
#define CT_IMG_MAX_PIXELS ((size_t)1 << 26)
/* How many skipped paths are printed before going quiet. */
#define CT_DATA_PRINT_FIRST 5

/* A host image, planar: px is (c, h, w) uint8. */
typedef struct {
    int w, h, c;
    uint8_t *px;
} ct_img;

typedef struct {
    char *path;   /* folders: the file; NULL for IDX/CIFAR */
    int label;
    int w, h;     /* stored dimensions */
    size_t index; /* IDX/CIFAR: image index in the split's pixel block */
} ct_item;

struct ct_dataset {
    ct_data_info info;
    ct_data_opts opts; /* strings below are owned copies */
    char *root, *cache_dir;
    int n_classes;
    char **class_ids, **class_names;
    ct_item *items[2];
    size_t n[2];
    uint8_t *pixels[2]; /* IDX/CIFAR: (N, native_channels, nat_h, nat_w) uint8 */
    int nat_w, nat_h;
    atomic_size_t decode_failures;
    atomic_int printed; /* skipped paths printed so far */
};

/* ---- RNG: splitmix64, counter-derived per sample -------------------------------------------- */
typedef struct {
    uint64_t s;
} ct_rng;
uint64_t ct__mix64(uint64_t x);
uint64_t ct__rng_next(ct_rng *r);
double ct__rng_uniform(ct_rng *r);              /* [0, 1) */
int ct__rng_int(ct_rng *r, int lo, int hi);     /* uniform in [lo, hi] inclusive */
ct_rng ct__rng_for(uint64_t seed, uint64_t a, uint64_t b, uint64_t c);
/* Fisher-Yates shuffle of idx[0..n) */
void ct__shuffle(size_t *idx, size_t n, ct_rng *r);

/* ---- formats (idx.c, cifar.c, folder.c) ------------------------------------------------------ */
int ct__idx_detect(const char *root);
int ct__cifar_detect(const char *root);
int ct__folder_detect(const char *root);
CT_NODISCARD ct_status ct__idx_open(ct_dataset *ds);
CT_NODISCARD ct_status ct__cifar_open(ct_dataset *ds);
CT_NODISCARD ct_status ct__folder_open(ct_dataset *ds);
/* Decode item of a folder dataset into img (native channels converted to ds channels), going
 * through the presize cache when enabled. A corrupt file is CT_ERR_FORMAT. */
CT_NODISCARD ct_status ct__folder_decode(ct_dataset *ds, const ct_item *it, ct_img *img);
/* Check a file's header (stbi_info, dimension limits, JPEG end marker). CT_OK or CT_ERR_FORMAT
 * with the reason; w/h receive the dimensions. */
CT_NODISCARD ct_status ct__image_probe(const char *path, int *w, int *h);
/* Decode a file into a planar image with `channels` channels (probe first). */
CT_NODISCARD ct_status ct__image_decode(const char *path, int channels, ct_img *img);
/* Print a skipped/failed path (first few only) and count it when `count` is set. */
void ct__report_bad(ct_dataset *ds, const char *path, const char *why);

/* ---- dataset.c: the loader's unit of work --------------------------------------------------- */
/* Item order of an epoch: train shuffled by (seed, epoch), valid in stored order (malloc'd). */
size_t *ct__epoch_order(const ct_dataset *ds, ct_split split, uint64_t seed, int epoch);
/* ct_data_load_batch with a precomputed order */
CT_NODISCARD ct_status ct__load_batch(ct_dataset *ds, ct_split split, uint64_t seed, int epoch,
                                      size_t batch, int bs, const size_t *order, uint8_t *images,
                                      int32_t *labels, int *n);

/* ---- classnames.c ---------------------------------------------------------------------------- */
const char *ct__wnid_name(const char *wnid); /* Imagenette/ImageWoof; NULL when unknown */
extern const char *const ct__fashion_names[10];
extern const char *const ct__cifar_names[10];

/* ---- augment.c ------------------------------------------------------------------------------- */
/* Resample the box (x0, y0, bw, bh) of src to dst (c, dh, dw) with PIL's BILINEAR filter
 * (triangle, support widened by the scale when shrinking = antialiased). Taps are clipped to the
 * image, or with clip to the box itself (a crop then a resize, as fastai's crop_pad does). */
void ct__resize(const ct_img *src, double x0, double y0, double bw, double bh, int clip,
                uint8_t *dst, int dw, int dh);
/* fastai RandomResizedCrop box (train): 10 tries at area U(min_scale,1)*w*h and log-uniform ratio
 * in [3/4, 4/3], else a centre crop clipped to that ratio range. */
typedef struct {
    int x0, y0, w, h;
} ct_box;
ct_box ct__rrc_box(ct_rng *r, int w, int h, double min_scale);
/* Valid size before the centre crop: size + ceil(size*0.14/8)*8 */
int ct__valid_presize(int size);
/* fastai valid transform: squish to valid_presize(s) squared, centre-crop s; out (c, s, s) */
void ct__valid_crop(const ct_img *img, int s, uint8_t *out);
/* Apply the split's transform to img, writing (C, S, S) uint8 to out. Uses r on train only. */
CT_NODISCARD ct_status ct__transform(const ct_dataset *ds, ct_split split, ct_rng *r,
                                     const ct_img *img, uint8_t *out);
/* Convert img in place to c channels (1 <-> 3: luma (77 R + 150 G + 29 B) >> 8 or replicate). */
CT_NODISCARD ct_status ct__img_to_channels(ct_img *img, int c);
void ct__img_free(ct_img *img);

#endif
