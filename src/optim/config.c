/* Optimizer configuration: fastai's factory defaults, the kind names and their parser, a one-line
 * description for logs. Pure host code: must not touch OpenCL. */
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "cltrain/optim.h"

static const char *const kind_names[CT_OPT_KIND_COUNT] = {"sgd", "adam", "radam", "ranger"};

void ct_optim_defaults(ct_optim_kind kind, ct_optim_cfg *cfg)
{
    *cfg = (ct_optim_cfg){.kind = kind, .decouple_wd = 1, .la_k = 6, .la_alpha = 0.5f};
    switch (kind) {
    case CT_OPT_SGD: /* SGD(lr, mom=0., wd=0.) */
        break;
    case CT_OPT_ADAM: /* Adam(lr, mom=0.9, sqr_mom=0.99, eps=1e-5, wd=0.01) */
        cfg->mom = 0.9f, cfg->sqr_mom = 0.99f, cfg->eps = 1e-5f, cfg->wd = 0.01f;
        break;
    case CT_OPT_RADAM: /* RAdam(lr, mom=0.9, sqr_mom=0.99, eps=1e-5, wd=0., beta=0.) */
        cfg->mom = 0.9f, cfg->sqr_mom = 0.99f, cfg->eps = 1e-5f;
        break;
    case CT_OPT_RANGER: /* Lookahead(RAdam(lr, mom=0.95, wd=0.01, eps=1e-6), k=6, alpha=0.5) */
        cfg->mom = 0.95f, cfg->sqr_mom = 0.99f, cfg->eps = 1e-6f, cfg->wd = 0.01f;
        cfg->lookahead = 1;
        break;
    default:
        break;
    }
}

const char *ct_optim_kind_name(ct_optim_kind kind)
{
    return (unsigned)kind < CT_OPT_KIND_COUNT ? kind_names[kind] : "?";
}

ct_status ct_optim_kind_parse(const char *name, ct_optim_kind *out)
{
    for (int k = 0; k < CT_OPT_KIND_COUNT; k++)
        if (name && !strcasecmp(name, kind_names[k])) {
            *out = (ct_optim_kind)k;
            return CT_OK;
        }
    return ct_error(CT_ERR_INVALID_ARG,
                    "unknown optimizer '%s'; valid names: sgd, adam, radam, "
                    "ranger",
                    name ? name : "(null)");
}

/* Append to buf[0..n) at *len, keeping it terminated and *len <= n - 1 when it does not fit. */
CT_PRINTF(4, 5) static void app(char *buf, size_t n, size_t *len, const char *fmt, ...)
{
    if (*len + 1 >= n) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *len, n - *len, fmt, ap);
    va_end(ap);
    if (w > 0) *len = *len + (size_t)w < n ? *len + (size_t)w : n - 1;
}

void ct_optim_describe(const ct_optim_cfg *c, char *buf, size_t n)
{
    size_t len = 0;
    if (n == 0) return;
    buf[0] = 0;
    app(buf, n, &len, "%s mom=%g", ct_optim_kind_name(c->kind), c->mom);
    if (c->kind != CT_OPT_SGD) app(buf, n, &len, " sqr_mom=%g eps=%g", c->sqr_mom, c->eps);
    app(buf, n, &len, " wd=%g (%s)", c->wd, c->decouple_wd ? "decoupled" : "L2");
    if (c->kind == CT_OPT_RADAM || c->kind == CT_OPT_RANGER) app(buf, n, &len, " beta=%g", c->beta);
    if (c->lookahead) app(buf, n, &len, " lookahead k=%d alpha=%g", c->la_k, c->la_alpha);
}
