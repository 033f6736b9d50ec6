/* `cltrain train`: flags (a table shared with lr-find), signals, progress bar / lines, the epoch
 * table, and exit codes (0 done, 1 failure, 2 usage, 130/143 interrupted with a checkpoint). */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "train_flags.h"

/* ---- the flag table ------------------------------------------------------------------------- */

enum {
    F_DATA, F_ARCH, F_EPOCHS, F_BS, F_LR, F_OPT, F_MOM, F_SQR_MOM, F_EPS, F_WD, F_SCHED, F_SIZE,
    F_LS, F_SEED, F_WORKERS, F_OUT, F_RESUME, F_LIMIT_TRAIN, F_LIMIT_VALID, F_ACT, F_SA, F_POOL,
    F_DROPOUT, F_AUG, F_STOP_AFTER, F_PROGRESS, F_START_LR, F_END_LR, F_NUM_IT, F_PLOT,
    F_PRESIZE, F_STRICT, F_LABELS_CSV, F_LABEL_COL, F_BETA, F_L2, F_LA_K, F_LA_ALPHA, F_COUNT
};

typedef struct {
    int id;
    const char *name, *metavar, *help;
    int family; /* CLI_FLAGS_* mask */
} flag;

#define BOTH (CLI_FLAGS_TRAIN | CLI_FLAGS_LR_FIND)
static const flag flags[] = {
    {F_DATA, "--data", "DIR", "dataset root (default: Fashion-MNIST, " CT_DATA_DEFAULT_PATH ")", BOTH},
    {F_ARCH, "--arch", "NAME", "xresnet18|34|50|101|152, xresnext50, xse_resnext18|34|50|101", BOTH},
    {F_EPOCHS, "--epochs", "N", "epochs", CLI_FLAGS_TRAIN},
    {F_BS, "--bs", "N", "batch size", BOTH},
    {F_LR, "--lr", "X", "base (maximum) learning rate", CLI_FLAGS_TRAIN},
    {F_OPT, "--opt", "NAME", "sgd|adam|radam|ranger (sets that optimizer's fastai defaults)", BOTH},
    {F_MOM, "--mom", "X", "momentum / beta1 (when the schedule does not set it)", BOTH},
    {F_SQR_MOM, "--sqr-mom", "X", "beta2", BOTH},
    {F_EPS, "--eps", "X", "epsilon (outside the sqrt)", BOTH},
    {F_WD, "--wd", "X", "decoupled weight decay (not on batchnorm params and biases)", BOTH},
    {F_SCHED, "--sched", "SPEC", "schedule: one_cycle, flat_cos, godzi:..., lr=...;mom=... "
                                 "(see cltrain sched --help)", CLI_FLAGS_TRAIN},
    {F_SIZE, "--size", "N", "image side in px (default: the dataset's)", BOTH},
    {F_LS, "--label-smoothing", "X", "label smoothing eps of the cross-entropy", BOTH},
    {F_SEED, "--seed", "N", "seed of init, shuffling, augmentation, subsets, dropout", BOTH},
    {F_WORKERS, "--workers", "N", "data loader threads (default: cores - 1)", BOTH},
    {F_OUT, "--out", "DIR", "run outputs and checkpoints (default runs/<arch>-<time>)", CLI_FLAGS_TRAIN},
    {F_RESUME, "--resume", "DIR", "continue the run checkpointed in DIR (its config is used)",
     CLI_FLAGS_TRAIN},
    {F_LIMIT_TRAIN, "--limit-train", "N", "a fixed random subset of N training items (0: all)", BOTH},
    {F_LIMIT_VALID, "--limit-valid", "N", "a fixed random subset of N validation items (0: all)", BOTH},
    {F_ACT, "--act", "relu|mish", "activation", BOTH},
    {F_SA, "--sa", NULL, "SimpleSelfAttention (fastai's position)", BOTH},
    {F_POOL, "--pool", "avg|max", "identity-path pool", BOTH},
    {F_DROPOUT, "--dropout", "P", "head dropout probability", BOTH},
    {F_AUG, "--aug", NULL, "small-image augmentation: pad 4 + random crop + flip", BOTH},
    {F_PRESIZE, "--presize", "PX", "image folders: decode once into a cache, shorter side PX", BOTH},
    {F_STRICT, "--strict", NULL, "a corrupt image is an error (default: skipped and counted)", BOTH},
    {F_LABELS_CSV, "--labels-csv", "FILE", "fastai noisy-label CSV (path,<col>...,is_valid)", BOTH},
    {F_LABEL_COL, "--label-col", "NAME", "its label column (default noisy_labels_0)", BOTH},
    {F_BETA, "--beta", "X", "RAdam/Ranger softplus beta of the denominator (0: off)", BOTH},
    {F_L2, "--l2", NULL, "L2 regularisation instead of decoupled weight decay", BOTH},
    {F_LA_K, "--la-k", "N", "Lookahead sync period k (ranger: 6)", BOTH},
    {F_LA_ALPHA, "--la-alpha", "X", "Lookahead alpha (ranger: 0.5)", BOTH},
    {F_STOP_AFTER, "--stop-after", "N", "checkpoint and stop after N batches in all (as on SIGINT)",
     CLI_FLAGS_TRAIN},
    {F_PROGRESS, "--progress", "MODE", "auto|bar|lines|none (auto: bar on a terminal)", CLI_FLAGS_TRAIN},
    {F_START_LR, "--start-lr", "X", "first lr of the sweep (1e-7)", CLI_FLAGS_LR_FIND},
    {F_END_LR, "--end-lr", "X", "lr the sweep heads for (10)", CLI_FLAGS_LR_FIND},
    {F_NUM_IT, "--num-it", "N", "batches of the sweep (100)", CLI_FLAGS_LR_FIND},
    {F_PLOT, "--plot", "FILE", "PNG of loss against lr (default lr_find.png)", CLI_FLAGS_LR_FIND},
};
static const int n_flags = (int)(sizeof flags / sizeof flags[0]);

