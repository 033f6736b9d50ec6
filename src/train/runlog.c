/* Run outputs of a learner in its out dir: metrics.csv (per epoch), batches.csv (per batch, the
 * values pushed), summary.json, and PNG plots (loss, lr/mom, accuracy). Rewritten whole after
 * every epoch and checkpoint, atomically. Reads learner state; never changes it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/checkpoint.h"
#include "cltrain/plot.h"
#include "learner_internal.h"

/* Write what `fill` prints into a memory stream to dir/name atomically. */
static ct_status write_text(const char *dir, const char *name, void (*fill)(ct_learner *, FILE *),
                            ct_learner *L)
{
    char path[1100], *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) return ct_error(CT_ERR_HOST_OOM, "runlog.c: no memory for %s", name);
    fill(L, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    ct_status st = ct_write_file_atomic(path, buf, n);
    free(buf);
    return st;
}

static void fill_metrics(ct_learner *L, FILE *f)
{
    fprintf(f, "epoch,train_loss,train_loss_mean,valid_loss,accuracy,top_5,time_s,img_per_s\n");
    for (int i = 0; i < L->n_epochs_done; i++) {
        const ct_epoch_result *r = &L->epochs[i];
        fprintf(f, "%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.2f,%.1f\n", r->epoch, r->train_loss, r->train_mean,
                r->valid_loss, r->accuracy, r->top5, r->seconds, r->img_per_s);
    }
}

static void fill_batches(ct_learner *L, FILE *f)
{
    fprintf(f, "iter,epoch,lr,mom,loss\n");
    for (long i = 0; i < L->step; i++)
        fprintf(f, "%ld,%ld,%.9g,%.9g,%.9g\n", i, i / L->run.n_iter, (double)L->hist_lr[i],
                (double)L->hist_mom[i], (double)L->hist_loss[i]);
}

