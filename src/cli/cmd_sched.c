/* `cltrain sched`: the per-batch (lr, mom) a schedule gives, as CSV and optionally a PNG plot.
 * Uses ct_sched_batch, the trainer's own call; it must not compute schedule values itself. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cltrain/plot.h"
#include "cltrain/sched.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: cltrain sched --sched SPEC [--lr LR] [--epochs E]\n"
               "                     (--iters-per-epoch N | --n-train N --bs B)\n"
               "                     [--out FILE.csv] [--plot FILE.png]\n"
               "Prints the learning rate and momentum the trainer pushes for every training\n"
               "batch, as CSV: iter,epoch,pos,lr,mom (mom empty when not scheduled).\n\n"
               "  --sched SPEC           a preset or a composed schedule (below)\n"
               "  --lr LR                the base (maximum) learning rate; not used by lr_find\n"
               "  --epochs E             epochs (sgdr and lr_find imply their own)\n"
               "  --iters-per-epoch N    training batches per epoch, or\n"
               "  --n-train N --bs B     N training images in batches of B (last partial batch\n"
               "                         dropped: N/B batches per epoch)\n"
               "  --out FILE.csv         write the CSV to FILE instead of stdout\n"
               "  --plot FILE.png        draw lr and mom against iteration\n\n");
    char help[4096];
    if (ct_sched_help(help, sizeof help) == CT_OK) fputs(help, f);
}

static int usage_error(const char *fmt, const char *a)
{
    fprintf(stderr, "cltrain sched: ");
    fprintf(stderr, fmt, a);
    fprintf(stderr, "\n");
    usage(stderr);
    return CT_EXIT_USAGE;
}

/* A finite number > 0, or a whole number >= 1 when integer is set. */
static int parse_positive(const char *s, int integer, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return *s && !*end && !errno && isfinite(*v) && *v > 0 &&
           (!integer || (*v == floor(*v) && *v <= 2147483647.0));
}

static int write_csv(FILE *f, const ct_sched *s, const ct_sched_run *run, double lr,
                     ct_sched_value *vals)
{
    if (fprintf(f, "iter,epoch,pos,lr,mom\n") < 0) return -1;
    long k = 0;
    for (int e = 0; e < run->n_epoch; e++)
        for (int j = 0; j < run->n_iter && k < run->n_batches; j++, k++) {
            ct_sched_value *v = &vals[k];
            ct_sched_batch(s, run, e, j, lr, v);
            char pos[40], lrs[40], mom[40] = "";
            ct_sched_fmt(pos, sizeof pos, v->pos);
            ct_sched_fmt(lrs, sizeof lrs, v->lr);
            if (v->mom_scheduled) ct_sched_fmt(mom, sizeof mom, v->mom);
            if (fprintf(f, "%ld,%d,%s,%s,%s\n", k, e, pos, lrs, mom) < 0) return -1;
        }
    return 0;
}

static ct_status plot_sched(const char *path, const char *canon, const ct_sched_value *vals,
                            long n, double lr)
{
    int mom = n > 0 && vals[0].mom_scheduled;
    double *x = malloc((size_t)(n ? n : 1) * 3 * sizeof *x);
    if (!x) return ct_error(CT_ERR_HOST_OOM, "sched plot: out of memory for %ld points", n);
    double *y_lr = x + n, *y_mom = x + 2 * n;
    for (long i = 0; i < n; i++) {
        x[i] = (double)i;
        y_lr[i] = vals[i].lr;
        y_mom[i] = vals[i].mom;
    }
    ct_plot *p = NULL;
    ct_status st;
    char title[1200];
    snprintf(title, sizeof title, "%s   (lr %g)%s", canon, lr, mom ? "" : "   mom not scheduled");
    CT_TRY(ct_plot_new(960, mom ? 640 : 420, mom ? 2 : 1, &p));
    CT_TRY(ct_plot_title(p, title));
    CT_TRY(ct_plot_xaxis(p, "iteration", CT_PLOT_LINEAR));
    CT_TRY(ct_plot_yaxis(p, 0, CT_PLOT_LEFT, "learning rate", CT_PLOT_LINEAR));
    CT_TRY(ct_plot_line(p, 0, CT_PLOT_LEFT, "lr", x, y_lr, (size_t)n, NULL));
    if (mom) {
        CT_TRY(ct_plot_yaxis(p, 1, CT_PLOT_LEFT, "momentum", CT_PLOT_LINEAR));
        CT_TRY(ct_plot_line(p, 1, CT_PLOT_LEFT, "mom", x, y_mom, (size_t)n, NULL));
    }
    CT_TRY(ct_plot_write_png(p, path));
fail:
    ct_plot_free(p);
    free(x);
    return st;
}