static void usage(FILE *f, int family)
{
    ct_train_cfg d;
    ct_train_cfg_default(&d);
    fprintf(f, "usage: cltrain %s [OPTIONS]\n\n", family == CLI_FLAGS_TRAIN ? "train" : "lr-find");
    fprintf(f, family == CLI_FLAGS_TRAIN
                   ? "Trains a model; with no options, the default recipe on Fashion-MNIST:\n"
                   : "fastai's lr_find: exponential lr sweep, smoothed loss, suggestions:\n");
    ct_train_cfg_print(&d, f);
    fprintf(f, "\noptions:\n");
    for (int i = 0; i < n_flags; i++) {
        if (!(flags[i].family & family)) continue;
        char left[64];
        snprintf(left, sizeof left, "%s%s%s", flags[i].name, flags[i].metavar ? " " : "",
                 flags[i].metavar ? flags[i].metavar : "");
        fprintf(f, "  %-24s %s\n", left, flags[i].help);
    }
    fprintf(f, "  --device SEL             OpenCL device (global option)\n");
}

static int parse_num(const char *flag_name, const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !(x >= lo && x <= hi)) {
        fprintf(stderr, "cltrain: %s needs a number in [%g, %g], got '%s'\n", flag_name, lo, hi, v);
        return 0;
    }
    *out = x;
    return 1;
}

