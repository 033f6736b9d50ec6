/* ImageNet-layout image folders ROOT/{train,val}/<class>/<image> (JPEG, PNG, BMP): scanning with
 * header checks, stb_image decoding with size limits, the presize cache, the noisy-label CSV.
 * Never allocates from an unchecked header field; never aborts on a bad file. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stb_image.h>

#include "data/internal.h"

static int is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* root/<name> of the validation split: "val", else "valid"; 0 when neither exists */
static int valid_dir(const char *root, char *buf, size_t n)
{
    snprintf(buf, n, "%s/val", root);
    if (is_dir(buf)) return 1;
    snprintf(buf, n, "%s/valid", root);
    return is_dir(buf);
}

int ct__folder_detect(const char *root)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/train", root);
    return is_dir(p);
}

/* buf = a/b; 0 when it does not fit */
static int path_join(char *buf, size_t n, const char *a, const char *b)
{
    int k = snprintf(buf, n, "%s/%s", a, b);
    return k >= 0 && (size_t)k < n;
}

static int has_image_ext(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot) return 0;
    static const char *const exts[] = {".jpeg", ".jpg", ".png", ".bmp"};
    for (int i = 0; i < 4; i++)
        if (!strcasecmp(dot, exts[i])) return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct {
    char **v;
    size_t n;
} str_list;

static void list_free(str_list *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    l->v = NULL, l->n = 0;
}

/* Sorted names in dir (no dot files); want_dirs selects directories or image files. */
static ct_status list_dir(const char *dir, int want_dirs, str_list *out)
{
    out->v = NULL, out->n = 0;
    DIR *d = opendir(dir);
    if (!d) return ct_error(CT_ERR_IO, "%s: cannot read directory: %s", dir, strerror(errno));
    size_t cap = 0;
    struct dirent *e;
    char p[4096];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (!path_join(p, sizeof p, dir, e->d_name)) continue; /* absurdly long name */
        if (want_dirs ? !is_dir(p) : (is_dir(p) || !has_image_ext(e->d_name))) continue;
        if (out->n == cap) {
            cap = cap ? 2 * cap : 64;
            char **v = realloc(out->v, cap * sizeof(char *));
            if (!v) break;
            out->v = v;
        }
        if (!(out->v[out->n] = strdup(e->d_name))) break;
        out->n++;
    }
    int oom = e != NULL;
    closedir(d);
    if (oom) {
        list_free(out);
        return ct_error(CT_ERR_HOST_OOM, "folder.c: listing %s", dir);
    }
    if (out->n) qsort(out->v, out->n, sizeof(char *), cmp_str);
    return CT_OK;
}

/* ---- probing and decoding -------------------------------------------------------------------- */

/* 1 when `marker` occurs within the last `window` bytes of f */
static int tail_has(FILE *f, long size, const uint8_t *marker, int mlen, long window)
{
    uint8_t buf[4096];
    if (window > (long)sizeof buf) window = sizeof buf;
    if (window > size) window = size;
    if (fseek(f, size - window, SEEK_SET) != 0) return 0;
    size_t got = fread(buf, 1, (size_t)window, f);
    for (size_t i = 0; i + (size_t)mlen <= got; i++)
        if (!memcmp(buf + i, marker, (size_t)mlen)) return 1;
    return 0;
}

static int dims_too_big(int w, int h)
{
    return w <= 0 || h <= 0 || w > CT_IMG_MAX_SIDE || h > CT_IMG_MAX_SIDE ||
           (size_t)w * (size_t)h > CT_IMG_MAX_PIXELS;
}