int cmd_sched(int argc, char **argv)
{
    const char *spec = NULL, *out_path = NULL, *plot_path = NULL;
    double lr = 0, epochs = 0, ipe = 0, n_train = 0, bs = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return CT_EXIT_OK;
        }
        static const char *const flags[] = {"--sched", "--lr", "--epochs", "--iters-per-epoch",
                                             "--n-train", "--bs", "--out", "--plot"};
        int f = -1;
        const char *val = NULL;
        for (int k = 0; k < 8 && f < 0; k++) {
            size_t len = strlen(flags[k]);
            if (!strncmp(a, flags[k], len) && (a[len] == '\0' || a[len] == '=')) {
                f = k;
                val = a[len] == '=' ? a + len + 1 : (i + 1 < argc ? argv[++i] : NULL);
            }
        }
        if (f < 0) return usage_error("unknown argument '%s'", a);
        if (!val) return usage_error("%s needs a value", flags[f]);
        double *num[8] = {NULL, &lr, &epochs, &ipe, &n_train, &bs, NULL, NULL};
        if (f == 0) spec = val;
        else if (f == 6) out_path = val;
        else if (f == 7) plot_path = val;
        else if (!parse_positive(val, f != 1, num[f]))
            return usage_error(f == 1 ? "--lr wants a number > 0, not '%s'"
                                      : "expected a whole number >= 1, not '%s'",
                               val);
    }
    if (!spec) return usage_error("%s", "--sched SPEC is required");
    if ((ipe > 0) == (n_train > 0 || bs > 0) || (n_train > 0) != (bs > 0))
        return usage_error("%s", "give either --iters-per-epoch N or both --n-train N and --bs B");
    int n_iter = ipe > 0 ? (int)ipe : (int)(n_train / bs);

    ct_sched *s = NULL;
    ct_status st = ct_sched_parse(spec, &s);
    if (st != CT_OK) {
        cli_report("--sched", st);
        return CT_EXIT_USAGE;
    }
    int rc = CT_EXIT_FAIL;
    ct_sched_value *vals = NULL;
    FILE *f = NULL;
    char canon[1024];
    ct_sched_run run;
    if (ct_sched_lr_relative(s) && !(lr > 0)) {
        usage_error("--lr LR is required for '%s'", ct_sched_name(s));
        rc = CT_EXIT_USAGE;
        goto done;
    }
    if ((st = ct_sched_plan(s, (int)epochs, n_iter, &run)) != CT_OK) {
        cli_report("planning the schedule", st);
        rc = CT_EXIT_USAGE;
        goto done;
    }
    if ((st = ct_sched_canonical(s, canon, sizeof canon)) != CT_OK) {
        cli_report("spelling out the schedule", st);
        goto done;
    }
    fprintf(stderr, "cltrain sched: %s; lr %g; %d epochs x %d batches; %ld batches scheduled\n",
            canon, lr, run.n_epoch, run.n_iter, run.n_batches);
    vals = malloc((size_t)(run.n_batches ? run.n_batches : 1) * sizeof *vals);
    if (!vals) {
        fprintf(stderr, "cltrain sched: out of memory for %ld batches\n", run.n_batches);
        goto done;
    }
    f = out_path ? fopen(out_path, "w") : stdout;
    if (!f) {
        fprintf(stderr, "cltrain sched: cannot open '%s': %s\n", out_path, strerror(errno));
        goto done;
    }
    if (write_csv(f, s, &run, lr, vals) != 0 || fflush(f) != 0) {
        fprintf(stderr, "cltrain sched: writing the CSV failed: %s\n", strerror(errno));
        goto done;
    }
    if (plot_path && (st = plot_sched(plot_path, canon, vals, run.n_batches, lr)) != CT_OK) {
        cli_report("--plot", st);
        goto done;
    }
    rc = CT_EXIT_OK;
done:
    if (f && f != stdout && fclose(f) != 0 && rc == CT_EXIT_OK) {
        fprintf(stderr, "cltrain sched: closing '%s' failed\n", out_path);
        rc = CT_EXIT_FAIL;
    }
    free(vals);
    ct_sched_free(s);
    return rc;
}
