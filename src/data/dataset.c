/* Dataset front end: format detection, options, class names, subsets, mean/std, synchronous batch
 * assembly (the loader's unit of work), full-decode verification and single-file loading.
 * Host only; all state lives in the ct_dataset; worker threads only read it (plus atomics). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/internal.h"

static const float imagenet_mean[3] = {0.485f, 0.456f, 0.406f};
static const float imagenet_std[3] = {0.229f, 0.224f, 0.225f};

ct_data_opts ct_data_opts_default(void)
{
    ct_data_opts o;
    memset(&o, 0, sizeof o);
    return o;
}

int ct_data_default_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 1 ? (int)n - 1 : 1;
}

static int dir_exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

void ct_data_free(ct_dataset *ds)
{
    if (!ds) return;
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; ds->items[s] && i < ds->n[s]; i++) free(ds->items[s][i].path);
        free(ds->items[s]);
        free(ds->pixels[s]);
    }
    for (int c = 0; c < ds->n_classes; c++) {
        if (ds->class_ids) free(ds->class_ids[c]);
        if (ds->class_names) free(ds->class_names[c]);
    }
    free(ds->class_ids);
    free(ds->class_names);
    free(ds->root);
    free(ds->cache_dir);
    free((char *)ds->opts.labels_csv);
    free((char *)ds->opts.label_col);
    free(ds);
}

/* Keep a fixed random subset of `limit` items of split s, in stored order. */
static ct_status apply_limit(ct_dataset *ds, int s, size_t limit)
{
    size_t n = ds->n[s];
    if (limit == 0 || limit >= n) return CT_OK;
    size_t *idx = malloc(n * sizeof(size_t));
    uint8_t *keep = calloc(n, 1);
    if (!idx || !keep) {
        free(idx), free(keep);
        return ct_error(CT_ERR_HOST_OOM, "dataset.c: subset of %zu items", n);
    }
    for (size_t i = 0; i < n; i++) idx[i] = i;
    ct_rng r = ct__rng_for(ds->opts.subset_seed, 0x5b5e7, (uint64_t)s, 0);
    ct__shuffle(idx, n, &r);
    for (size_t i = 0; i < limit; i++) keep[idx[i]] = 1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (keep[i])
            ds->items[s][k++] = ds->items[s][i];
        else
            free(ds->items[s][i].path);
    }
    ds->n[s] = k;
    free(idx), free(keep);
    return CT_OK;
}

/* Per-channel mean/std in [0,1] over the training pixels, in the model's channel layout. */
static void pixel_stats(ct_dataset *ds)
{
    const int cn = ds->info.native_channels, cm = ds->info.channels;
    const size_t hw = (size_t)ds->nat_w * ds->nat_h, n = ds->n[CT_SPLIT_TRAIN];
    double sum[3] = {0}, sq[3] = {0};
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = ds->pixels[0] + ds->items[0][i].index * hw * cn;
        for (size_t j = 0; j < hw; j++) {
            double v[3];
            if (cn == cm) {
                for (int c = 0; c < cm; c++) v[c] = p[c * hw + j];
            } else if (cm == 1) { /* same luma as ct__img_to_channels */
                v[0] = (77u * p[j] + 150u * p[hw + j] + 29u * p[2 * hw + j]) >> 8;
            } else {
                v[0] = v[1] = v[2] = p[j];
            }
            for (int c = 0; c < cm; c++) sum[c] += v[c], sq[c] += v[c] * v[c];
        }
    }
    double cnt = (double)n * hw;
    for (int c = 0; c < cm; c++) {
        double m = cnt > 0 ? sum[c] / cnt : 0, var = cnt > 0 ? sq[c] / cnt - m * m : 0;
        ds->info.mean[c] = (float)(m / 255.0);
        ds->info.std[c] = (float)(var > 0 ? sqrt(var) / 255.0 : 1.0);
    }
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static ct_status make_cache_dir(ct_dataset *ds, const char *want)
{
    char buf[4096];
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (want && *want)
        snprintf(buf, sizeof buf, "%s", want);
    else if (xdg && *xdg)
        snprintf(buf, sizeof buf, "%s/cltrain/presize", xdg);
    else
        snprintf(buf, sizeof buf, "%s/.cache/cltrain/presize", home && *home ? home : "/tmp");
    for (char *p = buf + 1; *p; p++) /* mkdir -p */
        if (*p == '/') {
            *p = 0;
            mkdir(buf, 0777);
            *p = '/';
        }
    mkdir(buf, 0777);
    if (!dir_exists(buf)) return ct_error(CT_ERR_IO, "%s: cannot create the presize cache folder", buf);
    ds->cache_dir = strdup(buf);
    return ds->cache_dir ? CT_OK : ct_error(CT_ERR_HOST_OOM, "dataset.c: cache path");
}

