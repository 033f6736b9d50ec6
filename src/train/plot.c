/* PNG plots with cairo: stacked panels sharing x, left/right y axes (linear or log) with ticks,
 * labels, legend, lines, points with error bars, vertical marker lines. No OpenCL, no globals. */
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/plot.h"

#define MAX_PANELS 8
#define FONT "DejaVu Sans"

typedef enum { IT_LINE, IT_POINTS, IT_VLINE, IT_MARKER } item_kind;

typedef struct {
    item_kind kind;
    int panel, side; /* panel -1: every panel (vlines) */
    char *label;
    double *x, *y, *elo, *ehi; /* (n) each; elo/ehi may be NULL */
    size_t n;
    double rgb[3];
    double width, mark_size;
    int dashed;
    ct_plot_mark mark;
} item;

typedef struct {
    char *label;
    ct_plot_scale scale;
    int fixed;
    double lo, hi;
} axis;

struct ct_plot {
    int w, h, n_panels;
    char *title;
    axis x;
    axis y[MAX_PANELS][2];
    item *items;
    size_t n_items, cap;
    int next_color;
    double *xt_at; /* (n_xt) categorical tick positions */
    char **xt_label;
    size_t n_xt;
};

/* Tableau 10 */
static const unsigned palette[10] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                     0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};

static char *dup_str(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* Replace *slot with a copy of s. */
static ct_status set_text(char **slot, const char *s)
{
    char *d = dup_str(s);
    if (s && !d) return ct_error(CT_ERR_HOST_OOM, "plot.c: out of memory copying a label");
    free(*slot);
    *slot = d;
    return CT_OK;
}

ct_status ct_plot_new(int width, int height, int n_panels, ct_plot **out)
{
    *out = NULL;
    if (width < 200 || height < 150 || width > 8000 || height > 8000)
        return ct_error(CT_ERR_INVALID_ARG, "plot.c: size %dx%d px (want 200..8000 x 150..8000)",
                        width, height);
    if (n_panels < 1 || n_panels > MAX_PANELS)
        return ct_error(CT_ERR_INVALID_ARG, "plot.c: %d panels (want 1..%d)", n_panels, MAX_PANELS);
    if (height < 110 * n_panels)
        return ct_error(CT_ERR_INVALID_ARG, "plot.c: %d panels need a height of at least %d px",
                        n_panels, 110 * n_panels);
    ct_plot *p = calloc(1, sizeof *p);
    if (!p) return ct_error(CT_ERR_HOST_OOM, "plot.c: out of memory");
    p->w = width;
    p->h = height;
    p->n_panels = n_panels;
    *out = p;
    return CT_OK;
}

void ct_plot_free(ct_plot *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n_items; i++) {
        item *it = &p->items[i];
        free(it->label);
        free(it->x);
        free(it->y);
        free(it->elo);
        free(it->ehi);
    }
    free(p->items);
    free(p->title);
    free(p->x.label);
    for (int i = 0; i < MAX_PANELS; i++) {
        free(p->y[i][0].label);
        free(p->y[i][1].label);
    }
    for (size_t i = 0; i < p->n_xt; i++)
        free(p->xt_label[i]);
    free(p->xt_label);
    free(p->xt_at);
    free(p);
}

ct_status ct_plot_title(ct_plot *p, const char *title)
{
    return set_text(&p->title, title);
}

ct_status ct_plot_xaxis(ct_plot *p, const char *label, ct_plot_scale scale)
{
    p->x.scale = scale;
    return set_text(&p->x.label, label);
}

static ct_status check_panel(const ct_plot *p, int panel, int side, int allow_all)
{
    if ((panel < 0 && !(allow_all && panel == -1)) || panel >= p->n_panels)
        return ct_error(CT_ERR_INVALID_ARG, "plot.c: panel %d (the plot has %d)", panel,
                        p->n_panels);
    if (side != CT_PLOT_LEFT && side != CT_PLOT_RIGHT)
        return ct_error(CT_ERR_INVALID_ARG, "plot.c: side %d (want CT_PLOT_LEFT/RIGHT)", side);
    return CT_OK;
}

