/* `cltrain lr-find`: fastai's lr_find on the configured model and data; prints the valley
 * (default), slide, minimum/10 and steep suggestions and writes a log-x PNG with them marked. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cltrain/plot.h"
#include "train_flags.h"

static ct_status plot_curve(const ct_lr_find_result *r, const char *path)
{
    ct_status st;
    ct_plot *p = NULL;
    CT_TRY(ct_plot_new(900, 550, 1, &p));
    CT_TRY(ct_plot_title(p, "lr_find (smoothed loss)"));
    CT_TRY(ct_plot_xaxis(p, "learning rate", CT_PLOT_LOG));
    CT_TRY(ct_plot_yaxis(p, 0, CT_PLOT_LEFT, "loss", CT_PLOT_LINEAR));
    CT_TRY(ct_plot_line(p, 0, CT_PLOT_LEFT, "loss", r->lrs, r->losses, (size_t)r->n, NULL));
    const struct {
        const char *name, *color;
        double lr, loss;
    } m[] = {{"valley", "#d62728", r->sug.valley, r->sug.valley_loss},
             {"slide", "#2ca02c", r->sug.slide, r->sug.slide_loss},
             {"minimum/10", "#9467bd", r->sug.minimum, r->sug.minimum_loss},
             {"steep", "#ff7f0e", r->sug.steep, r->sug.steep_loss}};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        if (!isfinite(m[i].lr) || !isfinite(m[i].loss)) continue;
        char label[64];
        snprintf(label, sizeof label, "%s %.2e", m[i].name, m[i].lr);
        ct_plot_style s = {.color = m[i].color, .mark = CT_MARK_CIRCLE, .mark_size = 9};
        CT_TRY(ct_plot_marker(p, 0, CT_PLOT_LEFT, m[i].lr, m[i].loss, label, &s));
    }
    st = ct_plot_write_png(p, path);
fail:
    ct_plot_free(p);
    return st;
}

int cmd_lr_find(int argc, char **argv)
{
    ct_train_cfg cfg;
    cli_train_extra x;
    int rc = cli_train_parse(argc, argv, CLI_FLAGS_LR_FIND, &cfg, &x);
    if (rc >= 0) return rc;
    ct_ctx *ctx = cli_ctx();
    if (!ctx) return CT_EXIT_FAIL;
    ct_learner *L = NULL;
    ct_lr_find_result r;
    memset(&r, 0, sizeof r);
    ct_status st = ct_learner_create(&L, ctx, &cfg, NULL);
    if (st != CT_OK) {
        cli_report("setting up lr-find", st);
        ct_ctx_free(ctx);
        return CT_EXIT_FAIL;
    }
    cli_train_print_start(ctx, L, NULL, stdout);
    printf("sweep: lr %g -> %g over %d batches (smoothed loss, beta 0.98; stop at 4x best)\n",
           x.start_lr, x.end_lr, x.num_it);
    fflush(stdout);
    st = ct_learner_lr_find(L, x.start_lr, x.end_lr, x.num_it, &r);
    rc = CT_EXIT_OK;
    if (st != CT_OK) {
        cli_report("lr-find", st);
        rc = CT_EXIT_FAIL;
    } else {
        printf("ran %d batches%s; weights restored\n", r.n, r.diverged ? " (stopped: diverged)" : "");
        printf("suggestions (fastai):\n");
        printf("  valley:     %.3e  (default)\n", r.sug.valley);
        printf("  slide:      %.3e\n", r.sug.slide);
        printf("  minimum/10: %.3e\n", r.sug.minimum);
        printf("  steep:      %.3e\n", r.sug.steep);
        st = plot_curve(&r, x.plot);
        if (st != CT_OK) {
            cli_report("writing the plot", st);
            rc = CT_EXIT_FAIL;
        } else {
            printf("plot: %s\n", x.plot);
        }
    }
    ct_lr_find_free(&r);
    ct_learner_free(L);
    ct_ctx_free(ctx);
    return rc;
}
