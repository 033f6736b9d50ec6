/* Synthetic "shapes" dataset writer: 10 classes (5 shape types x 2 colours) on textured
 * backgrounds, random position, scale and rotation, saved as PNG and JPEG in ImageNet layout.
 * Used by tests and demos so the folder path works without a download; reads no files. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <stb_image_write.h>

#include "data/internal.h"

static const char *const shape_names[5] = {"circle", "square", "triangle", "cross", "ring"};
static const char *const colour_names[2] = {"red", "blue"};
static const int colour_rgb[2][3] = {{215, 45, 40}, {40, 75, 215}};

/* 1 when (u, v), in units of the shape radius and already rotated, is inside shape k */
static int inside(int k, double u, double v)
{
    double d2 = u * u + v * v;
    switch (k) {
    case 0: return d2 <= 1.0;
    case 1: return fabs(u) <= 0.78 && fabs(v) <= 0.78;
    case 2: return v >= -0.5 && v <= 1.0 - 1.7320508 * fabs(u);
    case 3: return (fabs(u) <= 0.3 && fabs(v) <= 1.0) || (fabs(v) <= 0.3 && fabs(u) <= 1.0);
    default: return d2 <= 1.0 && d2 >= 0.55 * 0.55;
    }
}

static int clamp255(double v)
{
    return v < 0 ? 0 : v > 255 ? 255 : (int)(v + 0.5);
}

/* Draw one image of class cls into rgb (s, s, 3) interleaved. */
static void draw(uint8_t *rgb, int s, int cls, ct_rng *r)
{
    const int shape = cls % 5, colour = cls / 5;
    /* background: two desaturated tints mixed by a gradient, stripes or a checkerboard */
    double base[2][3];
    for (int t = 0; t < 2; t++) {
        double grey = 70 + 120 * ct__rng_uniform(r);
        for (int c = 0; c < 3; c++) base[t][c] = grey + 30 * (ct__rng_uniform(r) - 0.5);
    }
    int texture = ct__rng_int(r, 0, 2);
    double ang = ct__rng_uniform(r) * 3.14159265, freq = (2 + 6 * ct__rng_uniform(r)) / s;
    double ca = cos(ang), sa = sin(ang);
    /* the shape */
    double rad = s * (0.22 + 0.16 * ct__rng_uniform(r));
    double cx = rad + (s - 2 * rad) * ct__rng_uniform(r), cy = rad + (s - 2 * rad) * ct__rng_uniform(r);
    double rot = ct__rng_uniform(r) * 6.2831853, cr = cos(rot), sr = sin(rot);
    double fg[3];
    for (int c = 0; c < 3; c++) fg[c] = colour_rgb[colour][c] + 30 * (ct__rng_uniform(r) - 0.5);
    for (int y = 0; y < s; y++)
        for (int x = 0; x < s; x++) {
            double p = x * ca + y * sa, m;
            if (texture == 0)
                m = p / (s * 1.5) + 0.25;
            else if (texture == 1)
                m = 0.5 + 0.5 * sin(p * freq * 6.2831853);
            else
                m = ((int)floor(x * freq * 2) + (int)floor(y * freq * 2)) & 1;
            int cover = 0; /* 2x2 supersampling for smooth edges */
            for (int sy = 0; sy < 2; sy++)
                for (int sx = 0; sx < 2; sx++) {
                    double dx = (x + 0.25 + 0.5 * sx - cx) / rad, dy = (y + 0.25 + 0.5 * sy - cy) / rad;
                    cover += inside(shape, dx * cr - dy * sr, -(dx * sr + dy * cr));
                }
            double a = cover / 4.0, noise = 16 * (ct__rng_uniform(r) - 0.5);
            for (int c = 0; c < 3; c++) {
                double bg = base[0][c] * (1 - m) + base[1][c] * m;
                rgb[((size_t)y * s + x) * 3 + c] = (uint8_t)clamp255(bg * (1 - a) + fg[c] * a + noise);
            }
        }
}

static ct_status make_dir(const char *p)
{
    if (mkdir(p, 0777) != 0 && errno != EEXIST)
        return ct_error(CT_ERR_IO, "%s: cannot create folder: %s", p, strerror(errno));
    return CT_OK;
}

static const char *shapes_class(int cls, char *buf, size_t n)
{
    snprintf(buf, n, "%s_%s", colour_names[cls / 5], shape_names[cls % 5]);
    return buf;
}

ct_status ct_data_make_shapes(const char *dir, int n_train, int n_val, int size, uint64_t seed)
{
    if (!dir || n_train < 10 || n_val < 10 || size < 16 || size > 1024)
        return ct_error(CT_ERR_INVALID_ARG,
                        "make-dataset shapes: need an output folder, n-train and n-val >= 10 "
                        "(got %d, %d), size 16..1024 (got %d)", n_train, n_val, size);
    ct_status st;
    char p[4096], cls[64];
    uint8_t *rgb = malloc((size_t)size * size * 3);
    if (!rgb) return ct_error(CT_ERR_HOST_OOM, "shapes.c: image buffer");
    if ((st = make_dir(dir)) != CT_OK) goto out;
    static const char *const split_dir[2] = {"train", "val"};
    for (int s = 0; s < 2; s++) {
        snprintf(p, sizeof p, "%s/%s", dir, split_dir[s]);
        if ((st = make_dir(p)) != CT_OK) goto out;
        for (int c = 0; c < 10; c++) {
            snprintf(p, sizeof p, "%s/%s/%s", dir, split_dir[s], shapes_class(c, cls, sizeof cls));
            if ((st = make_dir(p)) != CT_OK) goto out;
        }
        int n = s ? n_val : n_train;
        for (int i = 0; i < n; i++) {
            int c = i % 10, jpg = (i / 10) % 2;
            ct_rng r = ct__rng_for(seed, 0x5a4e5, (uint64_t)s, (uint64_t)i);
            draw(rgb, size, c, &r);
            snprintf(p, sizeof p, "%s/%s/%s/%05d.%s", dir, split_dir[s],
                     shapes_class(c, cls, sizeof cls), i, jpg ? "jpg" : "png");
            int ok = jpg ? stbi_write_jpg(p, size, size, 3, rgb, 90)
                         : stbi_write_png(p, size, size, 3, rgb, size * 3);
            if (!ok) {
                st = ct_error(CT_ERR_IO, "%s: cannot write the image", p);
                goto out;
            }
        }
    }
    st = CT_OK;
out:
    free(rgb);
    return st;
}
