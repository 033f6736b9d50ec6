/* Host image transforms with fastai semantics: PIL-style bilinear resampling, RandomResizedCrop,
 * flips, pad-and-crop for 28/32 px data, the valid squish + centre crop; and the per-sample RNG.
 * Pure computation on planar uint8 images: no file access, no threads, no globals. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/internal.h"

/* ---- RNG ------------------------------------------------------------------------------------- */

uint64_t ct__mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t ct__rng_next(ct_rng *r)
{
    r->s += 0x9e3779b97f4a7c15ULL;
    uint64_t z = r->s;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double ct__rng_uniform(ct_rng *r)
{
    return (double)(ct__rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

int ct__rng_int(ct_rng *r, int lo, int hi)
{
    if (hi <= lo) return lo;
    int v = lo + (int)(ct__rng_uniform(r) * (double)(hi - lo + 1));
    return v > hi ? hi : v;
}

ct_rng ct__rng_for(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t h = ct__mix64(seed);
    h = ct__mix64(h ^ a);
    h = ct__mix64(h ^ (b + 0x632be59bd9b4e019ULL));
    h = ct__mix64(h ^ (c + 0x8cb92ba72f3d8dd7ULL));
    return (ct_rng){h};
}

void ct__shuffle(size_t *idx, size_t n, ct_rng *r)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(ct__rng_uniform(r) * (double)i);
        if (j >= i) j = i - 1;
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

/* ---- images ---------------------------------------------------------------------------------- */

void ct__img_free(ct_img *img)
{
    free(img->px);
    img->px = NULL;
}

ct_status ct__img_to_channels(ct_img *img, int c)
{
    if (img->c == c) return CT_OK;
    size_t hw = (size_t)img->w * img->h;
    if (img->c == 1 && c == 3) {
        uint8_t *p = realloc(img->px, hw * 3);
        if (!p) return ct_error(CT_ERR_HOST_OOM, "augment.c: %zu bytes for a gray->RGB image", hw * 3);
        memcpy(p + hw, p, hw);
        memcpy(p + 2 * hw, p, hw);
        img->px = p;
    } else if (img->c == 3 && c == 1) {
        uint8_t *p = img->px;
        for (size_t i = 0; i < hw; i++)
            p[i] = (uint8_t)((77u * p[i] + 150u * p[hw + i] + 29u * p[2 * hw + i]) >> 8);
    } else {
        return ct_error(CT_ERR_UNSUPPORTED, "augment.c: cannot convert %d to %d channels", img->c, c);
    }
    img->c = c;
    return CT_OK;
}

/* ---- PIL-style bilinear resampling ------------------------------------------------------------ */

/* Weights of one axis: output i reads n[i] source samples from lo[i] with weights w[i*kmax..]. */
typedef struct {
    int kmax;
    int *lo, *n;
    float *w;
} axis_taps;

static int taps_make(axis_taps *t, double x0, double bw, int dn, int clip_lo, int clip_hi)
{
    double scale = bw / dn, fscale = scale > 1.0 ? scale : 1.0, support = fscale;
    t->kmax = (int)ceil(support) * 2 + 1;
    t->lo = malloc(sizeof(int) * (size_t)dn);
    t->n = malloc(sizeof(int) * (size_t)dn);
    t->w = malloc(sizeof(float) * (size_t)dn * (size_t)t->kmax);
    if (!t->lo || !t->n || !t->w) return 0;
    for (int i = 0; i < dn; i++) {
        double center = x0 + (i + 0.5) * scale;
        int lo = (int)floor(center - support + 0.5), hi = (int)floor(center + support + 0.5);
        if (lo < clip_lo) lo = clip_lo;
        if (hi > clip_hi) hi = clip_hi;
        if (hi - lo > t->kmax) hi = lo + t->kmax;
        float *wk = t->w + (size_t)i * t->kmax;
        double sum = 0;
        int n = 0;
        for (int x = lo; x < hi; x++, n++) {
            double d = fabs((x - center + 0.5) / fscale);
            wk[n] = (float)(d < 1.0 ? 1.0 - d : 0.0);
            sum += wk[n];
        }
        if (n == 0 || sum <= 0) { /* box entirely outside the clip range: nearest edge sample */
            lo = center < clip_lo ? clip_lo : clip_hi - 1;
            wk[0] = 1, sum = 1, n = 1;
        }
        t->lo[i] = lo;
        t->n[i] = n;
        for (int k = 0; k < n; k++) wk[k] = (float)(wk[k] / sum);
    }
    return 1;
}

static void taps_free(axis_taps *t)
{
    free(t->lo), free(t->n), free(t->w);
}

static uint8_t clip8(float v)
{
    int q = (int)floorf(v + 0.5f);
    return (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
}

void ct__resize(const ct_img *src, double x0, double y0, double bw, double bh, int clip,
                uint8_t *dst, int dw, int dh)
{
    int cx0 = clip ? (int)floor(x0) : 0, cx1 = clip ? (int)ceil(x0 + bw) : src->w;
    int cy0 = clip ? (int)floor(y0) : 0, cy1 = clip ? (int)ceil(y0 + bh) : src->h;
    if (cx0 < 0) cx0 = 0;
    if (cy0 < 0) cy0 = 0;
    if (cx1 > src->w) cx1 = src->w;
    if (cy1 > src->h) cy1 = src->h;
    axis_taps tx = {0}, ty = {0};
    float *tmp = NULL;
    if (!taps_make(&tx, x0, bw, dw, cx0, cx1) || !taps_make(&ty, y0, bh, dh, cy0, cy1)) goto out;
    int r0 = ty.lo[0], r1 = ty.lo[0] + ty.n[0];
    for (int i = 1; i < dh; i++) {
        if (ty.lo[i] < r0) r0 = ty.lo[i];
        if (ty.lo[i] + ty.n[i] > r1) r1 = ty.lo[i] + ty.n[i];
    }
    size_t rows = (size_t)(r1 - r0);
    /* (rows, dw) one channel at a time, then one output row of accumulators */
    tmp = malloc(sizeof(float) * (rows + 1) * (size_t)dw);
    if (!tmp) goto out;
    float *acc = tmp + rows * (size_t)dw;
    size_t splane = (size_t)src->w * src->h, dplane = (size_t)dw * dh;
    for (int c = 0; c < src->c; c++) {
        const uint8_t *sp = src->px + c * splane;
        for (size_t r = 0; r < rows; r++) {
            const uint8_t *row = sp + (size_t)(r0 + (int)r) * src->w;
            for (int x = 0; x < dw; x++) {
                const float *w = tx.w + (size_t)x * tx.kmax;
                const uint8_t *s = row + tx.lo[x];
                float sum = 0;
                for (int k = 0; k < tx.n[x]; k++) sum += w[k] * s[k];
                tmp[r * dw + x] = sum;
            }
        }
        uint8_t *dp = dst + c * dplane;
        for (int y = 0; y < dh; y++) { /* row-wise accumulation: contiguous, vectorisable */
            const float *w = ty.w + (size_t)y * ty.kmax;
            const float *base = tmp + (size_t)(ty.lo[y] - r0) * dw;
            for (int x = 0; x < dw; x++) acc[x] = 0;
            for (int k = 0; k < ty.n[y]; k++) {
                const float wk = w[k], *row = base + (size_t)k * dw;
                for (int x = 0; x < dw; x++) acc[x] += wk * row[x];
            }
            for (int x = 0; x < dw; x++) dp[(size_t)y * dw + x] = clip8(acc[x]);
        }
    }
out:
    free(tmp);
    taps_free(&tx);
    taps_free(&ty);
}

/* ---- crops ----------------------------------------------------------------------------------- */

ct_box ct__rrc_box(ct_rng *r, int w, int h, double min_scale)
{
    const double r0 = 3.0 / 4.0, r1 = 4.0 / 3.0;
    for (int attempt = 0; attempt < 10; attempt++) {
        double area = (min_scale + (1.0 - min_scale) * ct__rng_uniform(r)) * w * h;
        double ratio = exp(log(r0) + (log(r1) - log(r0)) * ct__rng_uniform(r));
        int nw = (int)lround(sqrt(area * ratio)), nh = (int)lround(sqrt(area / ratio));
        if (nw <= w && nh <= h && nw > 0 && nh > 0) {
            int y0 = ct__rng_int(r, 0, h - nh), x0 = ct__rng_int(r, 0, w - nw);
            return (ct_box){x0, y0, nw, nh};
        }
    }
    int cw = w, ch = h;
    if ((double)w / h < r0)
        ch = (int)(w / r0);
    else if ((double)w / h > r1)
        cw = (int)(h * r1);
    return (ct_box){(w - cw) / 2, (h - ch) / 2, cw, ch};
}

int ct__valid_presize(int size)
{
    return size + (int)ceil(size * 0.14 / 8.0) * 8;
}

void ct__valid_crop(const ct_img *img, int s, uint8_t *out)
{
    /* squish to P x P, centre crop s: resampling only the crop's pixels gives the same values */
    int p = ct__valid_presize(s), off = (p - s) / 2;
    double sx = (double)img->w / p, sy = (double)img->h / p;
    ct__resize(img, off * sx, off * sy, s * sx, s * sy, 0, out, s, s);
}

static void flip_h(uint8_t *px, int c, int s)
{
    for (size_t row = 0; row < (size_t)c * s; row++) {
        uint8_t *p = px + row * s;
        for (int a = 0, b = s - 1; a < b; a++, b--) {
            uint8_t t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
    }
}

static int reflect(int i, int n)
{
    if (n == 1) return 0;
    while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
    return i;
}

ct_status ct__transform(const ct_dataset *ds, ct_split split, ct_rng *r, const ct_img *img,
                        uint8_t *out)
{
    const int s = ds->info.size;
    const int train = split == CT_SPLIT_TRAIN;
    int flip = 0;
    if (ds->info.small) {
        const ct_img *src = img;
        ct_img shifted = {img->w, img->h, img->c, NULL};
        if (train && ds->opts.small_aug) { /* pad 4 with reflection, random crop back, flip */
            const int pad = 4;
            int ox = ct__rng_int(r, 0, 2 * pad), oy = ct__rng_int(r, 0, 2 * pad);
            flip = ct__rng_uniform(r) < 0.5;
            shifted.px = malloc((size_t)img->c * img->w * img->h);
            if (!shifted.px) return ct_error(CT_ERR_HOST_OOM, "augment.c: pad-crop buffer");
            for (int c = 0; c < img->c; c++)
                for (int y = 0; y < img->h; y++)
                    for (int x = 0; x < img->w; x++) {
                        int sy = reflect(y + oy - pad, img->h), sx = reflect(x + ox - pad, img->w);
                        shifted.px[((size_t)c * img->h + y) * img->w + x] =
                            img->px[((size_t)c * img->h + sy) * img->w + sx];
                    }
            src = &shifted;
        }
        if (src->w == s && src->h == s)
            memcpy(out, src->px, (size_t)src->c * s * s);
        else
            ct__resize(src, 0, 0, src->w, src->h, 0, out, s, s);
        free(shifted.px);
    } else if (train) {
        ct_box b = ct__rrc_box(r, img->w, img->h, 0.35);
        flip = ct__rng_uniform(r) < 0.5;
        ct__resize(img, b.x0, b.y0, b.w, b.h, 1, out, s, s);
    } else {
        ct__valid_crop(img, s, out);
    }
    if (flip) flip_h(out, img->c, s);
    return CT_OK;
}