ct_status ct_plot_yaxis(ct_plot *p, int panel, ct_plot_side side, const char *label,
                        ct_plot_scale scale)
{
    ct_status st = check_panel(p, panel, side, 0);
    if (st != CT_OK) return st;
    p->y[panel][side].scale = scale;
    return set_text(&p->y[panel][side].label, label);
}

static ct_status fix_range(axis *a, double lo, double hi)
{
    if (!(lo < hi) || !isfinite(lo) || !isfinite(hi) || (a->scale == CT_PLOT_LOG && lo <= 0))
        return ct_error(CT_ERR_INVALID_ARG, "plot.c: range [%g, %g] (want lo < hi%s)", lo, hi,
                        a->scale == CT_PLOT_LOG ? ", lo > 0 on a log axis" : "");
    a->fixed = 1;
    a->lo = lo;
    a->hi = hi;
    return CT_OK;
}

ct_status ct_plot_xrange(ct_plot *p, double lo, double hi)
{
    return fix_range(&p->x, lo, hi);
}

ct_status ct_plot_yrange(ct_plot *p, int panel, ct_plot_side side, double lo, double hi)
{
    ct_status st = check_panel(p, panel, side, 0);
    return st != CT_OK ? st : fix_range(&p->y[panel][side], lo, hi);
}

ct_status ct_plot_xticks(ct_plot *p, const double *at, const char *const *labels, size_t n)
{
    double *a = malloc((n ? n : 1) * sizeof *a);
    char **l = calloc(n ? n : 1, sizeof *l);
    if (!a || !l) {
        free(a);
        free(l);
        return ct_error(CT_ERR_HOST_OOM, "plot.c: out of memory for %zu ticks", n);
    }
    for (size_t i = 0; i < n; i++) {
        a[i] = at[i];
        if (set_text(&l[i], labels[i]) != CT_OK) {
            for (size_t j = 0; j < i; j++)
                free(l[j]);
            free(a);
            free(l);
            return CT_ERR_HOST_OOM;
        }
    }
    for (size_t i = 0; i < p->n_xt; i++)
        free(p->xt_label[i]);
    free(p->xt_label);
    free(p->xt_at);
    p->xt_at = a;
    p->xt_label = l;
    p->n_xt = n;
    return CT_OK;
}

static int parse_color(const char *s, double rgb[3])
{
    unsigned v;
    if (!s || s[0] != '#' || strlen(s) != 7 || sscanf(s + 1, "%6x", &v) != 1) return 0;
    rgb[0] = ((v >> 16) & 255) / 255.0;
    rgb[1] = ((v >> 8) & 255) / 255.0;
    rgb[2] = (v & 255) / 255.0;
    return 1;
}

static double *dup_array(const double *x, size_t n, int *oom)
{
    if (!x) return NULL;
    double *d = malloc((n ? n : 1) * sizeof *d);
    if (!d) {
        *oom = 1;
        return NULL;
    }
    memcpy(d, x, n * sizeof *d);
    return d;
}

