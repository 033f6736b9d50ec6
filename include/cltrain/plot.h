/* Small line/scatter plots written as PNG with cairo: schedules, lr-find curves, comparisons.
 * Host-only drawing; it never touches OpenCL state and keeps no globals.
 *
 *     ct_plot *p;
 *     if (ct_plot_new(900, 600, 2, &p) != CT_OK) return;            // 2 stacked panels
 *     ct_plot_title(p, "one_cycle, lr 1e-2");
 *     ct_plot_xaxis(p, "iteration", CT_PLOT_LINEAR);
 *     ct_plot_yaxis(p, 0, CT_PLOT_LEFT, "lr", CT_PLOT_LOG);
 *     ct_plot_yaxis(p, 1, CT_PLOT_LEFT, "mom", CT_PLOT_LINEAR);
 *     st = ct_plot_line(p, 0, CT_PLOT_LEFT, "lr", it, lr, n, NULL);  // NULL: default style
 *     st = ct_plot_line(p, 1, CT_PLOT_LEFT, "mom", it, mom, n, NULL);
 *     st = ct_plot_vline(p, -1, 250, "pct_start", NULL);            // every panel
 *     st = ct_plot_write_png(p, "sched.png");
 *     ct_plot_free(p);
 *
 * Ranges are automatic (finite points only; non-positive points are skipped on log axes) unless
 * set with ct_plot_xrange / ct_plot_yrange. Panels share the x axis; each panel has a left and
 * an optional right y axis (a right axis appears once a series uses it).
 */
#ifndef CLTRAIN_PLOT_H
#define CLTRAIN_PLOT_H

#include <stddef.h>

#include "cltrain/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ct_plot ct_plot;

typedef enum { CT_PLOT_LINEAR = 0, CT_PLOT_LOG = 1 } ct_plot_scale;
typedef enum { CT_PLOT_LEFT = 0, CT_PLOT_RIGHT = 1 } ct_plot_side;
typedef enum {
    CT_MARK_NONE = 0,
    CT_MARK_CIRCLE,
    CT_MARK_SQUARE,
    CT_MARK_TRIANGLE,
    CT_MARK_CROSS,
} ct_plot_mark;

/* Zero-initialised (or NULL) means: next palette colour, 2 px solid, no markers (circles for
 * ct_plot_points / ct_plot_marker), 7 px markers. */
typedef struct {
    const char *color; /* "#rrggbb", or NULL for the next palette colour */
    double width;      /* line width in px; 0: 2 */
    int dashed;        /* 1: dashed line */
    ct_plot_mark mark; /* marker drawn at each point */
    double mark_size;  /* marker diameter in px; 0: 7 */
} ct_plot_style;

/* A width x height px plot with n_panels stacked panels (1..8) sharing the x axis. */
CT_NODISCARD ct_status ct_plot_new(int width, int height, int n_panels, ct_plot **out);
void ct_plot_free(ct_plot *p);

/* Texts are copied. */
CT_NODISCARD ct_status ct_plot_title(ct_plot *p, const char *title);
CT_NODISCARD ct_status ct_plot_xaxis(ct_plot *p, const char *label, ct_plot_scale scale);
CT_NODISCARD ct_status ct_plot_yaxis(ct_plot *p, int panel, ct_plot_side side, const char *label,
                                     ct_plot_scale scale);
/* Fixed ranges (lo < hi; on a log axis lo > 0). */
CT_NODISCARD ct_status ct_plot_xrange(ct_plot *p, double lo, double hi);
CT_NODISCARD ct_status ct_plot_yrange(ct_plot *p, int panel, ct_plot_side side, double lo,
                                      double hi);
/* Categorical x tick labels at the given x values instead of numeric ticks (compare plots). */
CT_NODISCARD ct_status ct_plot_xticks(ct_plot *p, const double *at, const char *const *labels,
                                      size_t n);

/* A polyline through (x[i], y[i]); non-finite points break the line. label NULL: no legend. */
CT_NODISCARD ct_status ct_plot_line(ct_plot *p, int panel, ct_plot_side side, const char *label,
                                    const double *x, const double *y, size_t n,
                                    const ct_plot_style *style);
/* Scatter points with optional error bars: err_lo[i]/err_hi[i] are the distances below/above
 * y[i] (either may be NULL; both NULL: no bars). */
CT_NODISCARD ct_status ct_plot_points(ct_plot *p, int panel, ct_plot_side side, const char *label,
                                      const double *x, const double *y, const double *err_lo,
                                      const double *err_hi, size_t n, const ct_plot_style *style);
/* A vertical line at x across one panel (or every panel for panel -1), its label at the top. */
CT_NODISCARD ct_status ct_plot_vline(ct_plot *p, int panel, double x, const char *label,
                                     const ct_plot_style *style);
/* One emphasised point with a text label beside it (an lr-find suggestion). */
CT_NODISCARD ct_status ct_plot_marker(ct_plot *p, int panel, ct_plot_side side, double x, double y,
                                      const char *label, const ct_plot_style *style);

/* Render and write a PNG; CT_ERR_IO (naming the path) when it cannot be written. */
CT_NODISCARD ct_status ct_plot_write_png(const ct_plot *p, const char *path);

#ifdef __cplusplus
}
#endif
#endif
