/* Plain-C double-precision conv2d reference: direct nested loops over the definition, forward and
 * both backward passes. Test-only; shares no code with kernels/conv.cl or src/ops/conv.c. */
#include <stddef.h>
#include <string.h>

#include "ref.h"

/* output size, computed here rather than by the library under test */
static int ref_oh(const ct_conv2d_p *p) { return (p->h + 2 * p->pad - p->kh) / p->stride + 1; }
static int ref_ow(const ct_conv2d_p *p) { return (p->w + 2 * p->pad - p->kw) / p->stride + 1; }

/* Visit every (output element, weight element, input element) triple of the convolution:
 * out[n, co, oy, ox] += w[co, ci, ky, kx] * in[n, g*Cg + ci, oy*s - pad + ky, ox*s - pad + kx].
 * mode 0: forward (acc out), 1: data grad (acc din), 2: weight grad (acc dw). */
static void conv_loops(int mode, double *out, double *in, double *w, const ct_conv2d_p *p)
{
    const int oh = ref_oh(p), ow = ref_ow(p);
    const int cg = p->c_in / p->groups, cog = p->c_out / p->groups;
    for (int n = 0; n < p->n; n++)
        for (int co = 0; co < p->c_out; co++) {
            const int g = co / cog;
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    double *o = &out[(((size_t)n * p->c_out + co) * oh + oy) * ow + ox];
                    for (int ci = 0; ci < cg; ci++)
                        for (int ky = 0; ky < p->kh; ky++) {
                            const int y = oy * p->stride - p->pad + ky;
                            if (y < 0 || y >= p->h) continue;
                            for (int kx = 0; kx < p->kw; kx++) {
                                const int x = ox * p->stride - p->pad + kx;
                                if (x < 0 || x >= p->w) continue;
                                double *iv = &in[(((size_t)n * p->c_in + g * cg + ci) * p->h + y) *
                                                     p->w + x];
                                double *wv = &w[(((size_t)co * cg + ci) * p->kh + ky) * p->kw + kx];
                                if (mode == 0) *o += *wv * *iv;
                                else if (mode == 1) *iv += *wv * *o;
                                else *wv += *o * *iv;
                            }
                        }
                }
        }
}

static size_t out_numel(const ct_conv2d_p *p)
{
    return (size_t)p->n * p->c_out * ref_oh(p) * ref_ow(p);
}

void ref_conv2d_forward(double *out, const double *in, const double *w, const double *bias,
                        const ct_conv2d_p *p)
{
    const size_t plane = (size_t)ref_oh(p) * ref_ow(p);
    for (size_t i = 0; i < out_numel(p); i++) out[i] = bias ? bias[(i / plane) % p->c_out] : 0.0;
    conv_loops(0, out, (double *)in, (double *)w, p); /* mode 0 writes only out */
}

void ref_conv2d_backward_data(double *din, const double *dout, const double *w,
                              const ct_conv2d_p *p)
{
    memset(din, 0, (size_t)p->n * p->c_in * p->h * p->w * sizeof *din);
    conv_loops(1, (double *)dout, din, (double *)w, p); /* mode 1 writes only din */
}

void ref_conv2d_backward_weight(double *dw, double *dbias, const double *dout, const double *in,
                                const ct_conv2d_p *p)
{
    memset(dw, 0, (size_t)p->c_out * (p->c_in / p->groups) * p->kh * p->kw * sizeof *dw);
    conv_loops(2, (double *)dout, (double *)in, dw, p); /* mode 2 writes only dw */
    if (!dbias) return;
    const size_t plane = (size_t)ref_oh(p) * ref_ow(p);
    for (int c = 0; c < p->c_out; c++) dbias[c] = 0;
    for (size_t i = 0; i < out_numel(p); i++) dbias[(i / plane) % p->c_out] += dout[i];
}