/* Append an item with copies of its arrays and its resolved style. */
static ct_status add_item(ct_plot *p, item_kind kind, int panel, int side, const char *label,
                          const double *x, const double *y, const double *elo, const double *ehi,
                          size_t n, const ct_plot_style *style)
{
    ct_status st = check_panel(p, panel, side, kind == IT_VLINE);
    if (st != CT_OK) return st;
    if ((kind == IT_LINE || kind == IT_POINTS) && n && (!x || !y))
        return ct_error(CT_ERR_INVALID_ARG, "plot.c: series '%s' has no x or y array",
                        label ? label : "");
    ct_plot_style def = {0};
    if (!style) style = &def;
    item it = {kind,
               panel,
               side,
               NULL,
               NULL,
               NULL,
               NULL,
               NULL,
               n,
               {0, 0, 0},
               style->width > 0 ? style->width : 2.0,
               style->mark_size > 0 ? style->mark_size : 7.0,
               style->dashed,
               style->mark};
    if (style->color) {
        if (!parse_color(style->color, it.rgb))
            return ct_error(CT_ERR_INVALID_ARG, "plot.c: colour '%s' (want #rrggbb)", style->color);
    } else if (kind == IT_VLINE) {
        it.rgb[0] = it.rgb[1] = it.rgb[2] = 0.35;
        if (!style->width) it.width = 1.2;
    } else {
        unsigned c = palette[p->next_color++ % 10];
        char hex[8];
        snprintf(hex, sizeof hex, "#%06x", c);
        parse_color(hex, it.rgb);
    }
    if ((kind == IT_POINTS || kind == IT_MARKER) && it.mark == CT_MARK_NONE)
        it.mark = CT_MARK_CIRCLE;
    if (p->n_items == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 8;
        item *grown = realloc(p->items, cap * sizeof *grown);
        if (!grown) return ct_error(CT_ERR_HOST_OOM, "plot.c: out of memory for plot items");
        p->items = grown;
        p->cap = cap;
    }
    int oom = 0;
    it.label = dup_str(label);
    it.x = dup_array(x, n, &oom);
    it.y = dup_array(y, n, &oom);
    it.elo = dup_array(elo, n, &oom);
    it.ehi = dup_array(ehi, n, &oom);
    if (oom || (label && !it.label)) {
        free(it.label);
        free(it.x);
        free(it.y);
        free(it.elo);
        free(it.ehi);
        return ct_error(CT_ERR_HOST_OOM, "plot.c: out of memory copying %zu points", n);
    }
    p->items[p->n_items++] = it;
    return CT_OK;
}

ct_status ct_plot_line(ct_plot *p, int panel, ct_plot_side side, const char *label, const double *x,
                       const double *y, size_t n, const ct_plot_style *style)
{
    return add_item(p, IT_LINE, panel, side, label, x, y, NULL, NULL, n, style);
}

ct_status ct_plot_points(ct_plot *p, int panel, ct_plot_side side, const char *label,
                         const double *x, const double *y, const double *err_lo,
                         const double *err_hi, size_t n, const ct_plot_style *style)
{
    return add_item(p, IT_POINTS, panel, side, label, x, y, err_lo, err_hi, n, style);
}

ct_status ct_plot_vline(ct_plot *p, int panel, double x, const char *label,
                        const ct_plot_style *style)
{
    return add_item(p, IT_VLINE, panel, CT_PLOT_LEFT, label, &x, NULL, NULL, NULL, 1, style);
}

ct_status ct_plot_marker(ct_plot *p, int panel, ct_plot_side side, double x, double y,
                         const char *label, const ct_plot_style *style)
{
    return add_item(p, IT_MARKER, panel, side, label, &x, &y, NULL, NULL, 1, style);
}

/* ---- rendering --------------------------------------------------------------------------- */

typedef struct {
    double lo, hi; /* data range after padding */
    ct_plot_scale scale;
    double px0, px1; /* pixel positions of lo and hi */
    int used;
} mapping;

static double map(const mapping *m, double v)
{
    double t = m->scale == CT_PLOT_LOG ? (log10(v) - log10(m->lo)) / (log10(m->hi) - log10(m->lo))
                                       : (v - m->lo) / (m->hi - m->lo);
    return m->px0 + t * (m->px1 - m->px0);
}

static int usable(double v, ct_plot_scale s)
{
    return isfinite(v) && (s != CT_PLOT_LOG || v > 0);
}

static void grow(double *lo, double *hi, double v, ct_plot_scale s)
{
    if (!usable(v, s)) return;
    if (v < *lo) *lo = v;
    if (v > *hi) *hi = v;
}

