/* Data path, host only: PIL-bilinear resampling against a double reference and PIL goldens,
 * fastai crops, IDX/CIFAR/folder readers on files crafted here (good and bad), the presize cache,
 * noisy-label CSV, subsets, and loader determinism across worker counts and resumes. */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <stb_image_write.h>

#include "cltrain/data.h"
#include "data/internal.h"
#include "util.h"

static char tmp_root[256];

/* ---- file helpers ----------------------------------------------------------------------------- */

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    return remove(p);
}

static const char *tpath(char *buf, const char *rel)
{
    if (snprintf(buf, 512, "%s/%s", tmp_root, rel) >= 512) exit(T_SETUP);
    return buf;
}

static void mkdirs(const char *rel)
{
    char p[512];
    tpath(p, rel);
    for (char *q = p + strlen(tmp_root) + 1; *q; q++)
        if (*q == '/') *q = 0, mkdir(p, 0777), *q = '/';
    mkdir(p, 0777);
}

static void write_bytes(const char *rel, const void *data, size_t n)
{
    char p[512];
    FILE *f = fopen(tpath(p, rel), "wb");
    if (!f || (n && fwrite(data, 1, n, f) != n)) fprintf(stderr, "SETUP: cannot write %s\n", p), exit(T_SETUP);
    fclose(f);
}

static uint8_t *read_bytes(const char *rel, size_t *n)
{
    char p[512];
    FILE *f = fopen(tpath(p, rel), "rb");
    if (!f) fprintf(stderr, "SETUP: cannot read %s\n", p), exit(T_SETUP);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    uint8_t *b = malloc(*n + 1);
    if (fread(b, 1, *n, f) != *n) exit(T_SETUP);
    fclose(f);
    return b;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* An IDX file: magic 0x08nn, dims, payload; gzip-compressed when gz. */
static void write_idx(const char *rel, int gz, uint32_t magic, const uint32_t *dims, int nd,
                      const uint8_t *data, size_t n)
{
    uint8_t hdr[16];
    put_be32(hdr, magic);
    for (int i = 0; i < nd; i++) put_be32(hdr + 4 + 4 * i, dims[i]);
    size_t hn = 4 + 4 * (size_t)nd;
    if (!gz) {
        uint8_t *all = malloc(hn + n);
        memcpy(all, hdr, hn);
        memcpy(all + hn, data, n);
        write_bytes(rel, all, hn + n);
        free(all);
        return;
    }
    char p[512];
    gzFile f = gzopen(tpath(p, rel), "wb");
    if (!f || gzwrite(f, hdr, (unsigned)hn) != (int)hn || (n && gzwrite(f, data, (unsigned)n) != (int)n))
        exit(T_SETUP);
    gzclose(f);
}

/* ---- resampling: an independent double reference ------------------------------------------- */

/* PIL BILINEAR over every source sample of the clip range (no support window) */
static void ref_weights(double x0, double bw, int dn, int i, int lo, int hi, double *w)
{
    double scale = bw / dn, fs = scale > 1 ? scale : 1, center = x0 + (i + 0.5) * scale, sum = 0;
    for (int j = lo; j < hi; j++) {
        double d = fabs(j + 0.5 - center) / fs;
        w[j] = d < 1 ? 1 - d : 0;
        sum += w[j];
    }
    for (int j = lo; j < hi; j++) w[j] /= sum;
}

static double *ref_resize(const ct_img *s, double x0, double y0, double bw, double bh, int clip,
                          int dw, int dh)
{
    int xl = clip ? (int)floor(x0) : 0, xh = clip ? (int)ceil(x0 + bw) : s->w;
    int yl = clip ? (int)floor(y0) : 0, yh = clip ? (int)ceil(y0 + bh) : s->h;
    double *out = malloc(sizeof(double) * (size_t)s->c * dw * dh);
    double *wx = calloc((size_t)s->w, sizeof(double)), *wy = calloc((size_t)s->h, sizeof(double));
    for (int y = 0; y < dh; y++) {
        ref_weights(y0, bh, dh, y, yl, yh, wy);
        for (int x = 0; x < dw; x++) {
            ref_weights(x0, bw, dw, x, xl, xh, wx);
            for (int c = 0; c < s->c; c++) {
                double acc = 0;
                for (int j = yl; j < yh; j++)
                    for (int i = xl; i < xh; i++)
                        acc += wy[j] * wx[i] * s->px[((size_t)c * s->h + j) * s->w + i];
                out[((size_t)c * dh + y) * dw + x] = acc;
            }
        }
    }
    free(wx), free(wy);
    return out;
}

static void check_resize(const char *what, const ct_img *s, double x0, double y0, double bw,
                         double bh, int clip, int dw, int dh)
{
    size_t n = (size_t)s->c * dw * dh;
    uint8_t *got = malloc(n);
    float *gf = malloc(n * sizeof(float));
    ct__resize(s, x0, y0, bw, bh, clip, got, dw, dh);
    double *ref = ref_resize(s, x0, y0, bw, bh, clip, dw, dh);
    for (size_t i = 0; i < n; i++) gf[i] = got[i];
    /* uint8 output: rounding of the exact value, so at most 0.5 away (plus float slack) */
    t_close(what, gf, ref, n, 0.5 + 1e-3, 0);
    free(got), free(gf), free(ref);
}

static ct_img random_img(t_rng *r, int w, int h, int c)
{
    ct_img m = {w, h, c, malloc((size_t)w * h * c)};
    for (size_t i = 0; i < (size_t)w * h * c; i++) m.px[i] = (uint8_t)(t_uniform(r) * 256);
    return m;
}

static void test_resize(t_rng *r)
{
    ct_img a = random_img(r, 37, 23, 3);
    check_resize("resize down 37x23->16x16", &a, 0, 0, 37, 23, 0, 16, 16);
    check_resize("resize up 37x23->50x41", &a, 0, 0, 37, 23, 0, 50, 41);
    check_resize("resize box clip", &a, 5, 3, 20, 15, 1, 13, 13);
    check_resize("resize box noclip", &a, 4.5, 2.25, 17.5, 11, 0, 7, 9);
    check_resize("resize 1 px", &a, 0, 0, 37, 23, 0, 1, 1);
    check_resize("resize strong shrink", &a, 0, 0, 37, 23, 0, 3, 2);
    ct_img big = random_img(r, 300, 7, 1); /* factor > 64: the tap count must grow */
    check_resize("resize 300->4", &big, 0, 0, 300, 7, 0, 4, 7);
    /* identity: a resize to the same size returns the input exactly */
    uint8_t *id = malloc(37 * 23 * 3);
    ct__resize(&a, 0, 0, 37, 23, 0, id, 37, 23);
    T_CHECK(!memcmp(id, a.px, 37 * 23 * 3), "identity resize changed pixels");
    free(id);
    ct__img_free(&a);
    ct__img_free(&big);
}

/* PIL goldens (tests/gen/gen_data.py): PIL rounds its intermediate pass to uint8, so +-1 */
static void test_pil_golden(void)
{
    t_golden *g = t_golden_load("data_resize.bin");
    if (!g) {
        T_CHECK(0, "data_resize.bin missing");
        return;
    }
    const t_tensor *src = t_golden_get(g, "src");
    ct_img img = {37, 23, 3, malloc(37 * 23 * 3)};
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 37 * 23; i++) img.px[c * 37 * 23 + i] = (uint8_t)src->data[i * 3 + c];
    struct {
        const char *name;
        int dw, dh, mode; /* 0 resize, 1 crop (5,3)-(25,18), 2 valid */
    } cases[] = {{"down16", 16, 16, 0}, {"up50x41", 50, 41, 0}, {"crop_resize13", 13, 13, 1},
                 {"valid16", 16, 16, 2}};
    for (int k = 0; k < 4; k++) {
        const t_tensor *t = t_golden_get(g, cases[k].name);
        int dw = cases[k].dw, dh = cases[k].dh;
        uint8_t *o = malloc((size_t)3 * dw * dh);
        if (cases[k].mode == 0) ct__resize(&img, 0, 0, 37, 23, 0, o, dw, dh);
        if (cases[k].mode == 1) ct__resize(&img, 5, 3, 20, 15, 1, o, dw, dh);
        if (cases[k].mode == 2) ct__valid_crop(&img, 16, o);
        float *hwc = malloc(sizeof(float) * 3 * dw * dh);
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < dw * dh; i++) hwc[i * 3 + c] = o[c * dw * dh + i];
        char what[64];
        snprintf(what, sizeof what, "PIL golden %s", cases[k].name);
        T_CHECK(t && t->numel == (size_t)3 * dw * dh, "%s shape", what);
        if (t) t_close_f(what, hwc, t->data, t->numel, 1.0, 0);
        free(o), free(hwc);
    }
    ct__img_free(&img);
    t_golden_free(g);
}

