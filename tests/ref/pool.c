/* Plain-C double-precision references for maxpool2d, avgpool2d (count_include_pad) and global
 * average pool, forward and backward (backward scatters). Test-only; no code shared with
 * kernels/pool.cl or src/ops/pool.c. */
#include <math.h>

#include "ref.h"

int ref_pool_out(int size, int k, int s, int pad, int ceil_mode)
{
    double q = (double)(size + 2 * pad - k) / s;
    int o = (int)(ceil_mode ? ceil(q) : floor(q)) + 1;
    /* PyTorch: with ceil_mode the last window must start inside the input or the left padding */
    if (ceil_mode && (o - 1) * s >= size + pad) o--;
    return o;
}

/* Output sizes oh, ow and the plane size hw of p, as locals. */
#define POOL_DIMS(p)                                                                               \
    int oh = ref_pool_out((p)->h, (p)->k, (p)->stride, (p)->pad, (p)->ceil_mode);                  \
    int ow = ref_pool_out((p)->w, (p)->k, (p)->stride, (p)->pad, (p)->ceil_mode);                  \
    size_t hw = (size_t)(p)->h * (p)->w
/* Visit every output (plane, oy, ox); window() clips it to the input [y0,y1) x [x0,x1) and gives
 * the count_include_pad divisor (the window clipped to the padded input only). */
#define POOL_LOOP(p, OH, OW)                                                                       \
    for (int pl = 0; pl < (p)->n * (p)->c; pl++)                                                   \
        for (int oy = 0; oy < (OH); oy++)                                                          \
            for (int ox = 0; ox < (OW); ox++)

static void window(const ct_pool_p *p, int oy, int ox, int *y0, int *y1, int *x0, int *x1,
                   int *div)
{
    int ys = oy * p->stride - p->pad, xs = ox * p->stride - p->pad;
    int ye = ys + p->k, xe = xs + p->k;
    int yp = ye < p->h + p->pad ? ye : p->h + p->pad, xp = xe < p->w + p->pad ? xe : p->w + p->pad;
    *div = (yp - ys) * (xp - xs);
    *y0 = ys > 0 ? ys : 0, *x0 = xs > 0 ? xs : 0;
    *y1 = ye < p->h ? ye : p->h, *x1 = xe < p->w ? xe : p->w;
}

void ref_maxpool_forward(double *out, int *argmax, const double *in, const ct_pool_p *p)
{
    POOL_DIMS(p);
    POOL_LOOP(p, oh, ow)
    {
        int y0, y1, x0, x1, div;
        window(p, oy, ox, &y0, &y1, &x0, &x1, &div);
        const double *x = in + pl * hw;
        double best = -INFINITY;
        int arg = -1;
        for (int y = y0; y < y1; y++)
            for (int xx = x0; xx < x1; xx++)
                if (arg < 0 || x[y * p->w + xx] > best) best = x[y * p->w + xx], arg = y * p->w + xx;
        size_t o = ((size_t)pl * oh + oy) * ow + ox;
        out[o] = best;
        if (argmax) argmax[o] = arg;
    }
}

void ref_maxpool_backward(double *din, const double *dout, const int *argmax, const ct_pool_p *p)
{
    POOL_DIMS(p);
    for (size_t i = 0; i < (size_t)p->n * p->c * hw; i++) din[i] = 0;
    POOL_LOOP(p, oh, ow)
    {
        size_t o = ((size_t)pl * oh + oy) * ow + ox;
        din[pl * hw + argmax[o]] += dout[o];
    }
}

void ref_avgpool_forward(double *out, const double *in, const ct_pool_p *p)
{
    POOL_DIMS(p);
    POOL_LOOP(p, oh, ow)
    {
        int y0, y1, x0, x1, div;
        window(p, oy, ox, &y0, &y1, &x0, &x1, &div);
        double s = 0;
        for (int y = y0; y < y1; y++)
            for (int xx = x0; xx < x1; xx++) s += in[pl * hw + y * p->w + xx];
        out[((size_t)pl * oh + oy) * ow + ox] = s / div;
    }
}

void ref_avgpool_backward(double *din, const double *dout, const ct_pool_p *p)
{
    POOL_DIMS(p);
    for (size_t i = 0; i < (size_t)p->n * p->c * hw; i++) din[i] = 0;
    POOL_LOOP(p, oh, ow)
    {
        int y0, y1, x0, x1, div;
        window(p, oy, ox, &y0, &y1, &x0, &x1, &div);
        double g = dout[((size_t)pl * oh + oy) * ow + ox] / div;
        for (int y = y0; y < y1; y++)
            for (int xx = x0; xx < x1; xx++) din[pl * hw + y * p->w + xx] += g;
    }
}

void ref_gap_forward(double *out, const double *in, int planes, int hw)
{
    for (int r = 0; r < planes; r++) {
        double s = 0;
        for (int j = 0; j < hw; j++) s += in[(size_t)r * hw + j];
        out[r] = s / hw;
    }
}

void ref_gap_backward(double *din, const double *dout, int planes, int hw)
{
    for (int r = 0; r < planes; r++)
        for (int j = 0; j < hw; j++) din[(size_t)r * hw + j] = dout[r] / hw;
}