/* Pad a data range (or invent one when empty or flat). */
static void finish_range(const axis *a, double lo, double hi, mapping *m)
{
    m->scale = a->scale;
    if (a->fixed) {
        m->lo = a->lo;
        m->hi = a->hi;
        return;
    }
    if (!(lo <= hi)) lo = hi = a->scale == CT_PLOT_LOG ? 1.0 : 0.0;
    if (a->scale == CT_PLOT_LOG) {
        double l = log10(lo), h = log10(hi);
        if (h - l < 1e-9) l -= 0.5, h += 0.5;
        double pad = 0.04 * (h - l);
        m->lo = pow(10, l - pad);
        m->hi = pow(10, h + pad);
    } else {
        if (hi - lo <= 1e-12 * fmax(fabs(lo), fabs(hi))) {
            double d = lo == 0 ? 1.0 : 0.1 * fabs(lo);
            lo -= d, hi += d;
        }
        double pad = 0.04 * (hi - lo);
        m->lo = lo - pad;
        m->hi = hi + pad;
    }
}

typedef struct {
    double v;
    int major;     /* labelled */
    char text[32]; /* label, or the mantissa "10" for a power of ten */
    char sup[8];   /* exponent when a power of ten */
} tick;

static double nice_step(double span, int target)
{
    double raw = span / (target > 1 ? target : 1);
    double e = pow(10, floor(log10(raw)));
    double f = raw / e;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * e;
}

/* Ticks of a mapping, at most ~target labelled. Returns the count (<= cap). */
static int make_ticks(const mapping *m, int target, tick *t, int cap)
{
    int n = 0;
    if (m->scale == CT_PLOT_LOG) {
        int d0 = (int)floor(log10(m->lo)), d1 = (int)ceil(log10(m->hi));
        int decades = d1 - d0, every = decades / (target > 1 ? target : 1) + 1;
        for (int d = d0; d <= d1; d++)
            for (int k = 1; k <= 9 && n < cap; k++) {
                double v = k * pow(10, d);
                if (v < m->lo * (1 - 1e-9) || v > m->hi * (1 + 1e-9)) continue;
                if (k > 1 && decades > 6) continue;
                tick *tk = &t[n++];
                tk->v = v;
                tk->sup[0] = '\0';
                if (k == 1) {
                    tk->major = (d % every) == 0;
                    snprintf(tk->text, sizeof tk->text, "10");
                    snprintf(tk->sup, sizeof tk->sup, "%d", d);
                } else {
                    tk->major = decades <= 1 && (k == 2 || k == 5);
                    snprintf(tk->text, sizeof tk->text, "%g", v);
                }
            }
        return n;
    }
    double step = nice_step(m->hi - m->lo, target);
    double k0 = ceil(m->lo / step - 1e-9), k1 = floor(m->hi / step + 1e-9);
    for (double k = k0; k <= k1 && n < cap; k++) {
        tick *tk = &t[n++];
        tk->v = k * step;
        if (fabs(tk->v) < step * 1e-9) tk->v = 0;
        tk->major = 1;
        tk->sup[0] = '\0';
        snprintf(tk->text, sizeof tk->text, "%g", tk->v);
    }
    return n;
}

static double text_w(cairo_t *cr, const char *s, double size)
{
    cairo_text_extents_t e;
    cairo_set_font_size(cr, size);
    cairo_text_extents(cr, s, &e);
    return e.x_advance;
}

/* Draw s with its left edge at x and baseline at y. */
static void text_at(cairo_t *cr, const char *s, double x, double y, double size)
{
    cairo_set_font_size(cr, size);
    cairo_move_to(cr, x, y);
    cairo_show_text(cr, s);
}

static double tick_w(cairo_t *cr, const tick *tk, double size)
{
    return text_w(cr, tk->text, size) + (tk->sup[0] ? text_w(cr, tk->sup, size * 0.72) : 0);
}

/* A tick label; align 0 left, 0.5 centred, 1 right of x; y is the vertical centre. */
static void tick_label(cairo_t *cr, const tick *tk, double x, double y, double align, double size)
{
    double w = tick_w(cr, tk, size), x0 = x - align * w, base = y + size * 0.36;
    text_at(cr, tk->text, x0, base, size);
    if (tk->sup[0])
        text_at(cr, tk->sup, x0 + text_w(cr, tk->text, size), base - size * 0.45, size * 0.72);
}

/* A 1 px straight line in grey level g (grid lines, tick marks). */
static void stroke_line(cairo_t *cr, double g, double x0, double y0, double x1, double y1)
{
    cairo_set_source_rgb(cr, g, g, g);
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, x0, y0);
    cairo_line_to(cr, x1, y1);
    cairo_stroke(cr);
}