/* width and height from a PNG's IHDR chunk (f at the start); 0 when there is none */
static int png_dims(FILE *f, int *w, int *h)
{
    uint8_t b[24];
    if (fread(b, 1, sizeof b, f) != sizeof b || memcmp(b + 12, "IHDR", 4)) return 0;
    *w = (int)((uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19]);
    *h = (int)((uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 | (uint32_t)b[22] << 8 | b[23]);
    return 1;
}

ct_status ct__image_probe(const char *path, int *w, int *h)
{
    FILE *f = fopen(path, "rb");
    if (!f) return ct_error(CT_ERR_FORMAT, "%s: cannot open: %s", path, strerror(errno));
    ct_status st = CT_OK;
    int comp;
    uint8_t magic[8] = {0};
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    if (size <= 0) CT_FAIL(CT_ERR_FORMAT, "%s: empty file", path);
    if (fread(magic, 1, sizeof magic, f) < 2) CT_FAIL(CT_ERR_FORMAT, "%s: too short for an image", path);
    rewind(f);
    const int is_png = magic[0] == 0x89 && magic[1] == 'P';
    int known = stbi_info_from_file(f, w, h, &comp);
    /* stb refuses oversized PNGs with a generic reason: read the declared size to name it */
    if (!known && !(is_png && png_dims(f, w, h) && dims_too_big(*w, *h)))
        CT_FAIL(CT_ERR_FORMAT, "%s: not a decodable image (%s)", path, stbi_failure_reason());
    if (dims_too_big(*w, *h))
        CT_FAIL(CT_ERR_FORMAT, "%s: declared size %ux%u exceeds the limit (%d per side, %zu pixels)",
                path, (unsigned)*w, (unsigned)*h, CT_IMG_MAX_SIDE, CT_IMG_MAX_PIXELS);
    /* stb_image decodes truncated JPEGs silently (PIL refuses them): require the end markers */
    static const uint8_t eoi[2] = {0xff, 0xd9}, iend[4] = {'I', 'E', 'N', 'D'};
    if (magic[0] == 0xff && magic[1] == 0xd8 && !tail_has(f, size, eoi, 2, 4096))
        CT_FAIL(CT_ERR_FORMAT, "%s: truncated JPEG (no end-of-image marker)", path);
    if (is_png && !tail_has(f, size, iend, 4, 64))
        CT_FAIL(CT_ERR_FORMAT, "%s: truncated PNG (no IEND chunk)", path);
fail:
    fclose(f);
    return st;
}

ct_status ct__image_decode(const char *path, int channels, ct_img *img)
{
    int w, h, n;
    img->px = NULL;
    ct_status st = ct__image_probe(path, &w, &h);
    if (st != CT_OK) return st;
    uint8_t *hwc = stbi_load(path, &w, &h, &n, channels);
    if (!hwc) return ct_error(CT_ERR_FORMAT, "%s: decode failed (%s)", path, stbi_failure_reason());
    size_t hw = (size_t)w * h;
    img->px = malloc(hw * (size_t)channels);
    if (!img->px) {
        stbi_image_free(hwc);
        return ct_error(CT_ERR_HOST_OOM, "%s: %zu bytes for the decoded image", path, hw * channels);
    }
    for (int c = 0; c < channels; c++)
        for (size_t i = 0; i < hw; i++) img->px[c * hw + i] = hwc[i * channels + c];
    stbi_image_free(hwc);
    img->w = w, img->h = h, img->c = channels;
    return CT_OK;
}

void ct__report_bad(ct_dataset *ds, const char *path, const char *why)
{
    int k = atomic_fetch_add(&ds->printed, 1);
    if (ds->opts.quiet) return;
    if (k < CT_DATA_PRINT_FIRST)
        fprintf(stderr, "cltrain: skipping bad image: %s\n", why && *why ? why : path);
    else if (k == CT_DATA_PRINT_FIRST)
        fprintf(stderr, "cltrain: (further bad images are counted, not printed)\n");
}

/* ---- presize cache ----------------------------------------------------------------------------- */

static const char cache_magic[8] = "CTPSZ01";

static void cache_name(const ct_dataset *ds, const char *path, char *buf, size_t n)
{
    struct stat sb;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const char *p = path; *p; p++) h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
    if (stat(path, &sb) == 0) {
        h = ct__mix64(h ^ (uint64_t)sb.st_mtim.tv_sec);
        h = ct__mix64(h ^ (uint64_t)sb.st_mtim.tv_nsec);
        h = ct__mix64(h ^ (uint64_t)sb.st_size);
    }
    h = ct__mix64(h ^ ((uint64_t)ds->opts.presize << 8 | (uint64_t)ds->info.channels));
    snprintf(buf, n, "%s/%016llx.ctp", ds->cache_dir, (unsigned long long)h);
}

static int cache_read(const char *file, int channels, ct_img *img)
{
    FILE *f = fopen(file, "rb");
    if (!f) return 0;
    char m[8];
    uint32_t d[3];
    int ok = fread(m, 1, 8, f) == 8 && !memcmp(m, cache_magic, 8) && fread(d, 4, 3, f) == 3 &&
             d[0] > 0 && d[1] > 0 && d[0] <= CT_IMG_MAX_SIDE && d[1] <= CT_IMG_MAX_SIDE &&
             (int)d[2] == channels;
    if (ok) {
        size_t bytes = (size_t)d[0] * d[1] * d[2];
        img->px = malloc(bytes);
        ok = img->px && fread(img->px, 1, bytes, f) == bytes;
        if (ok) img->w = (int)d[0], img->h = (int)d[1], img->c = (int)d[2];
        else ct__img_free(img);
    }
    fclose(f);
    return ok;
}