/* ---- crops and transforms ----------------------------------------------------------------------- */

static void test_crops(void)
{
    T_CHECK(ct__valid_presize(128) == 152 && ct__valid_presize(192) == 224 &&
                ct__valid_presize(256) == 296 && ct__valid_presize(28) == 36,
            "valid sizes %d %d %d %d", ct__valid_presize(128), ct__valid_presize(192),
            ct__valid_presize(256), ct__valid_presize(28));
    ct_rng r = {12345};
    int bad = 0, flipped = 0;
    for (int t = 0; t < 2000; t++) {
        int w = 20 + t % 300, h = 20 + (t * 7) % 250;
        ct_box b = ct__rrc_box(&r, w, h, 0.35);
        double area = (double)b.w * b.h / ((double)w * h), ratio = (double)b.w / b.h;
        int fits = b.x0 >= 0 && b.y0 >= 0 && b.x0 + b.w <= w && b.y0 + b.h <= h;
        /* rounding of sqrt() to whole pixels loosens the bounds a little */
        double slack = 2.5 / (b.w < b.h ? b.w : b.h);
        int ok = fits && area <= 1.0 + 1e-9 && ratio >= 0.75 * (1 - slack) &&
                 ratio <= 4.0 / 3 * (1 + slack) && (area >= 0.35 * (1 - 2 * slack) || b.w == w || b.h == h);
        if (!ok && bad++ < 3)
            fprintf(stderr, "rrc box %dx%d -> (%d,%d %dx%d) area %.3f ratio %.3f\n", w, h, b.x0,
                    b.y0, b.w, b.h, area, ratio);
    }
    T_CHECK(bad == 0, "%d RandomResizedCrop boxes out of bounds", bad);
    /* a strip no crop of the ratio range fits: fastai's centre-crop fallback */
    ct_box f = ct__rrc_box(&r, 1000, 50, 0.35);
    T_CHECK(f.w == 66 && f.h == 50 && f.x0 == 467 && f.y0 == 0, "fallback wide (%d,%d %dx%d)",
            f.x0, f.y0, f.w, f.h);
    f = ct__rrc_box(&r, 40, 900, 0.35);
    T_CHECK(f.w == 40 && f.h == 53 && f.x0 == 0 && f.y0 == 423, "fallback tall (%d,%d %dx%d)", f.x0,
            f.y0, f.w, f.h);

    /* train transform = resize of the RRC box, mirrored on a coin flip drawn after the box */
    t_rng tr;
    t_rng_seed(&tr, 3);
    ct_img img = random_img(&tr, 61, 45, 3);
    ct_dataset fake;
    memset(&fake, 0, sizeof fake);
    fake.info.size = 24, fake.info.channels = 3;
    const int s = 24;
    uint8_t out[3 * 24 * 24], ref[3 * 24 * 24];
    for (int t = 0; t < 200; t++) {
        ct_rng a = ct__rng_for(9, 1, 0, (uint64_t)t), b = a;
        T_OK(ct__transform(&fake, CT_SPLIT_TRAIN, &a, &img, out));
        ct_box bx = ct__rrc_box(&b, img.w, img.h, 0.35);
        int fl = ct__rng_uniform(&b) < 0.5;
        ct__resize(&img, bx.x0, bx.y0, bx.w, bx.h, 1, ref, s, s);
        if (fl)
            for (int row = 0; row < 3 * s; row++)
                for (int x = 0; x < s / 2; x++) {
                    uint8_t v = ref[row * s + x];
                    ref[row * s + x] = ref[row * s + s - 1 - x], ref[row * s + s - 1 - x] = v;
                }
        flipped += fl;
        if (memcmp(out, ref, sizeof out)) {
            T_CHECK(0, "train transform %d differs from box resize + flip", t);
            break;
        }
    }
    T_CHECK(flipped > 70 && flipped < 130, "flip rate %d/200 is not about one half", flipped);
    /* valid: the crop-only resample equals squish to P x P then a centre crop (reference) */
    T_OK(ct__transform(&fake, CT_SPLIT_VALID, NULL, &img, out));
    int p = ct__valid_presize(s), off = (p - s) / 2;
    double *full = ref_resize(&img, 0, 0, img.w, img.h, 0, p, p);
    float gf[3 * 24 * 24];
    double cr[3 * 24 * 24];
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < s; y++)
            for (int x = 0; x < s; x++) {
                cr[(c * s + y) * s + x] = full[((size_t)c * p + y + off) * p + x + off];
                gf[(c * s + y) * s + x] = out[(c * s + y) * s + x];
            }
    t_close("valid squish+centre crop", gf, cr, sizeof gf / sizeof gf[0], 0.5 + 1e-3, 0);
    free(full);

    /* small data with pad-and-crop: a reflect-padded shift, maybe mirrored */
    fake.info.small = 1, fake.info.size = 45, fake.opts.small_aug = 1;
    ct_img sq = random_img(&tr, 45, 45, 1);
    int mism = 0;
    for (int t = 0; t < 50; t++) {
        ct_rng a = ct__rng_for(4, 1, 0, (uint64_t)t), b = a;
        uint8_t o[45 * 45];
        T_OK(ct__transform(&fake, CT_SPLIT_TRAIN, &a, &sq, o));
        int ox = ct__rng_int(&b, 0, 8), oy = ct__rng_int(&b, 0, 8), fl = ct__rng_uniform(&b) < 0.5;
        for (int y = 0; y < 45; y++)
            for (int x = 0; x < 45; x++) {
                int sx = x + ox - 4, sy = y + oy - 4;
                sx = sx < 0 ? -sx : sx > 44 ? 88 - sx : sx;
                sy = sy < 0 ? -sy : sy > 44 ? 88 - sy : sy;
                int gx = fl ? 44 - x : x;
                if (o[y * 45 + gx] != sq.px[sy * 45 + sx]) mism++;
            }
    }
    T_CHECK(mism == 0, "pad-and-crop: %d pixels differ from the reflect-shift reference", mism);
    /* small data, valid: unchanged */
    uint8_t o2[45 * 45];
    T_OK(ct__transform(&fake, CT_SPLIT_VALID, NULL, &sq, o2));
    T_CHECK(!memcmp(o2, sq.px, sizeof o2), "small valid transform is not the identity");
    ct__img_free(&sq);
    ct__img_free(&img);
}