static void set_rgb(cairo_t *cr, const double *rgb)
{
    cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
}

static void draw_mark(cairo_t *cr, ct_plot_mark mk, double x, double y, double d)
{
    double r = d / 2;
    switch (mk) {
    case CT_MARK_CIRCLE:
        cairo_new_sub_path(cr);
        cairo_arc(cr, x, y, r, 0, 2 * M_PI);
        cairo_fill(cr);
        break;
    case CT_MARK_SQUARE:
        cairo_rectangle(cr, x - r, y - r, d, d);
        cairo_fill(cr);
        break;
    case CT_MARK_TRIANGLE:
        cairo_move_to(cr, x, y - r);
        cairo_line_to(cr, x + r, y + r * 0.8);
        cairo_line_to(cr, x - r, y + r * 0.8);
        cairo_close_path(cr);
        cairo_fill(cr);
        break;
    case CT_MARK_CROSS:
        cairo_move_to(cr, x - r, y - r);
        cairo_line_to(cr, x + r, y + r);
        cairo_move_to(cr, x - r, y + r);
        cairo_line_to(cr, x + r, y - r);
        cairo_stroke(cr);
        break;
    case CT_MARK_NONE:
        break;
    }
}

static void line_style(cairo_t *cr, const item *it)
{
    set_rgb(cr, it->rgb);
    cairo_set_line_width(cr, it->width);
    double dash[2] = {6, 4};
    cairo_set_dash(cr, dash, it->dashed ? 2 : 0, 0);
}

static void draw_item(cairo_t *cr, const item *it, const mapping *mx, const mapping *my, double top,
                      double bottom)
{
    line_style(cr, it);
    if (it->kind == IT_VLINE) {
        if (!usable(it->x[0], mx->scale)) return;
        double px = map(mx, it->x[0]);
        cairo_move_to(cr, px, top);
        cairo_line_to(cr, px, bottom);
        cairo_stroke(cr);
        if (it->label) text_at(cr, it->label, px + 4, top + 13, 11);
        return;
    }
    if (it->kind == IT_LINE) {
        int pen = 0;
        for (size_t i = 0; i < it->n; i++) {
            if (!usable(it->x[i], mx->scale) || !usable(it->y[i], my->scale)) {
                pen = 0;
                continue;
            }
            double px = map(mx, it->x[i]), py = map(my, it->y[i]);
            if (pen)
                cairo_line_to(cr, px, py);
            else
                cairo_move_to(cr, px, py);
            pen = 1;
        }
        cairo_stroke(cr);
    }
    cairo_set_dash(cr, NULL, 0, 0);
    for (size_t i = 0; i < it->n; i++) {
        if (!usable(it->x[i], mx->scale) || !usable(it->y[i], my->scale)) continue;
        double px = map(mx, it->x[i]), py = map(my, it->y[i]);
        if (it->elo || it->ehi) {
            double lo = it->y[i] - (it->elo ? it->elo[i] : 0);
            double hi = it->y[i] + (it->ehi ? it->ehi[i] : 0);
            double plo = usable(lo, my->scale) ? map(my, lo) : bottom, phi = map(my, hi);
            cairo_set_line_width(cr, 1.5);
            cairo_move_to(cr, px, plo);
            cairo_line_to(cr, px, phi);
            cairo_move_to(cr, px - 4, plo);
            cairo_line_to(cr, px + 4, plo);
            cairo_move_to(cr, px - 4, phi);
            cairo_line_to(cr, px + 4, phi);
            cairo_stroke(cr);
        }
        draw_mark(cr, it->mark, px, py, it->mark_size);
        if (it->kind == IT_MARKER && it->label) {
            cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
            text_at(cr, it->label, px + it->mark_size, py - it->mark_size, 12);
        }
    }
}