static void fill_summary(ct_learner *L, FILE *f)
{
    json_t *o = json_object(), *ep = json_array();
    const ct_device_info *dev = ct_ctx_info(L->ctx);
    json_object_set_new(o, "config", ct_train_cfg_to_json(&L->cfg));
    json_object_set_new(o, "data", ct_train_data_to_json(L->info, L->ds));
    json_object_set_new(o, "device", json_string(dev->name));
    json_object_set_new(o, "params", json_integer((json_int_t)ct_model_param_count(L->model)));
    json_object_set_new(o, "n_train", json_integer((json_int_t)L->info->n_train));
    json_object_set_new(o, "n_valid", json_integer((json_int_t)L->info->n_valid));
    json_object_set_new(o, "n_iter", json_integer(L->run.n_iter));
    json_object_set_new(o, "epochs_done", json_integer(L->n_epochs_done));
    json_object_set_new(o, "step", json_integer(L->step));
    json_object_set_new(o, "finished", json_boolean(L->epoch >= L->run.n_epoch));
    double total = 0;
    for (int i = 0; i < L->n_epochs_done; i++) {
        json_array_append_new(ep, ct_train_epoch_json(&L->epochs[i]));
        total += L->epochs[i].seconds;
    }
    json_object_set_new(o, "epochs", ep);
    json_object_set_new(o, "train_seconds", json_real(total));
    if (L->n_epochs_done > 0) {
        const ct_epoch_result *r = &L->epochs[L->n_epochs_done - 1];
        json_object_set_new(o, "final_accuracy", json_real(r->accuracy));
        json_object_set_new(o, "final_top_5", json_real(r->top5));
        json_object_set_new(o, "final_valid_loss", json_real(r->valid_loss));
    }
    json_dumpf(o, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    fputc('\n', f);
    json_decref(o);
}

/* Plots: loss per batch (and valid loss at epoch ends), lr and mom pushed, accuracy per epoch. */
static ct_status write_plots(ct_learner *L)
{
    ct_status st = CT_OK;
    long n = L->step;
    int ne = L->n_epochs_done;
    char path[1100];
    ct_plot *p = NULL;
    double *x = malloc(sizeof(double) * (size_t)(n + 1)), *y = malloc(sizeof(double) * (size_t)(n + 1));
    double *ex = malloc(sizeof(double) * (size_t)(ne + 1)), *ey = malloc(sizeof(double) * (size_t)(ne + 1));
    double *ey5 = malloc(sizeof(double) * (size_t)(ne + 1));
    if (!x || !y || !ex || !ey || !ey5) CT_FAIL(CT_ERR_HOST_OOM, "runlog.c: no memory for plots");
    if (n < 2) goto fail;
    for (long i = 0; i < n; i++) x[i] = (double)i;

    /* loss */
    CT_TRY(ct_plot_new(900, 500, 1, &p));
    CT_TRY(ct_plot_title(p, "loss"));
    CT_TRY(ct_plot_xaxis(p, "iteration", CT_PLOT_LINEAR));
    CT_TRY(ct_plot_yaxis(p, 0, CT_PLOT_LEFT, "loss", CT_PLOT_LINEAR));
    for (long i = 0; i < n; i++) y[i] = L->hist_loss[i];
    CT_TRY(ct_plot_line(p, 0, CT_PLOT_LEFT, "train (batch)", x, y, (size_t)n, NULL));
    for (int i = 0; i < ne; i++) {
        ex[i] = (double)(L->epochs[i].epoch + 1) * L->run.n_iter - 1;
        ey[i] = L->epochs[i].valid_loss;
    }
    if (ne > 0) {
        ct_plot_style s = {.mark = CT_MARK_CIRCLE};
        CT_TRY(ct_plot_line(p, 0, CT_PLOT_LEFT, "valid", ex, ey, (size_t)ne, &s));
    }
    snprintf(path, sizeof path, "%s/loss.png", L->out_dir);
    CT_TRY(ct_plot_write_png(p, path));
    ct_plot_free(p);
    p = NULL;

    /* lr and mom */
    CT_TRY(ct_plot_new(900, 600, 2, &p));
    CT_TRY(ct_plot_title(p, L->cfg.sched));
    CT_TRY(ct_plot_xaxis(p, "iteration", CT_PLOT_LINEAR));
    CT_TRY(ct_plot_yaxis(p, 0, CT_PLOT_LEFT, "lr", CT_PLOT_LINEAR));
    CT_TRY(ct_plot_yaxis(p, 1, CT_PLOT_LEFT, "mom", CT_PLOT_LINEAR));
    for (long i = 0; i < n; i++) y[i] = L->hist_lr[i];
    CT_TRY(ct_plot_line(p, 0, CT_PLOT_LEFT, "lr", x, y, (size_t)n, NULL));
    for (long i = 0; i < n; i++) y[i] = L->hist_mom[i];
    CT_TRY(ct_plot_line(p, 1, CT_PLOT_LEFT, "mom", x, y, (size_t)n, NULL));
    snprintf(path, sizeof path, "%s/sched.png", L->out_dir);
    CT_TRY(ct_plot_write_png(p, path));
    ct_plot_free(p);
    p = NULL;

    /* accuracy */
    if (ne > 0) {
        for (int i = 0; i < ne; i++) {
            ex[i] = L->epochs[i].epoch;
            ey[i] = L->epochs[i].accuracy;
            ey5[i] = L->epochs[i].top5;
        }
        ct_plot_style s = {.mark = CT_MARK_CIRCLE};
        CT_TRY(ct_plot_new(700, 450, 1, &p));
        CT_TRY(ct_plot_title(p, "validation accuracy"));
        CT_TRY(ct_plot_xaxis(p, "epoch", CT_PLOT_LINEAR));
        CT_TRY(ct_plot_yaxis(p, 0, CT_PLOT_LEFT, "accuracy", CT_PLOT_LINEAR));
        CT_TRY(ct_plot_line(p, 0, CT_PLOT_LEFT, "top-1", ex, ey, (size_t)ne, &s));
        if (L->n_classes >= 5) CT_TRY(ct_plot_line(p, 0, CT_PLOT_LEFT, "top-5", ex, ey5, (size_t)ne, &s));
        snprintf(path, sizeof path, "%s/accuracy.png", L->out_dir);
        CT_TRY(ct_plot_write_png(p, path));
    }
fail:
    ct_plot_free(p);
    free(x), free(y), free(ex), free(ey), free(ey5);
    return st;
}

ct_status ct_train_write_outputs(ct_learner *L)
{
    ct_status st;
    if (!L->out_dir[0]) return CT_OK;
    if ((st = write_text(L->out_dir, "metrics.csv", fill_metrics, L)) != CT_OK) return st;
    if ((st = write_text(L->out_dir, "batches.csv", fill_batches, L)) != CT_OK) return st;
    if ((st = write_text(L->out_dir, "summary.json", fill_summary, L)) != CT_OK) return st;
    return write_plots(L);
}
