/* The learner: fastai's training loop over a model, an optimizer, a schedule and a dataset, with
 * validation, run outputs, checkpoints and bit-exact resume, lr_find, eval and predict.
 * Never exits: the CLI (src/cli/cmd_train.c ...) owns signals, flags and exit codes.
 *
 * Per training batch j of epoch e (fastai semantics, reference §2, §3, §7):
 *   upload uint8 images -> ct_normalize_u8 -> forward (train) -> per-sample label-smoothing
 *   cross-entropy -> backward -> (lr, mom) = schedule at pos (e*n_iter + j)/(n_epoch*n_iter) ->
 *   optimizer step; gradients zeroed before each step's backward; the per-sample losses are read
 *   back once per batch (the synchronisation point). Validation after each epoch in eval mode:
 *   loss, top-1 and top-5 exact over the whole validation split.
 *
 * Determinism (what makes --resume bit-exact): batch contents depend only on (seed, epoch, batch);
 * dropout masks on (seed, batches tracked); kernels reduce in a fixed order; the optimizer state,
 * step counter, BN statistics and schedule position are all saved. */
#ifndef CLTRAIN_LEARNER_H
#define CLTRAIN_LEARNER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cltrain/data.h"
#include "cltrain/models.h"
#include "cltrain/optim.h"
#include "cltrain/sched.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- smoothed loss (fastai AvgSmoothLoss, beta .98, debiased) --------------------------------- */

typedef struct {
    double beta, val; /* val_t = beta val_{t-1} + (1 - beta) loss_t, val_0 = 0 */
    long count;
} ct_smooth;

void ct_smooth_init(ct_smooth *s, double beta);
/* Add one loss; returns the debiased value val_t / (1 - beta^t). */
double ct_smooth_add(ct_smooth *s, double loss);
double ct_smooth_value(const ct_smooth *s); /* NAN before the first loss */

/* ---- lr_find suggestions (reference §5) --------------------------------------------------------- */

typedef struct {
    double valley, slide, minimum, steep;             /* lrs; NAN where undefined */
    double valley_loss, slide_loss, minimum_loss, steep_loss; /* loss at each suggestion (plots) */
    int first, n;                                     /* the slice [first, first+n) used */
} ct_lr_suggestions;

/* Suggestions from the recorded (lr, smoothed loss) of n batches of a num_it sweep: the slice
 * [num_it/10, n-5) cut at the first NaN; valley (longest strictly decreasing subsequence, about
 * half-way), slide (lr_diff 15, thresh .005), minimum (lr at the lowest loss / 10), steep (the
 * left end of the steepest interval in ln lr). CT_ERR_INVALID_ARG when fewer than 2 points remain. */
CT_NODISCARD ct_status ct_lr_suggest(const double *lrs, const double *losses, int n, int num_it,
                                     ct_lr_suggestions *out);

/* ---- configuration ------------------------------------------------------------------------------ */

typedef struct {
    char data[512];       /* dataset root; "" = Fashion-MNIST (CT_DATA_DEFAULT_PATH) */
    int size;             /* image side; 0: dataset native */
    size_t limit_train, limit_valid; /* 0: all */
    char arch[32];        /* "xresnet18" ... */
    ct_act act;           /* CT_ACT_RELU or CT_ACT_MISH */
    int sa;               /* self-attention */
    int pool;             /* ct_idpool */
    float dropout;        /* head dropout p */
    int epochs, bs;
    double lr;            /* base lr (lr_max) */
    ct_optim_cfg opt;     /* kind and hypers (defaults from ct_optim_defaults, then flags) */
    char sched[512];      /* schedule spec ("flat_cos", "one_cycle", ...) */
    float label_smoothing;
    uint64_t seed;
    int workers;          /* 0: default */
    int small_aug;        /* IDX/CIFAR augmentation (pad 4 + crop + flip) */
    int presize;          /* image folders: decode once into a cache, shorter side px; 0 off */
    int strict;           /* 1: a corrupt image is an error instead of a counted skip */
    char labels_csv[512]; /* fastai noisy-label CSV ("" none) */
    char label_col[64];   /* its label column, e.g. "noisy_labels_5" */
} ct_train_cfg;

/* The defaults (the recipe `cltrain train` runs with no flags). */
void ct_train_cfg_default(ct_train_cfg *c);
/* Every effective setting, one "key: value" per line, into f. */
void ct_train_cfg_print(const ct_train_cfg *c, FILE *f);

/* ---- the learner -------------------------------------------------------------------------------- */

typedef struct ct_learner ct_learner;

/* Per-epoch results (fastai's table row). */
typedef struct {
    int epoch;
    double train_loss;    /* smoothed loss at the end of the epoch (as fastai prints it) */
    double train_mean;    /* plain mean of the epoch's batch losses */
    double valid_loss, accuracy, top5;
    double seconds;       /* wall time of the epoch including validation */
    double img_per_s;     /* training images per second */
} ct_epoch_result;