/* ---- IDX ---------------------------------------------------------------------------------------- */

static ct_status open_at(const char *rel, ct_dataset **ds, ct_data_opts *o)
{
    char p[512];
    ct_data_opts d = ct_data_opts_default();
    if (!o) o = &d;
    o->path = tpath(p, rel);
    o->quiet = 1;
    return ct_data_open(ds, o);
}

/* expect failure with st and a message containing `needle` */
static void expect_fail(const char *what, const char *rel, ct_data_opts *o, ct_status want,
                        const char *needle)
{
    ct_dataset *ds = NULL;
    ct_status st = open_at(rel, &ds, o);
    T_CHECK(st == want && strstr(ct_last_error(), needle), "%s: got %s '%s', want %s with '%s'",
            what, ct_status_str(st), ct_last_error(), ct_status_str(want), needle);
    T_CHECK(ds == NULL, "%s: a dataset came back on failure", what);
    ct_data_free(ds);
}

static void make_idx(const char *dir, int gz, int ntr, int nte, int h, int w, uint8_t **pix_out)
{
    char rel[256];
    mkdirs(dir);
    static const char *const pre[2] = {"train", "t10k"};
    for (int s = 0; s < 2; s++) {
        int n = s ? nte : ntr;
        uint8_t *px = malloc((size_t)n * h * w), *lb = malloc((size_t)n);
        for (int i = 0; i < n * h * w; i++) px[i] = (uint8_t)(i * 37 + s * 11);
        for (int i = 0; i < n; i++) lb[i] = (uint8_t)(i % 3);
        uint32_t di[3] = {(uint32_t)n, (uint32_t)h, (uint32_t)w}, dl[1] = {(uint32_t)n};
        snprintf(rel, sizeof rel, "%s/%s-images-idx3-ubyte%s", dir, pre[s], gz ? ".gz" : "");
        write_idx(rel, gz, 0x803, di, 3, px, (size_t)n * h * w);
        snprintf(rel, sizeof rel, "%s/%s-labels-idx1-ubyte%s", dir, pre[s], gz ? ".gz" : "");
        write_idx(rel, gz, 0x801, dl, 1, lb, (size_t)n);
        if (s == 0 && pix_out) *pix_out = px;
        else free(px);
        free(lb);
    }
}

static void test_idx(void)
{
    for (int gz = 0; gz < 2; gz++) {
        const char *dir = gz ? "idx_gz" : "idx_raw";
        uint8_t *px;
        make_idx(dir, gz, 20, 7, 4, 5, &px);
        ct_dataset *ds;
        ct_status st = open_at(dir, &ds, NULL);
        T_CHECK(st == CT_OK, "open %s: %s", dir, ct_last_error());
        if (st != CT_OK) {
            free(px);
            continue;
        }
        const ct_data_info *in = ct_data_get_info(ds);
        T_CHECK(in->format == CT_DATA_IDX && in->n_train == 20 && in->n_valid == 7 &&
                    in->n_classes == 3 && in->channels == 1 && in->size == 5 && in->small,
                "idx info: fmt %d n %zu/%zu classes %d ch %d size %d", in->format, in->n_train,
                in->n_valid, in->n_classes, in->channels, in->size);
        double sum = 0, sq = 0;
        for (int i = 0; i < 20 * 20; i++) sum += px[i], sq += (double)px[i] * px[i];
        double m = sum / 400, sd = sqrt(sq / 400 - m * m);
        T_CHECK(fabs(in->mean[0] - m / 255) < 1e-5 && fabs(in->std[0] - sd / 255) < 1e-5,
                "idx mean/std %g %g want %g %g", in->mean[0], in->std[0], m / 255, sd / 255);
        for (size_t i = 0; i < 20; i++)
            T_CHECK(ct_data_item_label(ds, CT_SPLIT_TRAIN, i) == (int)(i % 3), "label %zu", i);
        ct_data_free(ds);
        free(px);
    }
    /* square IDX: valid batches are the stored pixels exactly */
    make_idx("idx_sq", 1, 10, 6, 6, 6, NULL);
    ct_dataset *ds;
    T_OK(open_at("idx_sq", &ds, NULL));
    if (ds) {
        uint8_t img[4 * 36];
        int32_t lab[4];
        int n = 0;
        T_OK(ct_data_load_batch(ds, CT_SPLIT_VALID, 1, 0, 1, 3, img, lab, &n));
        int ok = n == 3;
        for (int k = 0; k < 3 && ok; k++) {
            ok = lab[k] == (3 + k) % 3;
            for (int j = 0; j < 36; j++) ok = ok && img[k * 36 + j] == (uint8_t)(((3 + k) * 36 + j) * 37 + 11);
        }
        T_CHECK(ok, "idx valid batch 1 content (n %d)", n);
        T_OK(ct_data_load_batch(ds, CT_SPLIT_VALID, 1, 0, 1, 5, img, lab, &n));
        T_CHECK(n == 1, "last valid batch has %d items, want 1 (6 = 5 + 1)", n);
        T_CHECK(ct_data_n_batches(ds, CT_SPLIT_TRAIN, 4) == 2 && ct_data_n_batches(ds, CT_SPLIT_VALID, 4) == 2,
                "n_batches train %zu valid %zu", ct_data_n_batches(ds, CT_SPLIT_TRAIN, 4),
                ct_data_n_batches(ds, CT_SPLIT_VALID, 4));
        T_CHECK(ct_data_load_batch(ds, CT_SPLIT_TRAIN, 1, 0, 2, 4, img, lab, &n) == CT_ERR_INVALID_ARG,
                "train batch past drop_last accepted");
        ct_data_free(ds);
        /* 1 -> 3 channels replicates the gray plane */
        ct_data_opts o = ct_data_opts_default();
        o.channels = 3;
        T_OK(open_at("idx_sq", &ds, &o));
        if (ds) {
            uint8_t im3[2 * 108];
            T_OK(ct_data_load_batch(ds, CT_SPLIT_VALID, 1, 0, 0, 2, im3, lab, &n));
            T_CHECK(!memcmp(im3, im3 + 36, 36) && !memcmp(im3, im3 + 72, 36) &&
                        ct_data_get_info(ds)->mean[2] == ct_data_get_info(ds)->mean[0],
                    "gray->RGB planes differ");
            ct_data_free(ds);
        }
    }
    /* bad IDX files, each crafted */
    uint8_t px[3 * 16] = {0}, lb[3] = {0, 1, 2};
    uint32_t di[3] = {3, 4, 4}, dl[1] = {3}, dl2[1] = {2};
    make_idx("idx_magic", 0, 3, 3, 4, 4, NULL);
    write_idx("idx_magic/train-images-idx3-ubyte", 0, 0x801, di, 3, px, sizeof px);
    expect_fail("IDX wrong magic", "idx_magic", NULL, CT_ERR_FORMAT, "bad IDX magic");
    make_idx("idx_trunc", 0, 3, 3, 4, 4, NULL);
    write_idx("idx_trunc/train-images-idx3-ubyte", 0, 0x803, di, 3, px, sizeof px - 5);
    expect_fail("IDX truncated", "idx_trunc", NULL, CT_ERR_FORMAT, "truncated IDX file");
    make_idx("idx_truncgz", 1, 3, 3, 4, 4, NULL);
    write_idx("idx_truncgz/t10k-labels-idx1-ubyte.gz", 1, 0x801, dl, 1, lb, 1);
    expect_fail("IDX truncated gz", "idx_truncgz", NULL, CT_ERR_FORMAT, "t10k-labels-idx1-ubyte.gz");
    make_idx("idx_count", 0, 3, 3, 4, 4, NULL);
    write_idx("idx_count/train-labels-idx1-ubyte", 0, 0x801, dl2, 1, lb, 2);
    expect_fail("IDX count mismatch", "idx_count", NULL, CT_ERR_FORMAT, "holds 3 images but");
    make_idx("idx_nolab", 0, 3, 3, 4, 4, NULL);
    char p[512];
    remove(tpath(p, "idx_nolab/t10k-labels-idx1-ubyte"));
    expect_fail("IDX missing labels", "idx_nolab", NULL, CT_ERR_NOT_FOUND, "t10k-labels-idx1-ubyte");
    make_idx("idx_empty", 0, 3, 3, 4, 4, NULL);
    write_bytes("idx_empty/train-images-idx3-ubyte", "", 0);
    expect_fail("IDX zero-byte", "idx_empty", NULL, CT_ERR_FORMAT, "train-images-idx3-ubyte");
    uint32_t huge[3] = {0x7fffffff, 4000, 4000};
    make_idx("idx_huge", 0, 3, 3, 4, 4, NULL);
    write_idx("idx_huge/train-images-idx3-ubyte", 0, 0x803, huge, 3, px, 0);
    expect_fail("IDX huge declared size", "idx_huge", NULL, CT_ERR_OVERFLOW, "more than 16 GiB");
    expect_fail("no such folder", "does_not_exist", NULL, CT_ERR_NOT_FOUND, "no such dataset folder");
    mkdirs("not_a_dataset");
    expect_fail("unknown layout", "not_a_dataset", NULL, CT_ERR_NOT_FOUND, "not a dataset");
}

