/* The learner's private state, shared by src/train/learner.c, checkpoint.c, runlog.c, lr_find.c.
 * Nothing outside src/train may include this; the public view is include/cltrain/learner.h. */
#ifndef CT_TRAIN_LEARNER_INTERNAL_H
#define CT_TRAIN_LEARNER_INTERNAL_H

#include <jansson.h>

#include "cltrain/checkpoint.h"
#include "cltrain/learner.h"

/* The device and host buffers of one batch (learner and predictors). */
typedef struct {
    ct_ctx *ctx;
    int chans, side;
    cl_mem images;      /* (bs, C, S, S) uint8 */
    cl_mem labels;      /* (bs) int32 */
    cl_mem loss;        /* (bs) float per-sample losses */
    cl_mem correct;     /* (bs) int32 top-1 / top-5 bits */
    float *h_loss;      /* (bs) */
    int32_t *h_correct; /* (bs) */
} ct_batch_bufs;

/* Allocate for batch capacity bs of (chans, side, side) images; free is safe on a partial one. */
CT_NODISCARD ct_status ct_batch_bufs_alloc(ct_batch_bufs *b, ct_ctx *ctx, int bs, int chans,
                                           int side);
void ct_batch_bufs_free(ct_batch_bufs *b);
/* Upload a uint8 batch and its labels and normalise it into the model input. */
CT_NODISCARD ct_status ct_batch_bufs_upload(ct_batch_bufs *b, ct_model *m, const ct_batch *batch,
                                            const float *mean, const float *std);
/* The model opts of a config for a dataset of chans x side x side images and n_out classes. */
CT_NODISCARD ct_status ct_train_make_spec(const ct_train_cfg *c, int chans, int n_out, int side,
                                          ct_model_spec **spec);

struct ct_learner {
    ct_ctx *ctx;
    ct_train_cfg cfg;
    char out_dir[512];            /* "" when no outputs */
    ct_dataset *ds;
    const ct_data_info *info;
    ct_loader *ld;
    ct_model *model;
    ct_optim *opt;
    ct_sched *sched;
    ct_sched_run run;
    int n_classes, chans, side;   /* model input (chans, side, side), n_out */
    ct_batch_bufs bb;
    /* position: the next training batch is (epoch, iter); step batches done in all */
    int epoch, iter;
    long step;
    double epoch_seconds;         /* time already spent in the current epoch (resumed epochs) */
    ct_smooth smooth;
    /* per-batch history, step entries: the values actually pushed */
    float *hist_lr, *hist_mom, *hist_loss;
    long hist_cap;
    ct_epoch_result *epochs;      /* finished epochs */
    int n_epochs_done;
    double started;               /* wall clock at create (summary) */
};

/* Wall-clock seconds (monotonic). */
double ct_train_now(void);

/* Zero grads, forward (train), loss, backward, optimizer step at (lr, mom; NAN: the optimizer's
 * own) of the uploaded batch of n; *loss is the batch mean read back (the synchronisation point). */
CT_NODISCARD ct_status ct_train_step(ct_learner *L, int n, float lr, float mom, double *loss);

/* Learner config <-> JSON (every field; round-trips exactly). */
json_t *ct_train_cfg_to_json(const ct_train_cfg *c);
CT_NODISCARD ct_status ct_train_cfg_from_json(json_t *j, ct_train_cfg *c, const char *where);

/* One epoch's results as a JSON object (checkpoints, summary.json). */
json_t *ct_train_epoch_json(const ct_epoch_result *r);

/* Dataset facts for checkpoints and predictors (classes, channels, size, mean/std). */
json_t *ct_train_data_to_json(const ct_data_info *info, const ct_dataset *ds);

/* Model weights <-> safetensors in PyTorch state-dict names (checkpoint.c). meta: extra
 * key/value pairs for __metadata__. */
CT_NODISCARD ct_status ct_train_save_model(ct_model *m, const char *path, const ct_st_meta *meta,
                                           int n_meta);
CT_NODISCARD ct_status ct_train_load_model(ct_model *m, const ct_st_file *f, const char *path);

/* Run outputs in out_dir: metrics.csv, batches.csv, summary.json, plots (runlog.c). */
CT_NODISCARD ct_status ct_train_write_outputs(ct_learner *L);

/* One evaluation pass over a split with the model in eval mode (learner.c; used by predictors). */
typedef struct {
    ct_model *model;
    ct_loader *ld;
    ct_batch_bufs *bb;
    int n_classes;
    const float *mean, *std;
    float label_smoothing;
} ct_eval_ctx;
CT_NODISCARD ct_status ct_train_eval_split(ct_eval_ctx *e, int epoch, double *loss, double *acc,
                                           double *top5, size_t *n_items);

#endif