ct_status ct_data_open(ct_dataset **out, const ct_data_opts *opts)
{
    *out = NULL;
    ct_status st = CT_OK;
    ct_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) return ct_error(CT_ERR_HOST_OOM, "dataset.c: dataset");
    ds->opts = opts ? *opts : ct_data_opts_default();
    ds->opts.labels_csv = dup_or_null(ds->opts.labels_csv);
    ds->opts.label_col = dup_or_null(ds->opts.label_col);
    ds->opts.cache_dir = NULL; /* copied into ds->cache_dir by make_cache_dir */
    const char *def = getenv("CLTRAIN_DEFAULT_DATA"); /* packaging and tests may move it */
    if (!def || !*def) def = CT_DATA_DEFAULT_PATH;
    const int is_default = !(opts && opts->path && *opts->path);
    const char *path = is_default ? def : opts->path;
    atomic_init(&ds->decode_failures, 0);
    atomic_init(&ds->printed, 0);
    if (!(ds->root = strdup(path))) CT_FAIL(CT_ERR_HOST_OOM, "dataset.c: path");
    for (size_t l = strlen(ds->root); l > 1 && ds->root[l - 1] == '/'; l--) ds->root[l - 1] = 0;
    if (!dir_exists(ds->root)) {
        if (is_default)
            CT_FAIL(CT_ERR_NOT_FOUND,
                    "the default dataset Fashion-MNIST is not at %s: apt-get install "
                    "dataset-fashion-mnist, or pass --data PATH",
                    def);
        CT_FAIL(CT_ERR_NOT_FOUND, "%s: no such dataset folder", ds->root);
    }
    if (ct__idx_detect(ds->root)) {
        ds->info.format = CT_DATA_IDX, ds->info.format_name = "idx";
        CT_TRY(ct__idx_open(ds));
    } else if (ct__cifar_detect(ds->root)) {
        ds->info.format = CT_DATA_CIFAR10, ds->info.format_name = "cifar10";
        CT_TRY(ct__cifar_open(ds));
    } else if (ct__folder_detect(ds->root)) {
        ds->info.format = CT_DATA_FOLDER, ds->info.format_name = "folder";
        CT_TRY(ct__folder_open(ds));
    } else {
        CT_FAIL(CT_ERR_NOT_FOUND,
                "%s: not a dataset: expected train-images-idx3-ubyte[.gz] (IDX), data_batch_1.bin "
                "(CIFAR-10 binary) or train/ and val/ class folders (ImageNet layout)",
                ds->root);
    }
    ct_data_info *in = &ds->info;
    in->path = ds->root;
    in->small = in->format != CT_DATA_FOLDER;
    in->channels = ds->opts.channels ? ds->opts.channels : in->native_channels;
    if (in->channels != 1 && in->channels != 3)
        CT_FAIL(CT_ERR_INVALID_ARG, "data: channels must be 1 or 3, not %d", in->channels);
    in->size = ds->opts.size ? ds->opts.size : in->small ? ds->nat_w : 128;
    if (in->size < 1 || in->size > 4096)
        CT_FAIL(CT_ERR_INVALID_ARG, "data: size %d is outside 1..4096", in->size);
    in->n_classes = ds->n_classes;
    ds->class_names = calloc((size_t)ds->n_classes, sizeof(char *));
    if (!ds->class_names) CT_FAIL(CT_ERR_HOST_OOM, "dataset.c: names");
    for (int c = 0; c < ds->n_classes; c++) {
        const char *nm = in->format == CT_DATA_FOLDER ? ct__wnid_name(ds->class_ids[c]) : NULL;
        if (!(ds->class_names[c] = strdup(nm ? nm : ds->class_ids[c])))
            CT_FAIL(CT_ERR_HOST_OOM, "dataset.c: names");
    }
    if (in->small) {
        pixel_stats(ds);
    } else {
        for (int c = 0; c < in->channels; c++) {
            in->mean[c] = in->channels == 3 ? imagenet_mean[c] : 0.459f;
            in->std[c] = in->channels == 3 ? imagenet_std[c] : 0.226f;
        }
        if (ds->opts.presize > 0) CT_TRY(make_cache_dir(ds, opts->cache_dir));
    }
    CT_TRY(apply_limit(ds, CT_SPLIT_TRAIN, ds->opts.limit_train));
    CT_TRY(apply_limit(ds, CT_SPLIT_VALID, ds->opts.limit_valid));
    in->n_train = ds->n[0], in->n_valid = ds->n[1];
    *out = ds;
    return CT_OK;