/* Data points of the panel's items that fall inside a box, to choose the legend's corner. */
static int points_under(const ct_plot *p, int panel, const mapping *mx, const mapping my[2],
                        double x0, double y0, double w, double h)
{
    int n = 0;
    for (size_t i = 0; i < p->n_items; i++) {
        const item *it = &p->items[i];
        if (it->panel != panel || it->kind == IT_VLINE) continue;
        for (size_t k = 0; k < it->n; k++) {
            if (!usable(it->x[k], mx->scale) || !usable(it->y[k], my[it->side].scale)) continue;
            double px = map(mx, it->x[k]), py = map(&my[it->side], it->y[k]);
            n += px >= x0 - 4 && px <= x0 + w + 4 && py >= y0 - 4 && py <= y0 + h + 4;
        }
    }
    return n;
}

#define LEGEND_SIZE 12.0
#define LEGEND_ROW 18.0

/* The legend box of a panel: its size, and the corner (top right, top left, bottom right,
 * bottom left) covering the fewest points. Returns the points it covers, -1 for no legend. */
static int legend_box(cairo_t *cr, const ct_plot *p, int panel, const mapping *mx,
                      const mapping my[2], double left, double right, double top, double bottom,
                      double *x0, double *y0, double *w, double *h)
{
    double wmax = 0;
    int n = 0;
    for (size_t i = 0; i < p->n_items; i++) {
        const item *it = &p->items[i];
        if (it->panel != panel || !it->label || it->kind == IT_VLINE) continue;
        char buf[160];
        snprintf(buf, sizeof buf, "%s%s", it->label, it->side == CT_PLOT_RIGHT ? " (right)" : "");
        wmax = fmax(wmax, text_w(cr, buf, LEGEND_SIZE));
        n++;
    }
    if (!n) return -1;
    *w = wmax + 46;
    *h = n * LEGEND_ROW + 8;
    double cx[4] = {right - *w - 8, left + 8, right - *w - 8, left + 8};
    double cy[4] = {top + 8, top + 8, bottom - *h - 8, bottom - *h - 8};
    int best = -1;
    for (int c = 0; c < 4; c++) {
        int under = points_under(p, panel, mx, my, cx[c], cy[c], *w, *h);
        if (best < 0 || under < best) {
            best = under;
            *x0 = cx[c];
            *y0 = cy[c];
        }
    }
    return best;
}

/* When every corner of the legend would cover data, raise the top of the panel's automatic
 * y ranges so the data leave a band for the legend. */
static void make_legend_room(cairo_t *cr, const ct_plot *p, int panel, const mapping *mx,
                             mapping my[2], double left, double right, double top, double bottom)
{
    double x0, y0, w, h;
    if (legend_box(cr, p, panel, mx, my, left, right, top, bottom, &x0, &y0, &w, &h) <= 0) return;
    double ph = bottom - top, keep = (ph - h - 16) / ph; /* fraction of the height for data */
    if (keep < 0.4) return;
    for (int s = 0; s < 2; s++) {
        mapping *m = &my[s];
        if (p->y[panel][s].fixed) continue;
        if (m->scale == CT_PLOT_LOG)
            m->hi = pow(10, log10(m->lo) + (log10(m->hi) - log10(m->lo)) / keep);
        else
            m->hi = m->lo + (m->hi - m->lo) / keep;
    }
}

static void draw_legend(cairo_t *cr, const ct_plot *p, int panel, const mapping *mx,
                        const mapping my[2], double left, double right, double top, double bottom)
{
    double size = LEGEND_SIZE, row = LEGEND_ROW, x0, y0, w, h;
    if (legend_box(cr, p, panel, mx, my, left, right, top, bottom, &x0, &y0, &w, &h) < 0) return;
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_rectangle(cr, x0, y0, w, h);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.75, 0.75, 0.75);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    int k = 0;
    for (size_t i = 0; i < p->n_items; i++) {
        const item *it = &p->items[i];
        if (it->panel != panel || !it->label || it->kind == IT_VLINE) continue;
        double y = y0 + 4 + row * (k++ + 0.5);
        line_style(cr, it);
        if (it->kind == IT_LINE) {
            cairo_move_to(cr, x0 + 8, y);
            cairo_line_to(cr, x0 + 32, y);
            cairo_stroke(cr);
        }
        cairo_set_dash(cr, NULL, 0, 0);
        draw_mark(cr, it->mark, x0 + 20, y, fmin(it->mark_size, 9));
        char buf[160];
        snprintf(buf, sizeof buf, "%s%s", it->label, it->side == CT_PLOT_RIGHT ? " (right)" : "");
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        text_at(cr, buf, x0 + 38, y + size * 0.36, size);
    }
}