/* Apply one flag with value v (NULL for switches). 0 on a bad value (printed). */
static int apply(const flag *fl, const char *v, ct_train_cfg *c, cli_train_extra *x, double opt_vals[8])
{
    double d = 0;
    const char *n = fl->name;
    switch (fl->id) {
    case F_DATA: snprintf(c->data, sizeof c->data, "%s", v); return 1;
    case F_ARCH: snprintf(c->arch, sizeof c->arch, "%s", v); return 1;
    case F_EPOCHS: if (!parse_num(n, v, 1, 100000, &d)) return 0; c->epochs = (int)d; return 1;
    case F_BS: if (!parse_num(n, v, 1, 1 << 16, &d)) return 0; c->bs = (int)d; return 1;
    case F_LR: if (!parse_num(n, v, 1e-12, 1e3, &d)) return 0; c->lr = d; return 1;
    case F_OPT: {
        ct_optim_kind k;
        if (ct_optim_kind_parse(v, &k) != CT_OK) {
            fprintf(stderr, "cltrain: --opt: %s\n", ct_last_error());
            return 0;
        }
        ct_optim_defaults(k, &c->opt);
        return 1;
    }
    case F_MOM: return parse_num(n, v, 0, 1, &opt_vals[0]);
    case F_SQR_MOM: return parse_num(n, v, 0, 1, &opt_vals[1]);
    case F_EPS: return parse_num(n, v, 0, 1, &opt_vals[2]);
    case F_WD: return parse_num(n, v, 0, 10, &opt_vals[3]);
    case F_SCHED: snprintf(c->sched, sizeof c->sched, "%s", v); return 1;
    case F_SIZE: if (!parse_num(n, v, 0, 4096, &d)) return 0; c->size = (int)d; return 1;
    case F_LS: if (!parse_num(n, v, 0, 1, &d)) return 0; c->label_smoothing = (float)d; return 1;
    case F_SEED: if (!parse_num(n, v, 0, 9e15, &d)) return 0; c->seed = (uint64_t)d; return 1;
    case F_WORKERS: if (!parse_num(n, v, 0, 256, &d)) return 0; c->workers = (int)d; return 1;
    case F_OUT: x->out = v; return 1;
    case F_RESUME: x->resume = v; return 1;
    case F_LIMIT_TRAIN: if (!parse_num(n, v, 0, 1e12, &d)) return 0; c->limit_train = (size_t)d; return 1;
    case F_LIMIT_VALID: if (!parse_num(n, v, 0, 1e12, &d)) return 0; c->limit_valid = (size_t)d; return 1;
    case F_ACT:
        if (!strcmp(v, "relu")) c->act = CT_ACT_RELU;
        else if (!strcmp(v, "mish")) c->act = CT_ACT_MISH;
        else {
            fprintf(stderr, "cltrain: --act takes relu or mish, got '%s'\n", v);
            return 0;
        }
        return 1;
    case F_SA: c->sa = 1; return 1;
    case F_POOL:
        if (!strcmp(v, "avg")) c->pool = CT_IDPOOL_AVG;
        else if (!strcmp(v, "max")) c->pool = CT_IDPOOL_MAX;
        else {
            fprintf(stderr, "cltrain: --pool takes avg or max, got '%s'\n", v);
            return 0;
        }
        return 1;
    case F_DROPOUT: if (!parse_num(n, v, 0, 0.99, &d)) return 0; c->dropout = (float)d; return 1;
    case F_AUG: c->small_aug = 1; return 1;
    case F_STOP_AFTER: if (!parse_num(n, v, 1, 1e12, &d)) return 0; x->stop_after = (long)d; return 1;
    case F_PROGRESS:
        if (strcmp(v, "auto") && strcmp(v, "bar") && strcmp(v, "lines") && strcmp(v, "none")) {
            fprintf(stderr, "cltrain: --progress takes auto, bar, lines or none, got '%s'\n", v);
            return 0;
        }
        x->progress = v;
        return 1;
    case F_START_LR: return parse_num(n, v, 1e-15, 1e6, &x->start_lr);
    case F_END_LR: return parse_num(n, v, 1e-15, 1e6, &x->end_lr);
    case F_NUM_IT: if (!parse_num(n, v, 1, 1e7, &d)) return 0; x->num_it = (int)d; return 1;
    case F_PLOT: x->plot = v; return 1;
    case F_PRESIZE: if (!parse_num(n, v, 8, 4096, &d)) return 0; c->presize = (int)d; return 1;
    case F_STRICT: c->strict = 1; return 1;
    case F_LABELS_CSV: snprintf(c->labels_csv, sizeof c->labels_csv, "%s", v); return 1;
    case F_LABEL_COL: snprintf(c->label_col, sizeof c->label_col, "%s", v); return 1;
    case F_BETA: return parse_num(n, v, 0, 1e6, &opt_vals[4]);
    case F_L2: opt_vals[5] = 1; return 1;
    case F_LA_K: return parse_num(n, v, 1, 1e6, &opt_vals[6]);
    case F_LA_ALPHA: return parse_num(n, v, 0, 1, &opt_vals[7]);
    }
    return 0;
}

