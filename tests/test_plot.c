/* Plot library: every element drawn into a PNG that is read back (size, signature, colours
 * where they must be) and argument errors. Needs no device. CT_PLOT_KEEP=DIR keeps the PNGs. */
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cltrain/plot.h"
#include "util.h"

static void out_path(char *buf, size_t n, const char *name)
{
    const char *keep = getenv("CT_PLOT_KEEP");
    if (keep)
        snprintf(buf, n, "%s/%s", keep, name);
    else
        snprintf(buf, n, "%s/ct_test_plot_%d_%s", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
                 (int)getpid(), name);
}

/* Read a PNG back: signature and IHDR size from the bytes, pixels through cairo. */
static cairo_surface_t *read_png(const char *path, int w, int h)
{
    unsigned char head[24];
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(head, 1, sizeof head, f) : 0;
    if (f) fclose(f);
    T_CHECK(got == sizeof head && !memcmp(head, "\x89PNG\r\n\x1a\n", 8) &&
                !memcmp(head + 12, "IHDR", 4),
            "%s is not a PNG", path);
    if (got != sizeof head) return NULL;
    unsigned pw = (unsigned)head[16] << 24 | head[17] << 16 | head[18] << 8 | head[19];
    unsigned phh = (unsigned)head[20] << 24 | head[21] << 16 | head[22] << 8 | head[23];
    T_CHECK(pw == (unsigned)w && phh == (unsigned)h, "%s is %ux%u, want %dx%d", path, pw, phh, w,
            h);
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        T_CHECK(0, "cairo cannot read %s back", path);
        cairo_surface_destroy(s);
        return NULL;
    }
    return s;
}

/* Pixels of colour rgb (within 24 per channel) in the box [x0,x1) x [y0,y1). */
static long count_color(cairo_surface_t *s, unsigned rgb, int x0, int y0, int x1, int y1)
{
    cairo_surface_flush(s);
    const unsigned char *d = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    long n = 0;
    for (int y = y0 < 0 ? 0 : y0; y < y1 && y < h; y++)
        for (int x = x0 < 0 ? 0 : x0; x < x1 && x < w; x++) {
            unsigned px = *(const unsigned *)(d + (size_t)y * stride + 4 * (size_t)x);
            int dr = (int)((px >> 16) & 255) - (int)((rgb >> 16) & 255);
            int dg = (int)((px >> 8) & 255) - (int)((rgb >> 8) & 255);
            int db = (int)(px & 255) - (int)(rgb & 255);
            n += abs(dr) <= 24 && abs(dg) <= 24 && abs(db) <= 24;
        }
    return n;
}

