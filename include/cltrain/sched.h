/* Per-batch learning-rate and momentum schedules with fastai's semantics: annealers, combine,
 * presets (one_cycle, flat_cos, godzi, ...), the spec-string parser. Pure host C: no OpenCL here.
 *
 * The trainer and `cltrain sched` both call ct_sched_batch() for every training batch, so what
 * `cltrain sched` prints is exactly what the optimizer kernels receive. Example:
 *
 *     ct_sched *s;
 *     ct_status st = ct_sched_parse("godzi:amp=0.3,freq=50", &s);     // or "one_cycle", ...
 *     if (st != CT_OK) { fprintf(stderr, "%s\n", ct_last_error()); return st; }
 *     ct_sched_run run;                       // epochs / batches / position denominator
 *     st = ct_sched_plan(s, n_epoch, n_iter, &run);   // n_epoch 0: take sgdr's/lr_find's own
 *     for (int e = 0; e < run.n_epoch; e++)
 *         for (int j = 0; j < run.n_iter; j++) {
 *             if (ct_sched_step_index(&run, e, j) >= run.n_batches) break;   // lr_find stops
 *             ct_sched_value v;
 *             ct_sched_batch(s, &run, e, j, lr_max, &v);  // v.pos, v.lr, v.mom, v.mom_scheduled
 *             float mom = v.mom_scheduled ? (float)v.mom : opt_default_mom;
 *             ... pass (float)v.lr and mom to the optimizer kernel as arguments ...
 *         }
 *     char canon[512];
 *     if (ct_sched_canonical(s, canon, sizeof canon) == CT_OK) log("sched %s", canon);
 *     ct_sched_free(s);
 *
 * Position: batch j of epoch e runs at pos = (e*n_iter + j)/(n_epoch*n_iter), so the first batch
 * sees 0 and pos never reaches 1 (fastai's TrainEvalCallback). lr_find instead sweeps at
 * pos = step/num_it over num_it batches.
 *
 * Spec strings (doc/schedules.md has the full grammar):
 *   preset     NAME or NAME:key=value,key=value   e.g. one_cycle, flat_cos:pct=0.72,
 *              godzi:amp=0.3,freq=50,offset=0.8,moms=0.95/0.35/0.95
 *   composed   lr=SEG+SEG...;mom=SEG+SEG...  with SEG = ANNEALER(args)@fraction, e.g.
 *              lr=cos(1/25,1)@0.3+cos_spike(1,1e-5)@0.7;mom=cos(.95,.85)@.3+cos(.85,.95)@.7
 *              lr values are multiples of the base lr (--lr); mom values are absolute.
 */
#ifndef CLTRAIN_SCHED_H
#define CLTRAIN_SCHED_H

#include <stddef.h>

#include "cltrain/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- annealers: f(start, end, pos), pos in [0, 1] ---------------------------------------- */
typedef enum {
    CT_ANNEAL_LIN,       /* start + pos*(end - start) */
    CT_ANNEAL_COS,       /* start + (1 + cos(pi*(1 - pos)))*(end - start)/2 */
    CT_ANNEAL_EXP,       /* start*(end/start)^pos; start, end non-zero with one sign */
    CT_ANNEAL_NONE,      /* start (end ignored) */
    CT_ANNEAL_POLY,      /* start + (end - start)*pos^power */
    CT_ANNEAL_COS_SPIKE, /* cos(start, end, pos)*(1 + amp*(sin(freq*pi*(1 - pos)) + offset)) */
} ct_anneal_kind;

typedef struct {
    ct_anneal_kind kind;
    double start, end; /* lr tracks: multiples of the base lr (unless absolute); mom: values */
    double power;      /* CT_ANNEAL_POLY only */
    double amp, freq, offset; /* CT_ANNEAL_COS_SPIKE only (godziLR defaults .3, 50, .8) */
} ct_anneal;

/* The annealer's value at pos, in double precision (no clamping of pos). */
double ct_anneal_at(const ct_anneal *a, double pos);

/* ---- combine(pcts, scheds): one track (lr or mom) ----------------------------------------- */
#define CT_SCHED_MAX_SEG 32

typedef struct {
    int n;                             /* segments, 1..CT_SCHED_MAX_SEG */
    int direct;                        /* 1: a bare annealer (n 1, no combine): pos used as is */
    double pct[CT_SCHED_MAX_SEG];      /* fraction of training per segment, >= 0, sum 1 */
    float bound[CT_SCHED_MAX_SEG + 1]; /* cumulative boundaries in float32: 0, ..., ~1 */
    ct_anneal seg[CT_SCHED_MAX_SEG];
} ct_track;

/* Build a track (fastai combine_scheds): pcts must be >= 0 and sum to 1 (within 1e-9).
 * Boundaries are float32 like fastai's torch tensor: each pct rounded to float32, accumulated
 * in double, each partial sum rounded to float32. */