int cli_train_parse(int argc, char **argv, int family, ct_train_cfg *cfg, cli_train_extra *x)
{
    double opt_vals[8] = {NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
    ct_train_cfg_default(cfg);
    memset(x, 0, sizeof *x);
    x->progress = "auto";
    x->start_lr = 1e-7;
    x->end_lr = 10;
    x->num_it = 100;
    x->plot = "lr_find.png";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout, family);
            return CT_EXIT_OK;
        }
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        const flag *fl = NULL;
        for (int k = 0; k < n_flags; k++)
            if ((flags[k].family & family) && strlen(flags[k].name) == len &&
                !strncmp(flags[k].name, a, len))
                fl = &flags[k];
        if (!fl) {
            fprintf(stderr, "cltrain: unknown option '%s'\n\n", a);
            usage(stderr, family);
            return CT_EXIT_USAGE;
        }
        if (fl->metavar) {
            if (eq) v = eq + 1;
            else if (i + 1 < argc) v = argv[++i];
            else {
                fprintf(stderr, "cltrain: %s needs a value (%s)\n", fl->name, fl->metavar);
                return CT_EXIT_USAGE;
            }
        } else if (eq) {
            fprintf(stderr, "cltrain: %s takes no value\n", fl->name);
            return CT_EXIT_USAGE;
        }
        if (!apply(fl, v, cfg, x, opt_vals)) return CT_EXIT_USAGE;
        x->set[fl->id] = 1;
    }
    /* hyper overrides apply after --opt, whatever the order */
    if (!isnan(opt_vals[0])) cfg->opt.mom = (float)opt_vals[0];
    if (!isnan(opt_vals[1])) cfg->opt.sqr_mom = (float)opt_vals[1];
    if (!isnan(opt_vals[2])) cfg->opt.eps = (float)opt_vals[2];
    if (!isnan(opt_vals[3])) cfg->opt.wd = (float)opt_vals[3];
    if (!isnan(opt_vals[4])) cfg->opt.beta = (float)opt_vals[4];
    if (!isnan(opt_vals[5])) cfg->opt.decouple_wd = 0;
    if (!isnan(opt_vals[6]) || !isnan(opt_vals[7])) cfg->opt.lookahead = 1; /* wraps any kind */
    if (!isnan(opt_vals[6])) cfg->opt.la_k = (int)opt_vals[6];
    if (!isnan(opt_vals[7])) cfg->opt.la_alpha = (float)opt_vals[7];
    if (cfg->labels_csv[0] && !cfg->label_col[0])
        snprintf(cfg->label_col, sizeof cfg->label_col, "noisy_labels_0");
    if (!cfg->labels_csv[0] && cfg->label_col[0]) {
        fprintf(stderr, "cltrain: --label-col needs --labels-csv FILE\n");
        return CT_EXIT_USAGE;
    }
    return -1;
}

/* ---- shared helpers ------------------------------------------------------------------------ */

void cli_train_print_start(ct_ctx *ctx, ct_learner *L, const char *out_dir, FILE *f)
{
    const ct_data_info *d = ct_learner_data(L);
    const ct_sched_run *run = ct_learner_run(L);
    const ct_model *m = ct_learner_model(L);
    fprintf(f, "device: %s (%s)\n", ct_ctx_info(ctx)->name, ct_ctx_info(ctx)->platform_name);
    fprintf(f, "data: %s (%s), %d classes, %d x %d x %d, %zu train / %zu valid, mean", d->path,
            d->format_name, d->n_classes, d->channels, d->size, d->size, d->n_train, d->n_valid);
    for (int c = 0; c < d->channels; c++) fprintf(f, " %.4f", d->mean[c]);
    fprintf(f, " std");
    for (int c = 0; c < d->channels; c++) fprintf(f, " %.4f", d->std[c]);
    fprintf(f, "\nmodel: %s, %zu parameters\n", ct_learner_cfg(L)->arch, ct_model_param_count(m));
    fprintf(f, "settings:\n");
    ct_train_cfg_print(ct_learner_cfg(L), f);
    fprintf(f, "batches: %d per epoch, %ld in all\n", run->n_iter, run->n_batches);
    if (out_dir) fprintf(f, "out: %s\n", out_dir);
    fflush(f);
}