static void test_full_plot(void)
{
    enum { N = 200, W = 800, H = 600 };
    double x[N], y[N], y2[N], ylog[N];
    for (int i = 0; i < N; i++) {
        x[i] = i;
        y[i] = sin(i * 0.05);
        y2[i] = 100 + 50 * cos(i * 0.03);
        ylog[i] = 1e-6 * pow(10, 6.0 * i / N);
    }
    ylog[50] = -1; /* skipped on a log axis: breaks the line */
    ylog[51] = NAN;
    double cx[4] = {20, 60, 100, 140}, cy[4] = {2e-5, 1e-4, 3e-4, 1e-3},
           lo[4] = {1e-5, 2e-5, 1e-4, 5e-4};
    ct_plot *p = NULL;
    T_OK(ct_plot_new(W, H, 2, &p));
    if (!p) return;
    T_OK(ct_plot_title(p, "test plot: two panels, two axes, log y"));
    T_OK(ct_plot_xaxis(p, "iteration", CT_PLOT_LINEAR));
    T_OK(ct_plot_yaxis(p, 0, CT_PLOT_LEFT, "sin", CT_PLOT_LINEAR));
    T_OK(ct_plot_yaxis(p, 0, CT_PLOT_RIGHT, "cos", CT_PLOT_LINEAR));
    T_OK(ct_plot_yaxis(p, 1, CT_PLOT_LEFT, "loss", CT_PLOT_LOG));
    ct_plot_style red = {"#ff0000", 3, 0, CT_MARK_NONE, 0};
    ct_plot_style green = {"#00c000", 2, 1, CT_MARK_SQUARE, 5};
    ct_plot_style blue = {"#0000ff", 0, 0, CT_MARK_TRIANGLE, 9};
    T_OK(ct_plot_line(p, 0, CT_PLOT_LEFT, "sin", x, y, N, &red));
    T_OK(ct_plot_line(p, 0, CT_PLOT_RIGHT, "cos", x, y2, N, &green));
    T_OK(ct_plot_line(p, 1, CT_PLOT_LEFT, "exp", x, ylog, N, NULL));
    T_OK(ct_plot_points(p, 1, CT_PLOT_LEFT, "runs", cx, cy, lo, lo, 4, &blue));
    T_OK(ct_plot_vline(p, -1, 100, "x=100", NULL));
    T_OK(ct_plot_marker(p, 1, CT_PLOT_LEFT, 150, 1e-3, "valley", NULL));
    char path[512];
    out_path(path, sizeof path, "full.png");
    T_OK(ct_plot_write_png(p, path));
    ct_plot_free(p);
    cairo_surface_t *s = read_png(path, W, H);
    if (s) {
        /* top panel holds red and green, bottom panel blue; background is mostly white */
        T_CHECK(count_color(s, 0xff0000, 0, 0, W, H / 2) > 300, "red line in the top half");
        T_CHECK(count_color(s, 0xff0000, 0, H / 2 + 20, W, H) == 0, "no red in the bottom half");
        T_CHECK(count_color(s, 0x00c000, 0, 0, W, H / 2) > 100, "green dashed line on top");
        T_CHECK(count_color(s, 0x0000ff, 0, H / 2, W, H) > 60, "blue points below");
        T_CHECK(count_color(s, 0x1f77b4, 0, H / 2, W, H) > 200, "palette line below");
        long white = count_color(s, 0xffffff, 0, 0, W, H);
        T_CHECK(white > W * H / 2 && white < W * H - 5000, "white %ld of %d", white, W * H);
        /* text drawn: dark pixels in the left margin (tick labels, axis label) */
        T_CHECK(count_color(s, 0x333333, 0, 0, 80, H) > 100, "tick labels in the left margin");
        T_CHECK(count_color(s, 0x333333, W - 80, 0, W, H / 2) > 50, "right axis labels");
        cairo_surface_destroy(s);
    }
    if (!getenv("CT_PLOT_KEEP")) remove(path);
}