fail:
    ct_data_free(ds);
    return st;
}

const ct_data_info *ct_data_get_info(const ct_dataset *ds)
{
    return &ds->info;
}

const char *ct_data_class_name(const ct_dataset *ds, int c)
{
    return c >= 0 && c < ds->n_classes ? ds->class_names[c] : "?";
}

const char *ct_data_class_id(const ct_dataset *ds, int c)
{
    return c >= 0 && c < ds->n_classes ? ds->class_ids[c] : "?";
}

size_t ct_data_count(const ct_dataset *ds, ct_split s)
{
    return ds->n[s != CT_SPLIT_TRAIN];
}

size_t ct_data_n_batches(const ct_dataset *ds, ct_split s, int bs)
{
    size_t n = ct_data_count(ds, s);
    if (bs <= 0) return 0;
    return s == CT_SPLIT_TRAIN ? n / (size_t)bs : (n + (size_t)bs - 1) / (size_t)bs;
}

int ct_data_item_label(const ct_dataset *ds, ct_split s, size_t i)
{
    return i < ct_data_count(ds, s) ? ds->items[s != 0][i].label : -1;
}

const char *ct_data_item_path(const ct_dataset *ds, ct_split s, size_t i)
{
    return i < ct_data_count(ds, s) ? ds->items[s != 0][i].path : NULL;
}

void ct_data_item_dims(const ct_dataset *ds, ct_split s, size_t i, int *w, int *h)
{
    const ct_item *it = i < ct_data_count(ds, s) ? &ds->items[s != 0][i] : NULL;
    *w = it ? it->w : 0;
    *h = it ? it->h : 0;
}

size_t ct_data_decode_failures(const ct_dataset *ds)
{
    return atomic_load(&((ct_dataset *)ds)->decode_failures);
}

/* The item's image in the model's channels (IDX/CIFAR: copied out of memory). */
static ct_status fetch(ct_dataset *ds, const ct_item *it, int s, ct_img *img)
{
    if (it->path) return ct__folder_decode(ds, it, img);
    const int cn = ds->info.native_channels;
    size_t bytes = (size_t)cn * ds->nat_w * ds->nat_h;
    *img = (ct_img){ds->nat_w, ds->nat_h, cn, malloc(bytes)};
    if (!img->px) return ct_error(CT_ERR_HOST_OOM, "dataset.c: image buffer");
    memcpy(img->px, ds->pixels[s] + it->index * bytes, bytes);
    ct_status st = ct__img_to_channels(img, ds->info.channels);
    if (st != CT_OK) ct__img_free(img);
    return st;
}

size_t *ct__epoch_order(const ct_dataset *ds, ct_split split, uint64_t seed, int epoch)
{
    size_t n = ct_data_count(ds, split);
    size_t *order = malloc((n ? n : 1) * sizeof(size_t));
    if (!order) return NULL;
    for (size_t i = 0; i < n; i++) order[i] = i;
    if (split == CT_SPLIT_TRAIN) {
        ct_rng r = ct__rng_for(seed, 0x5aff1e, (uint64_t)epoch, 0);
        ct__shuffle(order, n, &r);
    }
    return order;
}