/* ---- CIFAR-10 ----------------------------------------------------------------------------------- */

static void write_cifar(const char *rel, int n, int seed)
{
    uint8_t *b = malloc((size_t)n * 3073);
    for (int i = 0; i < n; i++) {
        b[i * 3073] = (uint8_t)((i + seed) % 10);
        for (int j = 0; j < 3072; j++) b[i * 3073 + 1 + j] = (uint8_t)(j * 7 + i * 13 + seed);
    }
    write_bytes(rel, b, (size_t)n * 3073);
    free(b);
}

static void test_cifar(void)
{
    mkdirs("cifar/cifar-10-batches-bin");
    write_cifar("cifar/cifar-10-batches-bin/data_batch_1.bin", 12, 0);
    write_cifar("cifar/cifar-10-batches-bin/data_batch_2.bin", 3, 5);
    write_cifar("cifar/cifar-10-batches-bin/test_batch.bin", 5, 1);
    const char meta[] = "plane\ncar\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n";
    write_bytes("cifar/cifar-10-batches-bin/batches.meta.txt", meta, sizeof meta - 1);
    ct_dataset *ds;
    ct_status st = open_at("cifar", &ds, NULL);
    T_CHECK(st == CT_OK, "open cifar: %s", ct_last_error());
    if (st == CT_OK) {
        const ct_data_info *in = ct_data_get_info(ds);
        T_CHECK(in->format == CT_DATA_CIFAR10 && in->n_train == 15 && in->n_valid == 5 &&
                    in->n_classes == 10 && in->channels == 3 && in->size == 32,
                "cifar info: n %zu/%zu classes %d", in->n_train, in->n_valid, in->n_classes);
        T_CHECK(!strcmp(ct_data_class_name(ds, 1), "car"), "cifar meta name '%s'",
                ct_data_class_name(ds, 1));
        T_CHECK(ct_data_item_label(ds, CT_SPLIT_TRAIN, 13) == 6, "label of item 13 (batch 2)");
        uint8_t img[2 * 3072];
        int32_t lab[2];
        int n;
        T_OK(ct_data_load_batch(ds, CT_SPLIT_VALID, 0, 0, 1, 2, img, lab, &n));
        int ok = n == 2 && lab[0] == 3 && lab[1] == 4;
        for (int k = 0; k < 2; k++)
            for (int j = 0; j < 3072; j++) ok = ok && img[k * 3072 + j] == (uint8_t)(j * 7 + (2 + k) * 13 + 1);
        T_CHECK(ok, "cifar valid batch content (planar RGB as stored)");
        ct_data_free(ds);
        /* 3 -> 1 channel: the luma the stats use */
        ct_data_opts o = ct_data_opts_default();
        o.channels = 1;
        T_OK(open_at("cifar", &ds, &o));
        if (ds) {
            T_OK(ct_data_load_batch(ds, CT_SPLIT_VALID, 0, 0, 0, 1, img, lab, &n));
            int j = 100;
            uint8_t r = (uint8_t)(j * 7 + 1), g = (uint8_t)((1024 + j) * 7 + 1), b = (uint8_t)((2048 + j) * 7 + 1);
            T_CHECK(img[j] == (uint8_t)((77u * r + 150u * g + 29u * b) >> 8), "RGB->gray luma");
            ct_data_free(ds);
        }
    }
    mkdirs("cifar_bad");
    write_cifar("cifar_bad/data_batch_1.bin", 2, 0);
    write_cifar("cifar_bad/test_batch.bin", 2, 0);
    uint8_t junk[3073 + 100] = {0};
    write_bytes("cifar_bad/test_batch.bin", junk, sizeof junk);
    expect_fail("CIFAR wrong size", "cifar_bad", NULL, CT_ERR_FORMAT, "test_batch.bin");
    char p[512];
    remove(tpath(p, "cifar_bad/test_batch.bin"));
    expect_fail("CIFAR missing test", "cifar_bad", NULL, CT_ERR_NOT_FOUND, "test_batch.bin");
}

