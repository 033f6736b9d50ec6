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
               "  --plot FILE.png        draw lr and mom against iteration; several --sched\n"
               "                         overlay their curves (plot only, no CSV)\n\n");
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

#define MAX_SCHED 8

/* One --sched: the parsed schedule, its run and every batch's values. */
typedef struct {
    const char *spec;
    ct_sched *s;
    ct_sched_run run;
    ct_sched_value *vals; /* (run.n_batches) */
    char canon[1024];
} entry;

/* Every batch's values through the trainer's call, in batch order. */
static void fill_values(entry *en, double lr)
{
    long k = 0;
    for (int e = 0; e < en->run.n_epoch; e++)
        for (int j = 0; j < en->run.n_iter && k < en->run.n_batches; j++, k++)
            ct_sched_batch(en->s, &en->run, e, j, lr, &en->vals[k]);
}

static int write_csv(FILE *f, const entry *en)
{
    if (fprintf(f, "iter,epoch,pos,lr,mom\n") < 0) return -1;
    for (long k = 0; k < en->run.n_batches; k++) {
        const ct_sched_value *v = &en->vals[k];
        char pos[40], lrs[40], mom[40] = "";
        ct_sched_fmt(pos, sizeof pos, v->pos);
        ct_sched_fmt(lrs, sizeof lrs, v->lr);
        if (v->mom_scheduled) ct_sched_fmt(mom, sizeof mom, v->mom);
        if (fprintf(f, "%ld,%ld,%s,%s,%s\n", k, k / en->run.n_iter, pos, lrs, mom) < 0) return -1;
    }
    return 0;
}

/* lr (top panel) and, when any schedule sets it, mom (bottom) against iteration. */
static ct_status plot_scheds(const char *path, const entry *en, int n, double lr)
{
    static const char *const colors[MAX_SCHED] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                                  "#9467bd", "#8c564b", "#e377c2", "#17becf"};
    int any_mom = 0;
    long most = 1;
    for (int i = 0; i < n; i++) {
        any_mom |= ct_sched_mom_scheduled(en[i].s);
        if (en[i].run.n_batches > most) most = en[i].run.n_batches;
    }
    ct_plot *p = NULL;
    ct_status st;
    double *buf = malloc((size_t)most * 3 * sizeof *buf);
    if (!buf) return ct_error(CT_ERR_HOST_OOM, "sched plot: out of memory for %ld points", most);
    double *x = buf, *y_lr = buf + most, *y_mom = buf + 2 * most;
    char title[1200];
    if (n == 1)
        snprintf(title, sizeof title, "%s   (lr %g)%s", en[0].canon, lr,
                 any_mom ? "" : "   mom not scheduled");
    else
        snprintf(title, sizeof title, "learning-rate and momentum schedules (lr %g)", lr);
    CT_TRY(ct_plot_new(960, any_mom ? 640 : 420, any_mom ? 2 : 1, &p));
    CT_TRY(ct_plot_title(p, title));
    CT_TRY(ct_plot_xaxis(p, "iteration", CT_PLOT_LINEAR));
    CT_TRY(ct_plot_yaxis(p, 0, CT_PLOT_LEFT, "learning rate", CT_PLOT_LINEAR));
    if (any_mom) CT_TRY(ct_plot_yaxis(p, 1, CT_PLOT_LEFT, "momentum", CT_PLOT_LINEAR));
    for (int i = 0; i < n; i++) {
        long m = en[i].run.n_batches;
        for (long k = 0; k < m; k++) {
            x[k] = (double)k;
            y_lr[k] = en[i].vals[k].lr;
            y_mom[k] = en[i].vals[k].mom;
        }
        ct_plot_style style = {colors[i], 2, 0, CT_MARK_NONE, 0};
        char label[300];
        snprintf(label, sizeof label, "%s%s", n == 1 ? "lr" : en[i].spec,
                 n > 1 && !ct_sched_mom_scheduled(en[i].s) ? " (mom not scheduled)" : "");
        CT_TRY(ct_plot_line(p, 0, CT_PLOT_LEFT, label, x, y_lr, (size_t)m, &style));
        if (ct_sched_mom_scheduled(en[i].s))
            CT_TRY(ct_plot_line(p, 1, CT_PLOT_LEFT, n == 1 ? "mom" : en[i].spec, x, y_mom,
                                (size_t)m, &style));
    }
    CT_TRY(ct_plot_write_png(p, path));