static void cache_write(const char *file, const ct_img *img)
{
    char tmp[4200];
    int k = snprintf(tmp, sizeof tmp, "%s.%ld.%p.tmp", file, (long)getpid(), (const void *)img);
    if (k < 0 || (size_t)k >= sizeof tmp) return;
    FILE *f = fopen(tmp, "wb");
    if (!f) return; /* cache problems never fail a run */
    uint32_t d[3] = {(uint32_t)img->w, (uint32_t)img->h, (uint32_t)img->c};
    size_t bytes = (size_t)img->w * img->h * img->c;
    int ok = fwrite(cache_magic, 1, 8, f) == 8 && fwrite(d, 4, 3, f) == 3 &&
             fwrite(img->px, 1, bytes, f) == bytes;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, file) != 0) remove(tmp);
}

/* Shrink img so its shorter side is `side` (no upscaling), aspect kept. */
static ct_status presize_img(ct_img *img, int side)
{
    int s = img->w < img->h ? img->w : img->h;
    if (s <= side) return CT_OK;
    int nw = img->w < img->h ? side : (int)((double)img->w * side / img->h + 0.5);
    int nh = img->w < img->h ? (int)((double)img->h * side / img->w + 0.5) : side;
    uint8_t *px = malloc((size_t)nw * nh * img->c);
    if (!px) return ct_error(CT_ERR_HOST_OOM, "folder.c: presize buffer %dx%d", nw, nh);
    ct__resize(img, 0, 0, img->w, img->h, 0, px, nw, nh);
    free(img->px);
    img->px = px, img->w = nw, img->h = nh;
    return CT_OK;
}

ct_status ct__folder_decode(ct_dataset *ds, const ct_item *it, ct_img *img)
{
    char cfile[4200];
    img->px = NULL;
    if (ds->opts.presize > 0) {
        cache_name(ds, it->path, cfile, sizeof cfile);
        if (cache_read(cfile, ds->info.channels, img)) return CT_OK;
    }
    ct_status st = ct__image_decode(it->path, ds->info.channels, img);
    if (st != CT_OK) return st;
    if (ds->opts.presize > 0) {
        if ((st = presize_img(img, ds->opts.presize)) != CT_OK) {
            ct__img_free(img);
            return st;
        }
        cache_write(cfile, img);
    }
    return CT_OK;
}

/* ---- scanning ---------------------------------------------------------------------------------- */

static int class_index(const ct_dataset *ds, const char *name)
{
    for (int c = 0; c < ds->n_classes; c++)
        if (!strcmp(ds->class_ids[c], name)) return c;
    return -1;
}

/* Add every image of dir (class cls) to split s; bad files are skipped or fatal (strict). */
static ct_status scan_class(ct_dataset *ds, int s, const char *dir, int cls, size_t *cap)
{
    str_list files;
    ct_status st = list_dir(dir, 0, &files);
    if (st != CT_OK) return st;
    size_t added = 0;
    char p[4096];
    for (size_t i = 0; i < files.n; i++) {
        if (!path_join(p, sizeof p, dir, files.v[i]))
            CT_FAIL(CT_ERR_INVALID_ARG, "%s/%s: path too long", dir, files.v[i]);
        int w = 0, h = 0;
        st = ct__image_probe(p, &w, &h);
        if (st != CT_OK) {
            if (ds->opts.strict) goto fail;
            ds->info.n_skipped++;
            ct__report_bad(ds, p, ct_last_error());
            ct_error_clear();
            st = CT_OK;
            continue;
        }
        if (ds->n[s] == *cap) {
            *cap = *cap ? 2 * *cap : 1024;
            ct_item *v = realloc(ds->items[s], *cap * sizeof(ct_item));
            if (!v) CT_FAIL(CT_ERR_HOST_OOM, "folder.c: %zu items", *cap);
            ds->items[s] = v;
        }
        char *path = strdup(p);
        if (!path) CT_FAIL(CT_ERR_HOST_OOM, "folder.c: path");
        ds->items[s][ds->n[s]++] = (ct_item){path, cls, w, h, 0};
        added++;
    }
    if (s == CT_SPLIT_TRAIN && added == 0)
        CT_FAIL(CT_ERR_FORMAT, "%s: class folder has no usable images (%zu files with an image "
                               "extension)", dir, files.n);
fail:
    list_free(&files);
    return st;
}

static ct_status scan_split(ct_dataset *ds, int s, const char *dir)
{
    str_list classes;
    ct_status st = list_dir(dir, 1, &classes);
    if (st != CT_OK) return st;
    size_t cap = 0;
    char p[4096];
    if (classes.n == 0) CT_FAIL(CT_ERR_FORMAT, "%s: no class folders", dir);
    if (s == CT_SPLIT_TRAIN) {
        ds->class_ids = calloc(classes.n, sizeof(char *));
        if (!ds->class_ids) CT_FAIL(CT_ERR_HOST_OOM, "folder.c: class table");
        for (size_t c = 0; c < classes.n; c++) ds->class_ids[c] = classes.v[c], classes.v[c] = NULL;
        ds->n_classes = (int)classes.n;
    }
    for (size_t c = 0; c < classes.n; c++) {
        const char *name = s == CT_SPLIT_TRAIN ? ds->class_ids[c] : classes.v[c];
        int cls = class_index(ds, name);
        if (!path_join(p, sizeof p, dir, name)) CT_FAIL(CT_ERR_INVALID_ARG, "%s/%s: path too long", dir, name);
        if (cls < 0) CT_FAIL(CT_ERR_FORMAT, "%s: class '%s' does not exist in the training split", p, name);
        CT_TRY(scan_class(ds, s, p, cls, &cap));
    }
    if (ds->n[s] == 0) CT_FAIL(CT_ERR_FORMAT, "%s: no usable images in this split", dir);
fail:
    list_free(&classes);
    return st;
}