/* ---- image folders ------------------------------------------------------------------------------ */

/* copy a file, dropping its last `drop` bytes */
static void copy_file(const char *from, const char *to, size_t drop)
{
    size_t n;
    uint8_t *b = read_bytes(from, &n);
    write_bytes(to, b, drop < n ? n - drop : 0);
    free(b);
}

/* A PNG header that declares w x h (valid signature, IHDR with CRC, no data) */
static void write_png_header(const char *rel, uint32_t w, uint32_t h)
{
    uint8_t b[8 + 25 + 12] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    put_be32(b + 8, 13);
    memcpy(b + 12, "IHDR", 4);
    put_be32(b + 16, w);
    put_be32(b + 20, h);
    b[24] = 8, b[25] = 2; /* 8-bit RGB */
    put_be32(b + 29, (uint32_t)crc32(0, b + 12, 17));
    put_be32(b + 33, 0); /* IEND: length, type, CRC */
    memcpy(b + 37, "IEND", 4);
    put_be32(b + 41, (uint32_t)crc32(0, b + 37, 4));
    write_bytes(rel, b, sizeof b);
}

static void test_folders(void)
{
    char p[512], q[512];
    T_OK(ct_data_make_shapes(tpath(p, "shapes"), 40, 20, 32, 5));
    /* extra good files: a grayscale PNG and an RGBA PNG join class 0 of train */
    uint8_t g[20 * 10], rgba[12 * 12 * 4];
    for (int i = 0; i < 200; i++) g[i] = (uint8_t)(i * 3);
    for (int i = 0; i < 12 * 12 * 4; i++) rgba[i] = (uint8_t)(i * 5);
    stbi_write_png(tpath(p, "shapes/train/blue_circle/gray.png"), 20, 10, 1, g, 20);
    stbi_write_png(tpath(p, "shapes/train/blue_circle/alpha.png"), 12, 12, 4, rgba, 48);
    stbi_write_bmp(tpath(p, "shapes/train/blue_circle/bitmap.bmp"), 12, 12, 4, rgba);
    write_bytes("shapes/train/blue_circle/notes.txt", "not an image", 12); /* ignored */
    /* bad files, one per case */
    write_bytes("shapes/train/red_ring/zero.jpg", "", 0);
    copy_file("shapes/train/red_ring/00014.jpg", "shapes/train/red_ring/trunc.jpg", 200);
    copy_file("shapes/train/red_ring/00004.png", "shapes/train/red_ring/trunc.png", 100);
    write_bytes("shapes/train/red_ring/text.png", "hello, I am not a PNG at all\n", 29);
    write_png_header("shapes/train/red_ring/huge.png", 30000, 30000); /* stb refuses it too */
    write_png_header("shapes/train/red_ring/big.png", 9000, 9000);    /* only our limit does */
    ct_dataset *ds;
    ct_status st = open_at("shapes", &ds, NULL);
    T_CHECK(st == CT_OK, "open shapes: %s", ct_last_error());
    if (st == CT_OK) {
        const ct_data_info *in = ct_data_get_info(ds);
        T_CHECK(in->format == CT_DATA_FOLDER && in->n_classes == 10 && in->n_train == 43 &&
                    in->n_valid == 20 && in->n_skipped == 6 && in->size == 128 && in->channels == 3,
                "folder info: classes %d n %zu/%zu skipped %zu size %d", in->n_classes, in->n_train,
                in->n_valid, in->n_skipped, in->size);
        T_CHECK(!strcmp(ct_data_class_id(ds, 0), "blue_circle") &&
                    !strcmp(ct_data_class_name(ds, 9), "red_triangle"),
                "class names %s %s", ct_data_class_id(ds, 0), ct_data_class_name(ds, 9));
        T_CHECK(fabsf(in->mean[0] - 0.485f) < 1e-6f && fabsf(in->std[2] - 0.225f) < 1e-6f,
                "ImageNet stats for folders");
        ct_data_free(ds);
    }
    /* strict: the first bad file is an error naming it */
    ct_data_opts o = ct_data_opts_default();
    o.strict = 1;
    expect_fail("strict bad image", "shapes", &o, CT_ERR_FORMAT, "shapes/train/red_ring/");
    /* every bad case alone gives its own reason */
    struct {
        const char *file, *why;
    } cases[] = {{"zero.jpg", "empty file"},
                 {"trunc.jpg", "truncated JPEG"},
                 {"trunc.png", "truncated PNG"},
                 {"text.png", "not a decodable image"},
                 {"huge.png", "exceeds the limit"},
                 {"big.png", "9000x9000 exceeds the limit"}};
    for (int k = 0; k < 6; k++) {
        int w, h;
        snprintf(q, sizeof q, "shapes/train/red_ring/%s", cases[k].file);
        st = ct__image_probe(tpath(p, q), &w, &h);
        T_CHECK(st == CT_ERR_FORMAT && strstr(ct_last_error(), cases[k].why) &&
                    strstr(ct_last_error(), cases[k].file),
                "probe %s: %s '%s'", cases[k].file, ct_status_str(st), ct_last_error());
        ct_img im;
        T_CHECK(ct__image_decode(p, 3, &im) == CT_ERR_FORMAT && im.px == NULL, "decode %s", cases[k].file);
    }
    /* structural problems */
    T_OK(ct_data_make_shapes(tpath(p, "s_empty"), 10, 10, 16, 1));
    mkdirs("s_empty/train/zzz_empty");
    expect_fail("empty class folder", "s_empty", NULL, CT_ERR_FORMAT, "s_empty/train/zzz_empty");
    T_OK(ct_data_make_shapes(tpath(p, "s_nosplit"), 10, 10, 16, 1));
    snprintf(q, sizeof q, "rm -rf '%s/s_nosplit/val'", tmp_root);
    T_CHECK(system(q) == 0, "rm val");
    expect_fail("missing split", "s_nosplit", NULL, CT_ERR_NOT_FOUND, "validation split");
    T_OK(ct_data_make_shapes(tpath(p, "s_extra"), 10, 10, 16, 1));
    mkdirs("s_extra/val/unknown_class");
    expect_fail("val class unknown", "s_extra", NULL, CT_ERR_FORMAT, "unknown_class");
    /* Imagenette/ImageWoof wnids get their names; "valid/" is accepted for the split */
    const char *wn[2] = {"n01440764", "n02088364"};
    for (int k = 0; k < 2; k++)
        for (int sp = 0; sp < 2; sp++) {
            snprintf(q, sizeof q, "wnid/%s/%s", sp ? "valid" : "train", wn[k]);
            mkdirs(q);
            snprintf(q + strlen(q), sizeof q - strlen(q), "/x.png");
            copy_file("shapes/train/red_ring/00004.png", q, 0);
        }
    T_OK(open_at("wnid", &ds, NULL));
    if (ds) {
        T_CHECK(!strcmp(ct_data_class_name(ds, 0), "tench") && !strcmp(ct_data_class_name(ds, 1), "beagle") &&
                    !strcmp(ct_data_class_id(ds, 1), "n02088364") && ct_data_get_info(ds)->n_valid == 2,
                "wnid names '%s' '%s'", ct_data_class_name(ds, 0), ct_data_class_name(ds, 1));
        ct_data_free(ds);
    }
    /* gray and alpha images load as RGB; channels 1 loads gray */
    int w, h;
    T_OK(ct__image_probe(tpath(p, "shapes/train/blue_circle/gray.png"), &w, &h));
    ct_img im;
    T_OK(ct__image_decode(p, 3, &im));
    if (im.px) {
        T_CHECK(im.c == 3 && w == 20 && h == 10 && !memcmp(im.px, im.px + 200, 200) &&
                    im.px[399] == g[199],
                "gray PNG as RGB");
        ct__img_free(&im);
    }
    T_OK(ct__image_decode(tpath(p, "shapes/train/blue_circle/alpha.png"), 3, &im));
    if (im.px) {
        T_CHECK(im.c == 3 && im.px[0] == rgba[0] && im.px[144] == rgba[1] && im.px[288] == rgba[2],
                "RGBA PNG drops alpha");
        ct__img_free(&im);
    }
    T_OK(ct__image_decode(tpath(p, "shapes/train/blue_circle/alpha.png"), 1, &im));
    if (im.px) {
        T_CHECK(im.c == 1, "RGBA as gray");
        ct__img_free(&im);
    }
}

