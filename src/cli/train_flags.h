/* Flags shared by `cltrain train` and `cltrain lr-find` (a table in cmd_train.c), the context
 * helper and the progress printer. CLI-only: may print, never exits itself. */
#ifndef CT_CLI_TRAIN_FLAGS_H
#define CT_CLI_TRAIN_FLAGS_H

#include "cltrain/learner.h"

/* Flags beyond the learner's config. */
typedef struct {
    const char *out;     /* --out DIR */
    const char *resume;  /* --resume DIR */
    long stop_after;     /* --stop-after N: checkpoint and stop after N batches (tests) */
    const char *progress; /* --progress auto|bar|lines|none */
    /* lr-find */
    double start_lr, end_lr;
    int num_it;
    const char *plot;    /* --plot FILE */
    int set[64];         /* which table entries were given */
} cli_train_extra;

/* Which flag families a command accepts. */
enum { CLI_FLAGS_TRAIN = 1, CLI_FLAGS_LR_FIND = 2 };

/* Parse argv[1..argc) into cfg (start from ct_train_cfg_default) and x. Returns -1 on success,
 * or the exit code to return (0 after --help, 2 after a usage error, which it prints). */
int cli_train_parse(int argc, char **argv, int family, ct_train_cfg *cfg, cli_train_extra *x);


/* Print device, data and model facts and every effective setting. */
void cli_train_print_start(ct_ctx *ctx, ct_learner *L, const char *out_dir, FILE *f);

/* Progress hooks printing a live bar (TTY) or periodic lines, and the per-epoch table. */
typedef struct {
    int mode; /* 0 none, 1 bar, 2 lines */
    int n_epoch, n_classes, header_done;
    double last_print, epoch_t0;
} cli_progress;
void cli_progress_init(cli_progress *p, const char *mode, int n_epoch, int n_classes);
ct_fit_hooks cli_progress_hooks(cli_progress *p);
/* The table header and one row (used for resumed runs too). */
void cli_progress_row(cli_progress *p, const ct_epoch_result *r);

#endif