fail:
    ct_plot_free(p);
    free(buf);
    return st;
}

/* Parse, plan and evaluate one --sched; returns an exit code. */
static int prepare(entry *en, double lr, int epochs, int n_iter)
{
    ct_status st = ct_sched_parse(en->spec, &en->s);
    if (st != CT_OK) {
        cli_report("--sched", st);
        return CT_EXIT_USAGE;
    }
    if (ct_sched_lr_relative(en->s) && !(lr > 0))
        return usage_error("--lr LR is required for '%s'", ct_sched_name(en->s));
    if ((st = ct_sched_plan(en->s, epochs, n_iter, &en->run)) != CT_OK) {
        cli_report("planning the schedule", st);
        return CT_EXIT_USAGE;
    }
    if ((st = ct_sched_canonical(en->s, en->canon, sizeof en->canon)) != CT_OK) {
        cli_report("spelling out the schedule", st);
        return CT_EXIT_FAIL;
    }
    fprintf(stderr, "cltrain sched: %s; lr %g; %d epochs x %d batches; %ld batches scheduled\n",
            en->canon, lr, en->run.n_epoch, en->run.n_iter, en->run.n_batches);
    en->vals = malloc((size_t)en->run.n_batches * sizeof *en->vals);
    if (!en->vals) {
        fprintf(stderr, "cltrain sched: out of memory for %ld batches\n", en->run.n_batches);
        return CT_EXIT_FAIL;
    }
    fill_values(en, lr);
    return CT_EXIT_OK;
}

int cmd_sched(int argc, char **argv)
{
    entry en[MAX_SCHED];
    int n_sched = 0;
    const char *out_path = NULL, *plot_path = NULL;
    double lr = 0, epochs = 0, ipe = 0, n_train = 0, bs = 0;
    memset(en, 0, sizeof en);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return CT_EXIT_OK;
        }
        static const char *const flags[] = {"--sched",   "--lr", "--epochs", "--iters-per-epoch",
                                            "--n-train", "--bs", "--out",    "--plot"};
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
        if (f == 0) {
            if (n_sched == MAX_SCHED) return usage_error("at most %s --sched", "8");
            en[n_sched++].spec = val;
        } else if (f == 6) {
            out_path = val;
        } else if (f == 7) {
            plot_path = val;
        } else if (!parse_positive(val, f != 1, num[f])) {
            return usage_error(f == 1 ? "--lr wants a number > 0, not '%s'"
                                      : "expected a whole number >= 1, not '%s'",
                               val);
        }
    }
    if (!n_sched) return usage_error("%s", "--sched SPEC is required");
    if (n_sched > 1 && (!plot_path || out_path))
        return usage_error("%s", "several --sched only with --plot (and without --out)");
    if ((ipe > 0) == (n_train > 0 || bs > 0) || (n_train > 0) != (bs > 0))
        return usage_error("%s", "give either --iters-per-epoch N or both --n-train N and --bs B");
    int n_iter = ipe > 0 ? (int)ipe : (int)(n_train / bs);

    int rc = CT_EXIT_OK;
    FILE *f = NULL;
    for (int i = 0; i < n_sched && rc == CT_EXIT_OK; i++)
        rc = prepare(&en[i], lr, (int)epochs, n_iter);
    if (rc == CT_EXIT_OK && n_sched == 1) {
        f = out_path ? fopen(out_path, "w") : stdout;
        if (!f) {
            fprintf(stderr, "cltrain sched: cannot open '%s': %s\n", out_path, strerror(errno));
            rc = CT_EXIT_FAIL;
        } else if (write_csv(f, &en[0]) != 0 || fflush(f) != 0) {
            fprintf(stderr, "cltrain sched: writing the CSV failed: %s\n", strerror(errno));
            rc = CT_EXIT_FAIL;
        }
    }
    if (rc == CT_EXIT_OK && plot_path) {
        ct_status st = plot_scheds(plot_path, en, n_sched, lr);
        if (st != CT_OK) {
            cli_report("--plot", st);
            rc = CT_EXIT_FAIL;
        }
    }
    if (f && f != stdout && fclose(f) != 0 && rc == CT_EXIT_OK) {
        fprintf(stderr, "cltrain sched: closing '%s' failed\n", out_path);
        rc = CT_EXIT_FAIL;
    }
    for (int i = 0; i < n_sched; i++) {
        free(en[i].vals);
        ct_sched_free(en[i].s);
    }
    return rc;
}