/* ---- progress ------------------------------------------------------------------------------ */

static void mmss(double s, char *buf, size_t n)
{
    if (!(s >= 0) || s > 359999) s = 0;
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%02ld:%02ld", t / 60, t % 60);
}

void cli_progress_init(cli_progress *p, const char *mode, int n_epoch, int n_classes)
{
    memset(p, 0, sizeof *p);
    p->n_epoch = n_epoch;
    p->n_classes = n_classes;
    if (!mode || !strcmp(mode, "auto")) p->mode = isatty(STDOUT_FILENO) ? 1 : 2;
    else if (!strcmp(mode, "bar")) p->mode = 1;
    else if (!strcmp(mode, "lines")) p->mode = 2;
    else p->mode = 0;
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void on_batch(void *user, int e, int j, int n_iter, double loss, double smooth, double lr,
                     double mom, double img_s)
{
    cli_progress *p = user;
    double now = wall();
    if (j == 0 || p->epoch_t0 == 0) p->epoch_t0 = now;
    int last = j + 1 == n_iter;
    char eta[32];
    double bs_per_s = img_s; /* images per second */
    (void)loss;
    if (p->mode == 1) {
        if (!last && now - p->last_print < 0.25) return;
        p->last_print = now;
        int width = 30, fill = (int)((double)(j + 1) / n_iter * width);
        char bar[64];
        for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '-';
        bar[width] = 0;
        double per_batch = (now - p->epoch_t0) / (j + 1);
        mmss(per_batch * (n_iter - j - 1), eta, sizeof eta);
        printf("\r\033[Kepoch %d/%d [%s] %d/%d loss %.4f lr %.3g %.0f img/s ETA %s", e + 1,
               p->n_epoch, bar, j + 1, n_iter, smooth, lr, bs_per_s, eta);
        if (last) printf("\r\033[K");
        fflush(stdout);
    } else if (p->mode == 2) {
        int every = n_iter >= 10 ? n_iter / 10 : 1;
        if ((j + 1) % every != 0 && !(j == 0)) return;
        double per_batch = (now - p->epoch_t0) / (j + 1);
        mmss(per_batch * (n_iter - j - 1), eta, sizeof eta);
        if (j == 0) snprintf(eta, sizeof eta, "--:--"); /* no timing yet */
        printf("epoch %d/%d batch %d/%d loss %.4f lr %.3g mom %.3g %.0f img/s ETA %s\n", e + 1,
               p->n_epoch, j + 1, n_iter, smooth, lr, mom, bs_per_s, eta);
        fflush(stdout);
    }
}

void cli_progress_row(cli_progress *p, const ct_epoch_result *r)
{
    char t[32];
    int top5 = p->n_classes >= 5;
    if (!p->header_done) {
        printf("%-7s %-11s %-11s %-10s %s%-7s\n", "epoch", "train_loss", "valid_loss", "accuracy",
               top5 ? "top_5      " : "", "time");
        p->header_done = 1;
    }
    mmss(r->seconds, t, sizeof t);
    printf("%-7d %-11.6f %-11.6f %-10.6f ", r->epoch, r->train_loss, r->valid_loss, r->accuracy);
    if (top5) printf("%-10.6f ", r->top5);
    printf("%-7s\n", t);
    fflush(stdout);
}

static void on_epoch(void *user, const ct_epoch_result *r)
{
    cli_progress *p = user;
    p->epoch_t0 = 0;
    cli_progress_row(p, r);
}

ct_fit_hooks cli_progress_hooks(cli_progress *p)
{
    ct_fit_hooks h = {p, on_batch, on_epoch, NULL};
    return h;
}

/* ---- the command --------------------------------------------------------------------------- */

static volatile sig_atomic_t stop_signal = 0;

static void on_signal(int sig)
{
    if (stop_signal) { /* a second signal: give up at once */
        signal(sig, SIG_DFL);
        raise(sig);
    }
    stop_signal = sig;
}

static void default_out(const ct_train_cfg *c, char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(buf, n, "runs/%s-%s", c->arch, stamp);
}

int cmd_train(int argc, char **argv)
{
    ct_train_cfg cfg;
    cli_train_extra x;
    int rc = cli_train_parse(argc, argv, CLI_FLAGS_TRAIN, &cfg, &x);
    if (rc >= 0) return rc;
    if (x.resume) {
        for (int i = 0; i < F_COUNT; i++)
            if (x.set[i] && i != F_RESUME && i != F_OUT && i != F_WORKERS && i != F_PROGRESS &&
                i != F_STOP_AFTER) {
                fprintf(stderr, "cltrain: --resume takes the run's saved config; only --out, "
                                "--workers, --progress and --stop-after may be given with it\n");
                return CT_EXIT_USAGE;
            }
    }
    char out[600];
    if (x.out) snprintf(out, sizeof out, "%s", x.out);
    else if (x.resume) snprintf(out, sizeof out, "%s", x.resume);
    else default_out(&cfg, out, sizeof out);

    ct_ctx *ctx = cli_ctx();
    if (!ctx) return CT_EXIT_FAIL;
    ct_learner *L = NULL;
    ct_status st = x.resume ? ct_learner_resume(&L, ctx, x.resume, out, cfg.workers)
                            : ct_learner_create(&L, ctx, &cfg, out);
    if (st != CT_OK) {
        cli_report(x.resume ? "resuming" : "setting up the run", st);
        ct_ctx_free(ctx);
        return CT_EXIT_FAIL;
    }
    cli_train_print_start(ctx, L, out, stdout);
    int e0, i0;
    long s0;
    ct_learner_position(L, &e0, &i0, &s0);
    if (x.resume) printf("resuming at epoch %d batch %d (step %ld)\n", e0, i0, s0);

    cli_progress prog;
    cli_progress_init(&prog, x.progress, ct_learner_run(L)->n_epoch,
                      ct_learner_data(L)->n_classes);
    ct_fit_hooks hooks = cli_progress_hooks(&prog);
    ct_epoch_result last;
    if (x.resume && ct_learner_last_epoch(L, &last) == CT_OK) cli_progress_row(&prog, &last);
    ct_error_clear();

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    st = ct_learner_fit(L, &stop_signal, x.stop_after, &hooks);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);

    rc = CT_EXIT_OK;
    if (st == CT_ERR_INTERRUPTED) {
        int sig = stop_signal ? stop_signal : SIGINT;
        printf("\n%s: %s; checkpoint in %s\nresume with: cltrain train --resume %s\n",
               stop_signal ? (sig == SIGTERM ? "SIGTERM" : "SIGINT") : "--stop-after",
               ct_last_error(), out, out);
        rc = 128 + sig;
    } else if (st != CT_OK) {
        cli_report("training", st);
        rc = CT_EXIT_FAIL;
    } else {
        ct_epoch_result r;
        if (ct_learner_last_epoch(L, &r) == CT_OK) {
            printf("final: accuracy %.4f", r.accuracy);
            if (ct_learner_data(L)->n_classes >= 5) printf(" top_5 %.4f", r.top5);
            printf(" valid_loss %.4f (epoch %d, %.1f s, %.1f img/s)\n", r.valid_loss, r.epoch,
                   r.seconds, r.img_per_s);
        }
        printf("checkpoint: %s/model.safetensors\n", out);
    }
    ct_learner_free(L);
    ct_ctx_free(ctx);
    return rc;
}