ct_status ct__load_batch(ct_dataset *ds, ct_split split, uint64_t seed, int epoch, size_t batch,
                         int bs, const size_t *order, uint8_t *images, int32_t *labels, int *n)
{
    const int s = split != CT_SPLIT_TRAIN;
    size_t total = ds->n[s], first = batch * (size_t)bs;
    if (bs <= 0 || first >= total || batch >= ct_data_n_batches(ds, split, bs))
        return ct_error(CT_ERR_INVALID_ARG, "data: batch %zu of %zu (batch size %d) is out of range",
                        batch, ct_data_n_batches(ds, split, bs), bs);
    size_t cnt = total - first < (size_t)bs ? total - first : (size_t)bs;
    const size_t one = (size_t)ds->info.channels * ds->info.size * ds->info.size;
    for (size_t k = 0; k < cnt; k++) {
        size_t pos = first + k;
        const ct_item *it = &ds->items[s][order[pos]];
        ct_rng r = ct__rng_for(seed, (uint64_t)split + 1, (uint64_t)epoch, pos);
        ct_img img;
        uint8_t *dst = images + k * one;
        labels[k] = it->label;
        ct_status st = fetch(ds, it, s, &img);
        if (st == CT_ERR_FORMAT && !ds->opts.strict) {
            atomic_fetch_add(&ds->decode_failures, 1);
            ct__report_bad(ds, it->path, ct_last_error());
            ct_error_clear();
            memset(dst, 0, one);
            continue;
        }
        if (st != CT_OK) return st;
        st = ct__transform(ds, split, &r, &img, dst);
        ct__img_free(&img);
        if (st != CT_OK) return st;
    }
    *n = (int)cnt;
    return CT_OK;
}

ct_status ct_data_load_batch(ct_dataset *ds, ct_split split, uint64_t seed, int epoch, size_t batch,
                             int bs, uint8_t *images, int32_t *labels, int *n)
{
    size_t *order = ct__epoch_order(ds, split, seed, epoch);
    if (!order) return ct_error(CT_ERR_HOST_OOM, "dataset.c: epoch order");
    ct_status st = ct__load_batch(ds, split, seed, epoch, batch, bs, order, images, labels, n);
    free(order);
    return st;
}

/* ---- verification: decode everything on worker threads ---------------------------------------- */

typedef struct {
    ct_dataset *ds;
    atomic_size_t next, failed;
    atomic_int stop;
    pthread_mutex_t lock;
    ct_status st;
    char msg[1024];
} verify_job;

static void *verify_worker(void *arg)
{
    verify_job *j = arg;
    ct_dataset *ds = j->ds;
    size_t n0 = ds->n[0], total = n0 + ds->n[1];
    for (;;) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= total || atomic_load(&j->stop)) break;
        const ct_item *it = i < n0 ? &ds->items[0][i] : &ds->items[1][i - n0];
        ct_img img;
        ct_status st = ct__image_decode(it->path, ds->info.channels, &img);
        if (st == CT_OK) {
            ct__img_free(&img);
            continue;
        }
        atomic_fetch_add(&j->failed, 1);
        if (ds->opts.strict || st != CT_ERR_FORMAT) {
            pthread_mutex_lock(&j->lock);
            if (j->st == CT_OK) j->st = st, snprintf(j->msg, sizeof j->msg, "%s", ct_last_error());
            pthread_mutex_unlock(&j->lock);
            atomic_store(&j->stop, 1);
        } else {
            ct__report_bad(ds, it->path, ct_last_error());
        }
    }
    return NULL;
}

ct_status ct_data_verify(ct_dataset *ds, int workers, size_t *n_failed)
{
    *n_failed = 0;
    if (ds->info.format != CT_DATA_FOLDER) return CT_OK; /* IDX/CIFAR were fully read at open */
    if (workers <= 0) workers = ct_data_default_workers();
    verify_job j = {.ds = ds, .st = CT_OK};
    atomic_init(&j.next, 0);
    atomic_init(&j.failed, 0);
    atomic_init(&j.stop, 0);
    pthread_mutex_init(&j.lock, NULL);
    pthread_t th[64];
    int started = 0;
    for (; started < workers && started < 64; started++)
        if (pthread_create(&th[started], NULL, verify_worker, &j) != 0) break;
    if (started == 0) verify_worker(&j);
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
    pthread_mutex_destroy(&j.lock);
    *n_failed = atomic_load(&j.failed);
    if (j.st != CT_OK) return ct_error(j.st, "%s", j.msg);
    return CT_OK;
}

/* ---- single files (predict) ------------------------------------------------------------------- */

ct_status ct_image_load(const char *path, int channels, int size, int crop_xtra, uint8_t *out)
{
    if ((channels != 1 && channels != 3) || size < 1)
        return ct_error(CT_ERR_INVALID_ARG, "ct_image_load: channels %d, size %d", channels, size);
    ct_img img;
    ct_status st = ct__image_decode(path, channels, &img);
    if (st != CT_OK) return st;
    if (crop_xtra)
        ct__valid_crop(&img, size, out);
    else
        ct__resize(&img, 0, 0, img.w, img.h, 0, out, size, size);
    ct__img_free(&img);
    return CT_OK;
}