/* Mutated and cut copies of a PNG and a JPEG: each decodes or is a clean CT_ERR_FORMAT. */
static void test_mutants(void)
{
    const char *src[2] = {"shapes/train/red_ring/00004.png", "shapes/train/red_ring/00014.jpg"};
    char p[512];
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    int other = 0, decoded = 0;
    for (int f = 0; f < 2; f++) {
        size_t n;
        uint8_t *b = read_bytes(src[f], &n), *m = malloc(n);
        for (int it = 0; it < 150; it++) {
            memcpy(m, b, n);
            for (int j = 0; j <= it % 6; j++) {
                s ^= s << 13, s ^= s >> 7, s ^= s << 17;
                m[s % n] = (uint8_t)(s >> 40);
            }
            write_bytes("mutant.img", m, it % 4 == 0 ? (size_t)(s % n) : n);
            ct_img img;
            ct_status st = ct__image_decode(tpath(p, "mutant.img"), 3, &img);
            if (st == CT_OK) {
                decoded++;
                other += img.c != 3 || img.w <= 0 || img.h <= 0;
                ct__img_free(&img);
            } else {
                other += st != CT_ERR_FORMAT;
            }
        }
        free(b), free(m);
    }
    T_CHECK(other == 0, "%d mutants gave an error other than CT_ERR_FORMAT or bad dims", other);
    T_CHECK(decoded < 300, "every mutant decoded: the checks see nothing");
}

/* ---- decode failures during loading, presize cache, predict path ------------------------------- */

/* a PNG whose header and IEND are intact but whose zlib stream is garbage */
static void write_corrupt_png(const char *from, const char *to)
{
    size_t n;
    uint8_t *b = read_bytes(from, &n);
    for (size_t i = 8; i + 8 < n; i++)
        if (!memcmp(b + i, "IDAT", 4)) {
            uint32_t len = (uint32_t)b[i - 4] << 24 | (uint32_t)b[i - 3] << 16 | (uint32_t)b[i - 2] << 8 | b[i - 1];
            for (uint32_t k = 0; k < len && i + 4 + k < n; k++) b[i + 4 + k] = 0xff;
            break;
        }
    write_bytes(to, b, n);
    free(b);
}

static size_t count_files(const char *rel, const char *suffix)
{
    char p[512], cmd[700];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -c '%s$'", tpath(p, rel), suffix);
    FILE *f = popen(cmd, "r");
    size_t n = 0;
    if (f && fscanf(f, "%zu", &n) != 1) n = 0;
    if (f) pclose(f);
    return n;
}

static void test_decode_fail_and_cache(void)
{
    char p[512], q[512];
    T_OK(ct_data_make_shapes(tpath(p, "s_dec"), 20, 10, 24, 2));
    write_corrupt_png("s_dec/train/red_ring/00004.png", "s_dec/train/red_ring/00004.png");
    ct_dataset *ds;
    ct_data_opts o = ct_data_opts_default();
    o.size = 16;
    T_OK(open_at("s_dec", &ds, &o));
    if (ds) {
        T_CHECK(ct_data_get_info(ds)->n_skipped == 0, "corrupt zlib passes the header check");
        size_t failed = 99;
        T_OK(ct_data_verify(ds, 2, &failed));
        T_CHECK(failed == 1, "verify found %zu failed decodes, want 1", failed);
        uint8_t img[20 * 3 * 256];
        int32_t lab[20];
        int n;
        T_OK(ct_data_load_batch(ds, CT_SPLIT_TRAIN, 3, 0, 0, 20, img, lab, &n));
        T_CHECK(ct_data_decode_failures(ds) == 1, "decode failures %zu", ct_data_decode_failures(ds));
        int zero_imgs = 0;
        for (int k = 0; k < n; k++) {
            int z = 1;
            for (int j = 0; j < 768; j++) z = z && img[k * 768 + j] == 0;
            zero_imgs += z;
        }
        T_CHECK(zero_imgs == 1, "%d zero-filled images, want 1", zero_imgs);
        ct_data_free(ds);
    }
    o.strict = 1;
    T_OK(open_at("s_dec", &ds, &o));
    if (ds) {
        ct_loader_opts lo = {.batch_size = 20, .workers = 2, .seed = 3};
        ct_loader *ld;
        T_OK(ct_loader_create(&ld, ds, &lo));
        T_OK(ct_loader_start(ld, CT_SPLIT_TRAIN, 0, 0));
        const ct_batch *b;
        ct_status st = ct_loader_next(ld, &b);
        T_CHECK(st == CT_ERR_FORMAT && strstr(ct_last_error(), "00004.png") && !b,
                "strict loader error: %s '%s'", ct_status_str(st), ct_last_error());
        ct_loader_free(ld);
        size_t failed;
        st = ct_data_verify(ds, 2, &failed);
        T_CHECK(st == CT_ERR_FORMAT && strstr(ct_last_error(), "00004.png"), "strict verify");
        ct_data_free(ds);
    }

    /* presize: decoded once into the cache (shorter side 20), then read back identically */
    T_OK(ct_data_make_shapes(tpath(p, "s_pre"), 20, 10, 32, 3));
    mkdirs("cache");
    o = ct_data_opts_default();
    o.size = 16, o.presize = 20, o.cache_dir = tpath(q, "cache");
    T_OK(open_at("s_pre", &ds, &o));
    if (ds) {
        uint8_t a[10 * 768], b2[10 * 768];
        int32_t lab[10];
        int n;
        T_OK(ct_data_load_batch(ds, CT_SPLIT_VALID, 1, 0, 0, 10, a, lab, &n));
        T_CHECK(count_files("cache", ".ctp") == 10, "%zu cache files, want 10", count_files("cache", ".ctp"));
        T_OK(ct_data_load_batch(ds, CT_SPLIT_VALID, 1, 0, 0, 10, b2, lab, &n));
        T_CHECK(!memcmp(a, b2, sizeof a), "cached batch differs from the first");
        /* the cache holds the presized image: compare with decode + shrink 32 -> 20 + valid crop */
        ct_img im;
        T_OK(ct__image_decode(ct_data_item_path(ds, CT_SPLIT_VALID, 0), 3, &im));
        if (im.px) {
            uint8_t small[3 * 20 * 20], ref[768];
            ct__resize(&im, 0, 0, 32, 32, 0, small, 20, 20);
            ct_img sm = {20, 20, 3, small};
            ct__valid_crop(&sm, 16, ref);
            T_CHECK(!memcmp(ref, a, 768), "presized item 0 differs from shrink + crop");
            ct__img_free(&im);
        }
        /* a damaged cache entry is ignored and rewritten */
        snprintf(q, sizeof q, "for f in '%s'/cache/*.ctp; do printf junk > \"$f\"; done", tmp_root);
        T_CHECK(system(q) == 0, "damage cache");
        T_OK(ct_data_load_batch(ds, CT_SPLIT_VALID, 1, 0, 0, 10, b2, lab, &n));
        T_CHECK(!memcmp(a, b2, sizeof a), "batch after cache damage differs");
        /* a file with a new modification time gets a new key */
        size_t before = count_files("cache", ".ctp");
        struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
        T_CHECK(utimensat(AT_FDCWD, tpath(q, "s_pre/val/red_circle/00000.png"), ts, 0) == 0, "utimensat");
        T_OK(ct_data_load_batch(ds, CT_SPLIT_VALID, 1, 0, 0, 10, b2, lab, &n));
        T_CHECK(count_files("cache", ".ctp") == before + 1, "touched file reused its old cache key");
        ct_data_free(ds);
    }

    /* predict path: one file with the valid transform */
    uint8_t out[3 * 16 * 16], ref[3 * 16 * 16];
    T_OK(ct_image_load(tpath(p, "s_pre/val/blue_square/00006.png"), 3, 16, 1, out));
    ct_img im;
    T_OK(ct__image_decode(p, 3, &im));
    if (im.px) {
        ct__valid_crop(&im, 16, ref);
        T_CHECK(!memcmp(out, ref, sizeof out), "ct_image_load differs from the valid transform");
        ct__img_free(&im);
    }
    T_CHECK(ct_image_load(tpath(p, "s_pre/none.png"), 3, 16, 1, out) == CT_ERR_FORMAT, "missing file");
}