/* Progress callbacks (may be NULL); the CLI prints with them. */
typedef struct {
    void *user;
    /* after every training batch: epoch e, batch j of n_iter, this batch's loss and lr/mom */
    void (*on_batch)(void *user, int e, int j, int n_iter, double loss, double smooth, double lr,
                     double mom, double img_per_s);
    void (*on_epoch)(void *user, const ct_epoch_result *r);
    /* a checkpoint was written to dir */
    void (*on_checkpoint)(void *user, const char *dir);
} ct_fit_hooks;

/* Open the dataset, build the model (params initialised from seed), create the optimizer and
 * plan the schedule. out_dir (may be NULL: no run outputs, no checkpoints) receives metrics.csv,
 * batches.csv, summary.json, plots and the checkpoint files. */
CT_NODISCARD ct_status ct_learner_create(ct_learner **out, ct_ctx *ctx, const ct_train_cfg *cfg,
                                         const char *out_dir);
/* Continue a run from the checkpoint in dir (model.safetensors + train_state.safetensors): config,
 * weights, optimizer state, step, schedule position and history. Run outputs go to out_dir
 * (NULL: dir). workers > 0 overrides the saved worker count (it does not change results). */
CT_NODISCARD ct_status ct_learner_resume(ct_learner **out, ct_ctx *ctx, const char *dir,
                                         const char *out_dir, int workers);
void ct_learner_free(ct_learner *L);

const ct_train_cfg *ct_learner_cfg(const ct_learner *L);
const ct_data_info *ct_learner_data(const ct_learner *L);
const ct_model *ct_learner_model(const ct_learner *L);
const ct_sched_run *ct_learner_run(const ct_learner *L);
/* Where training stands: the next batch is (epoch, iter); step batches done in all. */
void ct_learner_position(const ct_learner *L, int *epoch, int *iter, long *step);

/* Train from the current position to the end. *stop (may be NULL) is polled after every batch: when
 * it becomes non-zero the batch finishes, a checkpoint is written and CT_ERR_INTERRUPTED returned.
 * stop_after > 0: behave as if stopped once `step` reaches it (tests). A non-finite loss is
 * CT_ERR_NONFINITE naming the batch and lr; the last good checkpoint is kept. */
CT_NODISCARD ct_status ct_learner_fit(ct_learner *L, volatile sig_atomic_t *stop, long stop_after,
                                      const ct_fit_hooks *hooks);

/* Validation in eval mode over the whole valid split: mean loss, top-1 and top-5 accuracy. */
CT_NODISCARD ct_status ct_learner_validate(ct_learner *L, double *loss, double *acc, double *top5);

/* Write model.safetensors and train_state.safetensors into dir (atomic each). */
CT_NODISCARD ct_status ct_learner_save(ct_learner *L, const char *dir);

/* Final results: the last epoch row (CT_ERR_NOT_FOUND before any epoch finished). */
CT_NODISCARD ct_status ct_learner_last_epoch(const ct_learner *L, ct_epoch_result *r);

/* ---- lr_find ---------------------------------------------------------------------------------- */

typedef struct {
    int n;                 /* batches run */
    double *lrs, *losses;  /* n each: lr pushed and smoothed loss (malloc'd; ct_lr_find_free) */
    double *raw;           /* n: the raw batch losses */
    int diverged;          /* 1: stopped because smooth > 4 x best */
    ct_lr_suggestions sug;
} ct_lr_find_result;

/* fastai lr_find: exponential lr from start to end over num_it batches at pos = i/num_it,
 * stopping when the smoothed loss exceeds 4x the best; weights, BN stats and optimizer state are
 * restored afterwards. */
CT_NODISCARD ct_status ct_learner_lr_find(ct_learner *L, double start, double end, int num_it,
                                          ct_lr_find_result *r);
void ct_lr_find_free(ct_lr_find_result *r);

/* ---- evaluation and prediction from a checkpoint ----------------------------------------------- */

typedef struct ct_predictor ct_predictor;

/* Load model.safetensors (a file, or a directory holding one) into an eval-only model of capacity
 * batch; config and normalisation statistics come from its metadata. */
CT_NODISCARD ct_status ct_predictor_open(ct_predictor **out, ct_ctx *ctx, const char *checkpoint,
                                         int batch);
void ct_predictor_free(ct_predictor *p);
const ct_train_cfg *ct_predictor_cfg(const ct_predictor *p);
int ct_predictor_classes(const ct_predictor *p);
/* Class name i as saved in the checkpoint. */
const char *ct_predictor_class_name(const ct_predictor *p, int i);
/* Loss, top-1 and top-5 over the validation split of data_path ("" or NULL: the saved one). */
CT_NODISCARD ct_status ct_predictor_eval(ct_predictor *p, const char *data_path, double *loss,
                                         double *acc, double *top5, size_t *n_items);
/* Softmax probabilities (n_classes) of one image file. */
CT_NODISCARD ct_status ct_predictor_image(ct_predictor *p, const char *path, float *probs);

#ifdef __cplusplus
}
#endif
#endif