static void test_categories_and_errors(void)
{
    ct_plot *p = NULL;
    T_OK(ct_plot_new(400, 300, 1, &p));
    if (!p) return;
    double at[3] = {0, 1, 2}, acc[3] = {0.8, 0.85, 0.83}, sd[3] = {0.01, 0.02, 0.005};
    const char *names[3] = {"one_cycle", "flat_cos", "godzi"};
    T_OK(ct_plot_xticks(p, at, names, 3));
    T_OK(ct_plot_xrange(p, -0.5, 2.5));
    T_OK(ct_plot_yrange(p, 0, CT_PLOT_LEFT, 0.7, 0.9));
    T_OK(ct_plot_points(p, 0, CT_PLOT_LEFT, "accuracy", at, acc, sd, sd, 3, NULL));
    char path[512];
    out_path(path, sizeof path, "categories.png");
    T_OK(ct_plot_write_png(p, path));
    cairo_surface_t *s = read_png(path, 400, 300);
    if (s) {
        T_CHECK(count_color(s, 0x1f77b4, 0, 0, 400, 300) > 60, "points drawn");
        cairo_surface_destroy(s);
    }
    if (!getenv("CT_PLOT_KEEP")) remove(path);

    ct_plot_style bad = {"red", 0, 0, CT_MARK_NONE, 0};
    T_CHECK(ct_plot_line(p, 0, CT_PLOT_LEFT, "x", at, acc, 3, &bad) == CT_ERR_INVALID_ARG &&
                strstr(ct_last_error(), "'red'"),
            "bad colour: %s", ct_last_error());
    T_CHECK(ct_plot_line(p, 1, CT_PLOT_LEFT, "x", at, acc, 3, NULL) == CT_ERR_INVALID_ARG,
            "panel 1 of 1");
    T_CHECK(ct_plot_line(p, -1, CT_PLOT_LEFT, "x", at, acc, 3, NULL) == CT_ERR_INVALID_ARG,
            "panel -1 only for vlines");
    T_CHECK(ct_plot_line(p, 0, CT_PLOT_LEFT, "x", NULL, acc, 3, NULL) == CT_ERR_INVALID_ARG,
            "missing x");
    T_CHECK(ct_plot_xrange(p, 1, 1) == CT_ERR_INVALID_ARG, "empty range");
    T_OK(ct_plot_yaxis(p, 0, CT_PLOT_LEFT, "acc", CT_PLOT_LOG));
    T_CHECK(ct_plot_yrange(p, 0, CT_PLOT_LEFT, 0, 1) == CT_ERR_INVALID_ARG, "log range from 0");
    T_CHECK(ct_plot_write_png(p, "/nonexistent-dir/x.png") == CT_ERR_IO &&
                strstr(ct_last_error(), "/nonexistent-dir/x.png"),
            "unwritable path: %s", ct_last_error());
    ct_plot_free(p);
    ct_plot *q = (ct_plot *)&q;
    T_CHECK(ct_plot_new(10, 10, 1, &q) == CT_ERR_INVALID_ARG && q == NULL, "tiny size");
    T_CHECK(ct_plot_new(400, 300, 9, &q) == CT_ERR_INVALID_ARG, "9 panels");
    /* an empty plot still renders (invented ranges) */
    T_OK(ct_plot_new(300, 200, 1, &q));
    if (q) {
        out_path(path, sizeof path, "empty.png");
        T_OK(ct_plot_write_png(q, path));
        remove(path);
        ct_plot_free(q);
    }
}

/* lr-find style: log x, smoothed loss, a suggestion marker and a vertical line */
static void test_log_x(void)
{
    enum { N = 100, W = 700, H = 450 };
    double lr[N], loss[N];
    for (int i = 0; i < N; i++) {
        lr[i] = 1e-7 * pow(1e8, i / (double)N);
        double t = log10(lr[i]);
        loss[i] = 2.3 - 1.5 / (1 + exp(-(t + 4) * 2)) + (t > -1 ? (t + 1) * (t + 1) * 3 : 0);
    }
    ct_plot *p = NULL;
    T_OK(ct_plot_new(W, H, 1, &p));
    if (!p) return;
    T_OK(ct_plot_title(p, "lr find"));
    T_OK(ct_plot_xaxis(p, "learning rate", CT_PLOT_LOG));
    T_OK(ct_plot_yaxis(p, 0, CT_PLOT_LEFT, "smoothed loss", CT_PLOT_LINEAR));
    T_OK(ct_plot_line(p, 0, CT_PLOT_LEFT, "loss", lr, loss, N, NULL));
    ct_plot_style red = {"#e00000", 0, 0, CT_MARK_CIRCLE, 10};
    T_OK(ct_plot_marker(p, 0, CT_PLOT_LEFT, 2.1e-4, 1.2, "valley 2.1e-4", &red));
    ct_plot_style dash = {"#00a000", 1.5, 1, CT_MARK_NONE, 0};
    T_OK(ct_plot_vline(p, 0, 1e-2, "minimum/10", &dash));
    char path[512];
    out_path(path, sizeof path, "logx.png");
    T_OK(ct_plot_write_png(p, path));
    ct_plot_free(p);
    cairo_surface_t *s = read_png(path, W, H);
    if (s) {
        T_CHECK(count_color(s, 0xe00000, 0, 0, W, H) > 40, "suggestion marker drawn");
        T_CHECK(count_color(s, 0x00a000, 0, 0, W, H) > 100, "vertical line drawn");
        cairo_surface_destroy(s);
    }
    if (!getenv("CT_PLOT_KEEP")) remove(path);
}

int main(void)
{
    test_log_x();
    test_full_plot();
    test_categories_and_errors();
    return t_finish("test_plot");
}