CT_NODISCARD ct_status ct_track_init(ct_track *t, int n, const double *pcts, const ct_anneal *segs);

/* Value at pos with fastai's rules: pos is rounded to float32; idx = the last segment whose
 * start boundary is <= pos, capped at the last segment; local = (pos - P[idx])/(P[idx+1] -
 * P[idx]) in float32. So a pos on an inner boundary starts the next segment at local 0, pos 1
 * ends the last segment at local 1, and a zero-width last segment at pos 1 gives NaN (as in
 * fastai; training never reaches pos 1). start/end are multiplied by `scale` first.
 * A direct track (t->direct, set by callers after init) is a bare annealer the way a fastai
 * ParamScheduler uses SchedExp for lr_find: pos in double, no float32 rounding. */
double ct_track_at(const ct_track *t, double pos, double scale);

/* ---- schedules ---------------------------------------------------------------------------- */
typedef struct ct_sched ct_sched;

/* Parse a spec string (see the top of this file). On a bad spec returns CT_ERR_INVALID_ARG with
 * a ct_error message naming the bad token and listing the valid names/keys. *out is NULL on
 * failure; free a success with ct_sched_free. */
CT_NODISCARD ct_status ct_sched_parse(const char *spec, ct_sched **out);
void ct_sched_free(ct_sched *s);

/* The spec with every parameter spelled out (round-trips through ct_sched_parse), for logs and
 * checkpoints. CT_ERR_OVERFLOW when n is too small (buf then holds a truncated string). */
CT_NODISCARD ct_status ct_sched_canonical(const ct_sched *s, char *buf, size_t n);

/* The preset name ("one_cycle", ..., "lr_find") or "custom" for a composed spec. */
const char *ct_sched_name(const ct_sched *s);
/* 1 when the schedule sets mom (one_cycle, godzi, composed with mom=); 0: the optimizer keeps
 * its own mom (flat_cos, flat_cos_spike, sgdr, lr_find). */
int ct_sched_mom_scheduled(const ct_sched *s);
/* 1 when lr values are multiples of the base lr (all but lr_find, whose start/end are absolute). */
int ct_sched_lr_relative(const ct_sched *s);

/* The run a schedule drives. */
typedef struct {
    int n_epoch;      /* epochs to run: as asked, or what sgdr / lr_find imply */
    int n_iter;       /* training batches per epoch (drop_last: floor(n_train/bs)) */
    long n_batches;   /* batches the schedule covers: n_epoch*n_iter, or num_it for lr_find */
    long pos_denom;   /* pos = step/pos_denom: n_epoch*n_iter, or num_it for lr_find */
    int epochs_fixed; /* 1 when the schedule decided n_epoch (sgdr, lr_find) */
} ct_sched_run;

/* Fill *run for n_iter batches per epoch. n_epoch <= 0 means "whatever the schedule implies"
 * (sgdr: cycle_len*(cycle_mult^n_cycles - 1)/(cycle_mult - 1); lr_find: num_it/n_iter + 1),
 * an error for the others. A positive n_epoch that contradicts sgdr/lr_find is an error. */
CT_NODISCARD ct_status ct_sched_plan(const ct_sched *s, int n_epoch, int n_iter, ct_sched_run *run);

/* fastai's training position: (epoch*n_iter + iter)/(n_epoch*n_iter). */
double ct_sched_pos(int epoch, int iter, int n_epoch, int n_iter);
/* Global batch index epoch*n_iter + iter. */
long ct_sched_step_index(const ct_sched_run *run, int epoch, int iter);

typedef struct {
    double pos;        /* where the values were taken */
    double lr;         /* learning rate for this batch */
    double mom;        /* momentum / beta1; meaningful only when mom_scheduled */
    int mom_scheduled; /* 0: leave the optimizer's own mom */
} ct_sched_value;

/* Values at pos for base lr lr_base. s NULL means a constant lr_base and no mom schedule. */
void ct_sched_at(const ct_sched *s, double pos, double lr_base, ct_sched_value *v);
/* The per-batch call: the position of batch (epoch, iter) in this run, then ct_sched_at. */
void ct_sched_batch(const ct_sched *s, const ct_sched_run *run, int epoch, int iter, double lr_base,
                    ct_sched_value *v);

/* Help text listing the presets with their keys and defaults and the annealers (for --help).
 * CT_ERR_OVERFLOW when n is too small (2 KiB is enough). */
CT_NODISCARD ct_status ct_sched_help(char *buf, size_t n);

/* v as the shortest %.15g/%.16g/%.17g that reads back to the same double (CSV, canonical). */
void ct_sched_fmt(char *buf, size_t n, double v);

#ifdef __cplusplus
}
#endif
#endif