/* ---- labels CSV and subsets ------------------------------------------------------------------- */

static void test_csv_and_limits(void)
{
    char p[512], line[256];
    T_OK(ct_data_make_shapes(tpath(p, "s_csv"), 30, 10, 16, 4));
    ct_dataset *ds;
    T_OK(open_at("s_csv", &ds, NULL));
    if (!ds) return;
    /* relabel every training image to the class of (label + 1) % 10 */
    char *csv = malloc(30 * 256 + 64);
    size_t len = (size_t)sprintf(csv, "path,noisy_labels_0,noisy_labels_5,is_valid\n");
    size_t root = strlen(ct_data_get_info(ds)->path) + 1;
    for (size_t i = 0; i < 30; i++) {
        int l = ct_data_item_label(ds, CT_SPLIT_TRAIN, i);
        snprintf(line, sizeof line, "%s,%s,%s,False\n", ct_data_item_path(ds, CT_SPLIT_TRAIN, i) + root,
                 ct_data_class_id(ds, l), ct_data_class_id(ds, (l + 1) % 10));
        len += (size_t)sprintf(csv + len, "%s", line);
    }
    int old[30];
    for (int i = 0; i < 30; i++) old[i] = ct_data_item_label(ds, CT_SPLIT_TRAIN, (size_t)i);
    ct_dataset *ds0 = ds;
    write_bytes("labels.csv", csv, len);
    ct_data_opts o = ct_data_opts_default();
    char cp[512];
    o.labels_csv = tpath(cp, "labels.csv");
    o.label_col = "noisy_labels_5";
    T_OK(open_at("s_csv", &ds, &o));
    if (ds) {
        int ok = 1;
        for (int i = 0; i < 30; i++) ok = ok && ct_data_item_label(ds, CT_SPLIT_TRAIN, (size_t)i) == (old[i] + 1) % 10;
        T_CHECK(ok, "noisy labels not applied");
        ct_data_free(ds);
    }
    o.label_col = "noisy_labels_50";
    expect_fail("CSV missing column", "s_csv", &o, CT_ERR_FORMAT, "noisy_labels_50");
    len = (size_t)sprintf(csv, "path,noisy_labels_5,is_valid\n%s,red_bananas,False\n",
                          ct_data_item_path(ds0, CT_SPLIT_TRAIN, 0) + root);
    write_bytes("labels.csv", csv, len);
    o.label_col = "noisy_labels_5";
    expect_fail("CSV unknown class", "s_csv", &o, CT_ERR_FORMAT, "is not a class");
    free(csv);
    ct_data_free(ds0);

    /* subsets: the requested size, a subset of the items, fixed by subset_seed */
    o = ct_data_opts_default();
    o.limit_train = 7, o.limit_valid = 3, o.subset_seed = 11;
    ct_dataset *a, *b;
    T_OK(open_at("s_csv", &a, &o));
    T_OK(open_at("s_csv", &b, &o));
    o.subset_seed = 12;
    ct_dataset *c;
    T_OK(open_at("s_csv", &c, &o));
    if (a && b && c) {
        T_CHECK(ct_data_count(a, CT_SPLIT_TRAIN) == 7 && ct_data_count(a, CT_SPLIT_VALID) == 3 &&
                    ct_data_get_info(a)->n_train == 7,
                "subset sizes %zu %zu", ct_data_count(a, CT_SPLIT_TRAIN), ct_data_count(a, CT_SPLIT_VALID));
        int same = 1, differ = 0;
        for (size_t i = 0; i < 7; i++) {
            same = same && !strcmp(ct_data_item_path(a, CT_SPLIT_TRAIN, i), ct_data_item_path(b, CT_SPLIT_TRAIN, i));
            differ += strcmp(ct_data_item_path(a, CT_SPLIT_TRAIN, i), ct_data_item_path(c, CT_SPLIT_TRAIN, i)) != 0;
        }
        T_CHECK(same && differ > 0, "subset not fixed by its seed (same %d, differ %d)", same, differ);
    }
    ct_data_free(a), ct_data_free(b), ct_data_free(c);
}

/* ---- loader determinism ------------------------------------------------------------------------- */