/* Ranges of x and of every (panel, side) from the items. */
static void compute_ranges(const ct_plot *p, mapping *mx, mapping my[][2])
{
    double xlo = INFINITY, xhi = -INFINITY;
    double ylo[MAX_PANELS][2], yhi[MAX_PANELS][2];
    for (int i = 0; i < MAX_PANELS; i++)
        for (int s = 0; s < 2; s++) {
            ylo[i][s] = INFINITY;
            yhi[i][s] = -INFINITY;
            my[i][s].used = s == 0 || p->y[i][s].label != NULL;
        }
    for (size_t i = 0; i < p->n_items; i++) {
        const item *it = &p->items[i];
        for (size_t k = 0; k < it->n; k++)
            grow(&xlo, &xhi, it->x[k], p->x.scale);
        if (it->kind == IT_VLINE) continue;
        ct_plot_scale ys = p->y[it->panel][it->side].scale;
        double *lo = &ylo[it->panel][it->side], *hi = &yhi[it->panel][it->side];
        my[it->panel][it->side].used = 1;
        for (size_t k = 0; k < it->n; k++) {
            if (!usable(it->x[k], p->x.scale)) continue;
            grow(lo, hi, it->y[k], ys);
            if (it->elo) grow(lo, hi, it->y[k] - it->elo[k], ys);
            if (it->ehi) grow(lo, hi, it->y[k] + it->ehi[k], ys);
        }
    }
    for (size_t i = 0; i < p->n_xt; i++)
        grow(&xlo, &xhi, p->xt_at[i], p->x.scale);
    finish_range(&p->x, xlo, xhi, mx);
    for (int i = 0; i < p->n_panels; i++)
        for (int s = 0; s < 2; s++)
            finish_range(&p->y[i][s], ylo[i][s], yhi[i][s], &my[i][s]);
}

static void draw_y_axis(cairo_t *cr, const ct_plot *p, const mapping *m, const axis *a, int side,
                        double x, double top, double bottom, double left, double right)
{
    tick t[128];
    int n = make_ticks(m, (int)((bottom - top) / 45), t, 128);
    double lab_w = 0;
    for (int k = 0; k < n; k++) {
        double py = map(m, t[k].v);
        if (side == 0 && t[k].major)
            stroke_line(cr, 0.9, left, py, right, py); /* grid: left only */
        double len = t[k].major ? 5 : 3, dir = side ? 1 : -1;
        stroke_line(cr, 0.2, x, py, x + dir * len, py);
        if (t[k].major) {
            tick_label(cr, &t[k], x + dir * 8, py, side ? 0 : 1, 11);
            lab_w = fmax(lab_w, tick_w(cr, &t[k], 11));
        }
    }
    if (!a->label) return;
    cairo_save(cr);
    /* a fixed offset keeps the labels of stacked panels aligned; wider tick labels push it */
    double off = fmax(66, lab_w + 22), lx = side ? x + off : x - off;
    cairo_translate(cr, lx, (top + bottom) / 2);
    cairo_rotate(cr, side ? M_PI / 2 : -M_PI / 2);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    text_at(cr, a->label, -text_w(cr, a->label, 13) / 2, 0, 13);
    cairo_restore(cr);
    (void)p;
}