/* ---- noisy-label CSV (fastai imagenette: path,noisy_labels_0,...,is_valid) ------------------- */

typedef struct {
    const char *rel;
    size_t i;
} rel_entry;

static int cmp_rel(const void *a, const void *b)
{
    return strcmp(((const rel_entry *)a)->rel, ((const rel_entry *)b)->rel);
}

/* field k of a comma-separated line (no quoting in fastai's CSVs), copied into buf */
static int csv_field(const char *line, int k, char *buf, size_t n)
{
    for (int i = 0; i < k; i++) {
        line = strchr(line, ',');
        if (!line) return 0;
        line++;
    }
    size_t len = strcspn(line, ",\r\n");
    if (len >= n) return 0;
    memcpy(buf, line, len);
    buf[len] = 0;
    return 1;
}

static ct_status apply_labels_csv(ct_dataset *ds, const char *csv, const char *col)
{
    FILE *f = fopen(csv, "r");
    if (!f) return ct_error(CT_ERR_IO, "%s: cannot open the labels CSV", csv);
    ct_status st = CT_OK;
    size_t rootlen = strlen(ds->root), n = ds->n[CT_SPLIT_TRAIN], matched = 0;
    rel_entry *tab = malloc((n ? n : 1) * sizeof *tab);
    char line[4096], field[1024], path[1024];
    int pcol = -1, lcol = -1;
    if (!tab) CT_FAIL(CT_ERR_HOST_OOM, "folder.c: CSV table");
    for (size_t i = 0; i < n; i++) tab[i] = (rel_entry){ds->items[0][i].path + rootlen + 1, i};
    qsort(tab, n, sizeof *tab, cmp_rel);
    if (!fgets(line, sizeof line, f)) CT_FAIL(CT_ERR_FORMAT, "%s: empty CSV", csv);
    for (int k = 0; csv_field(line, k, field, sizeof field); k++) {
        if (!strcmp(field, "path")) pcol = k;
        if (!strcmp(field, col)) lcol = k;
    }
    if (pcol < 0 || lcol < 0)
        CT_FAIL(CT_ERR_FORMAT, "%s: header lacks the column '%s'%s (header: %s)", csv,
                pcol < 0 ? "path" : col, "", strtok(line, "\r\n"));
    for (int row = 2; fgets(line, sizeof line, f); row++) {
        if (!csv_field(line, pcol, path, sizeof path) || !csv_field(line, lcol, field, sizeof field))
            continue;
        rel_entry key = {path, 0}, *hit = bsearch(&key, tab, n, sizeof *tab, cmp_rel);
        if (!hit) continue; /* validation rows and files skipped as corrupt */
        int cls = class_index(ds, field);
        if (cls < 0) CT_FAIL(CT_ERR_FORMAT, "%s:%d: label '%s' is not a class of %s", csv, row, field, ds->root);
        ds->items[0][hit->i].label = cls;
        matched++;
    }
    if (matched == 0) CT_FAIL(CT_ERR_FORMAT, "%s: no row names a training image of %s", csv, ds->root);
fail:
    free(tab);
    fclose(f);
    return st;
}

ct_status ct__folder_open(ct_dataset *ds)
{
    char tdir[4096], vdir[4096];
    snprintf(tdir, sizeof tdir, "%s/train", ds->root);
    if (!is_dir(tdir)) return ct_error(CT_ERR_NOT_FOUND, "%s: missing the train split folder", tdir);
    if (!valid_dir(ds->root, vdir, sizeof vdir))
        return ct_error(CT_ERR_NOT_FOUND, "%s/val: missing the validation split folder (val/ or valid/)",
                        ds->root);
    ct_status st = scan_split(ds, CT_SPLIT_TRAIN, tdir);
    if (st == CT_OK) st = scan_split(ds, CT_SPLIT_VALID, vdir);
    if (st == CT_OK && ds->opts.labels_csv)
        st = apply_labels_csv(ds, ds->opts.labels_csv, ds->opts.label_col ? ds->opts.label_col : "noisy_labels_0");
    ds->info.native_channels = 3;
    return st;
}