/* all batches of an epoch through a loader into one buffer; returns the items seen */
static size_t run_epoch(ct_dataset *ds, int workers, int prefetch, ct_split split, int epoch,
                        size_t first, uint8_t *img, int32_t *lab, int bs)
{
    ct_loader_opts lo = {.batch_size = bs, .workers = workers, .prefetch = prefetch, .seed = 77};
    ct_loader *ld;
    size_t items = 0;
    const ct_data_info *in = ct_data_get_info(ds);
    size_t one = (size_t)in->channels * in->size * in->size;
    if (ct_loader_create(&ld, ds, &lo) != CT_OK) return 0;
    T_OK(ct_loader_start(ld, split, epoch, first));
    const ct_batch *b;
    size_t expect = first;
    while (ct_loader_next(ld, &b) == CT_OK && b) {
        T_CHECK(b->index == expect, "batch index %zu, want %zu", b->index, expect);
        expect++;
        memcpy(img + (b->index * bs) * one, b->images, (size_t)b->n * one);
        memcpy(lab + b->index * bs, b->labels, (size_t)b->n * sizeof(int32_t));
        items += (size_t)b->n;
    }
    ct_loader_free(ld);
    return items;
}

static void test_loader(void)
{
    char p[512];
    T_OK(ct_data_make_shapes(tpath(p, "s_load"), 70, 25, 24, 6));
    ct_data_opts o = ct_data_opts_default();
    o.size = 16;
    ct_dataset *ds;
    T_OK(open_at("s_load", &ds, &o));
    if (!ds) return;
    const int bs = 8;
    const size_t one = 3 * 16 * 16, n = 70;
    uint8_t *ref = calloc(n * one, 1), *got = calloc(n * one, 1), *e1 = calloc(n * one, 1);
    int32_t lref[70], lgot[70], le1[70];
    size_t k = run_epoch(ds, 1, 2, CT_SPLIT_TRAIN, 0, 0, ref, lref, bs);
    T_CHECK(k == 64, "train epoch gave %zu items, want 64 (drop_last of 70 at bs 8)", k);
    const int configs[][2] = {{2, 2}, {3, 5}, {4, 0}, {2, 9}};
    for (int c = 0; c < 4; c++) {
        memset(got, 0, n * one);
        k = run_epoch(ds, configs[c][0], configs[c][1], CT_SPLIT_TRAIN, 0, 0, got, lgot, bs);
        T_CHECK(k == 64 && !memcmp(got, ref, 64 * one) && !memcmp(lgot, lref, 64 * 4),
                "workers %d prefetch %d: train batches differ from 1 worker", configs[c][0], configs[c][1]);
    }
    /* resume mid-epoch: batches 5.. are the same as in the full epoch */
    memset(got, 0, n * one);
    k = run_epoch(ds, 3, 3, CT_SPLIT_TRAIN, 0, 5, got, lgot, bs);
    T_CHECK(k == 24 && !memcmp(got + 40 * one, ref + 40 * one, 24 * one) && !memcmp(lgot + 40, lref + 40, 24 * 4),
            "resume at batch 5 differs");
    /* the synchronous call agrees */
    uint8_t sb[8 * 768];
    int32_t sl[8];
    int sn;
    T_OK(ct_data_load_batch(ds, CT_SPLIT_TRAIN, 77, 0, 3, bs, sb, sl, &sn));
    T_CHECK(sn == 8 && !memcmp(sb, ref + 24 * one, 8 * one), "ct_data_load_batch differs from the loader");
    /* another epoch: a different order (and augmentation) */
    run_epoch(ds, 2, 0, CT_SPLIT_TRAIN, 1, 0, e1, le1, bs);
    T_CHECK(memcmp(e1, ref, 64 * one) != 0 && memcmp(le1, lref, 64 * 4) != 0, "epoch 1 repeats epoch 0");
    /* a permutation without replacement: per-class counts never exceed the class sizes */
    int cnt[10] = {0}, have[10] = {0};
    for (int i = 0; i < 64; i++) cnt[lref[i]]++;
    for (size_t i = 0; i < n; i++) have[ct_data_item_label(ds, CT_SPLIT_TRAIN, i)]++;
    int okc = 1;
    for (int c = 0; c < 10; c++) okc = okc && cnt[c] <= have[c] && cnt[c] >= have[c] - 6;
    T_CHECK(okc, "train epoch label counts are not a drop_last permutation");
    /* valid: in order, last batch partial, identical for every worker count */
    uint8_t *v1 = calloc(25 * one, 1), *v3 = calloc(25 * one, 1);
    int32_t lv1[25], lv3[25];
    k = run_epoch(ds, 1, 2, CT_SPLIT_VALID, 0, 0, v1, lv1, bs);
    size_t k3 = run_epoch(ds, 3, 4, CT_SPLIT_VALID, 4, 0, v3, lv3, bs);
    T_CHECK(k == 25 && k3 == 25 && !memcmp(v1, v3, 25 * one) && !memcmp(lv1, lv3, sizeof lv1),
            "valid epochs differ (%zu, %zu items)", k, k3);
    int inorder = 1;
    for (int i = 0; i < 25; i++) inorder = inorder && lv1[i] == ct_data_item_label(ds, CT_SPLIT_VALID, (size_t)i);
    T_CHECK(inorder, "valid batches are not in stored order");
    /* start past the end: an error; start at the end: an empty epoch */
    ct_loader_opts lo = {.batch_size = bs, .workers = 2, .seed = 1};
    ct_loader *ld;
    T_OK(ct_loader_create(&ld, ds, &lo));
    T_OK(ct_loader_start(ld, CT_SPLIT_TRAIN, 0, 0));
    T_CHECK(ct_loader_start(ld, CT_SPLIT_TRAIN, 0, 9) == CT_ERR_INVALID_ARG, "start past the end");
    const ct_batch *b;
    T_OK(ct_loader_next(ld, &b));
    T_CHECK(b == NULL, "a failed start still yields batches");
    T_OK(ct_loader_start(ld, CT_SPLIT_TRAIN, 0, 8));
    T_OK(ct_loader_next(ld, &b));
    T_CHECK(b == NULL, "an epoch started at its end yields a batch");
    /* restarting while batches are in flight is safe */
    T_OK(ct_loader_start(ld, CT_SPLIT_TRAIN, 2, 0));
    T_OK(ct_loader_next(ld, &b));
    T_OK(ct_loader_start(ld, CT_SPLIT_VALID, 0, 1));
    T_OK(ct_loader_next(ld, &b));
    T_CHECK(b && b->index == 1 && !memcmp(b->images, v1 + 8 * one, 8 * one), "restart into valid batch 1");
    ct_loader_free(ld);
    free(ref), free(got), free(e1), free(v1), free(v3);
    ct_data_free(ds);
}

int main(void)
{
    snprintf(tmp_root, sizeof tmp_root, "/tmp/ct_test_data.XXXXXX");
    if (!mkdtemp(tmp_root)) return T_SETUP;
    t_rng r;
    t_rng_seed(&r, 2024);
    test_resize(&r);
    test_pil_golden();
    test_crops();
    test_idx();
    test_cifar();
    test_folders();
    test_mutants();
    test_decode_fail_and_cache();
    test_csv_and_limits();
    test_loader();
    if (!getenv("CT_TEST_KEEP")) nftw(tmp_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return t_finish("test_data");
}