static void draw_x_ticks(cairo_t *cr, const ct_plot *p, const mapping *mx, double left,
                         double right, double top, double bottom, int labels)
{
    tick t[128];
    int n;
    if (p->n_xt) {
        n = (int)(p->n_xt < 128 ? p->n_xt : 128);
        for (int k = 0; k < n; k++) {
            t[k].v = p->xt_at[k];
            t[k].major = 1;
            t[k].sup[0] = '\0';
            snprintf(t[k].text, sizeof t[k].text, "%s", p->xt_label[k]);
        }
    } else {
        n = make_ticks(mx, (int)((right - left) / 90), t, 128);
    }
    for (int k = 0; k < n; k++) {
        if (!usable(t[k].v, mx->scale)) continue;
        double px = map(mx, t[k].v);
        if (px < left - 0.5 || px > right + 0.5) continue;
        if (t[k].major) stroke_line(cr, 0.9, px, top, px, bottom);
        stroke_line(cr, 0.2, px, bottom, px, bottom + (t[k].major ? 5 : 3));
        if (labels && t[k].major) tick_label(cr, &t[k], px, bottom + 16, 0.5, 11);
    }
}

ct_status ct_plot_write_png(const ct_plot *p, const char *path)
{
    mapping mx, my[MAX_PANELS][2];
    compute_ranges(p, &mx, my);
    int has_right = 0;
    for (int i = 0; i < p->n_panels; i++)
        has_right |= my[i][1].used;
    double left = 88, right = p->w - (has_right ? 88 : 24), top = p->title ? 44 : 18;
    double bottom_margin = p->x.label ? 58 : 36, gap = 24;
    double ph = (p->h - top - bottom_margin - gap * (p->n_panels - 1)) / p->n_panels;

    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, p->w, p->h);
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(surf);
        return ct_error(CT_ERR_HOST_OOM, "plot.c: cannot create a %dx%d image", p->w, p->h);
    }
    cairo_t *cr = cairo_create(surf);
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    mx.px0 = left;
    mx.px1 = right;
    for (int i = 0; i < p->n_panels; i++) {
        double t0 = top + i * (ph + gap), t1 = t0 + ph;
        int last = i == p->n_panels - 1;
        for (int s = 0; s < 2; s++) {
            my[i][s].px0 = t1;
            my[i][s].px1 = t0;
        }
        make_legend_room(cr, p, i, &mx, my[i], left, right, t0, t1);
        draw_x_ticks(cr, p, &mx, left, right, t0, t1, last);
        draw_y_axis(cr, p, &my[i][0], &p->y[i][0], 0, left, t0, t1, left, right);
        if (my[i][1].used)
            draw_y_axis(cr, p, &my[i][1], &p->y[i][1], 1, right, t0, t1, left, right);
        cairo_save(cr);
        cairo_rectangle(cr, left, t0, right - left, ph);
        cairo_clip(cr);
        for (size_t k = 0; k < p->n_items; k++) {
            const item *it = &p->items[k];
            if (it->panel == i || (it->kind == IT_VLINE && it->panel == -1))
                draw_item(cr, it, &mx, &my[i][it->side], t0, t1);
        }
        cairo_restore(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        cairo_set_line_width(cr, 1);
        cairo_rectangle(cr, left + 0.5, t0 + 0.5, right - left - 1, ph - 1);
        cairo_stroke(cr);
        draw_legend(cr, p, i, &mx, my[i], left, right, t0, t1);
    }
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    if (p->x.label)
        text_at(cr, p->x.label, (left + right) / 2 - text_w(cr, p->x.label, 13) / 2, p->h - 14, 13);
    if (p->title) { /* shrink a long title to the width, down to 9 px */
        cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
        double size = 15, w;
        while ((w = text_w(cr, p->title, size)) > p->w - 16 && size > 9)
            size -= 0.5;
        double x0 = fmax(8, (left + right) / 2 - w / 2);
        if (x0 + w > p->w - 8) x0 = fmax(8, p->w - 8 - w);
        text_at(cr, p->title, x0, 27, size);
    }
    cairo_destroy(cr);
    cairo_status_t cs = cairo_surface_write_to_png(surf, path);
    cairo_surface_destroy(surf);
    if (cs != CAIRO_STATUS_SUCCESS)
        return ct_error(CT_ERR_IO, "plot.c: cannot write PNG '%s': %s", path,
                        cairo_status_to_string(cs));
    return CT_OK;
}
