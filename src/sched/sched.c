/* Schedule lifecycle and the per-batch call shared by the trainer and `cltrain sched`: the run
 * plan (epochs, batches, position) and the (lr, mom) at a position. No I/O, no OpenCL. */
#include <math.h>
#include <stdlib.h>

#include "sched_internal.h"

void ct_sched_free(ct_sched *s)
{
    free(s);
}

const char *ct_sched_name(const ct_sched *s)
{
    return s->preset < 0 ? "custom" : ct_sched_presets[s->preset].name;
}

int ct_sched_mom_scheduled(const ct_sched *s)
{
    return s->has_mom;
}

int ct_sched_lr_relative(const ct_sched *s)
{
    return s->lr_relative;
}

ct_status ct_sched_plan(const ct_sched *s, int n_epoch, int n_iter, ct_sched_run *run)
{
    if (n_iter <= 0)
        return ct_error(CT_ERR_INVALID_ARG,
                        "sched: %d batches per epoch (want >= 1; is the dataset smaller than "
                        "one batch?)",
                        n_iter);
    int implied = s->implied_epochs;
    if (s->num_it > 0) implied = s->num_it / n_iter + 1; /* fastai lr_find */
    run->epochs_fixed = implied > 0;
    if (implied > 0) {
        if (n_epoch > 0 && n_epoch != implied)
            return ct_error(CT_ERR_INVALID_ARG,
                            "sched: %s implies %d epochs (with %d batches per epoch), not %d; "
                            "leave the epoch count out",
                            ct_sched_name(s), implied, n_iter, n_epoch);
        n_epoch = implied;
    } else if (n_epoch <= 0) {
        return ct_error(CT_ERR_INVALID_ARG, "sched: %s needs an epoch count >= 1 (got %d)",
                        ct_sched_name(s), n_epoch);
    }
    long total = (long)n_epoch * (long)n_iter;
    if (total > (1L << 40))
        return ct_error(CT_ERR_OVERFLOW, "sched: %d epochs x %d batches is too many", n_epoch,
                        n_iter);
    run->n_epoch = n_epoch;
    run->n_iter = n_iter;
    run->n_batches = s->num_it > 0 ? s->num_it : total;
    run->pos_denom = s->num_it > 0 ? s->num_it : total;
    return CT_OK;
}

double ct_sched_pos(int epoch, int iter, int n_epoch, int n_iter)
{
    return (double)((long)epoch * n_iter + iter) / (double)((long)n_epoch * n_iter);
}

long ct_sched_step_index(const ct_sched_run *run, int epoch, int iter)
{
    return (long)epoch * run->n_iter + iter;
}

void ct_sched_at(const ct_sched *s, double pos, double lr_base, ct_sched_value *v)
{
    v->pos = pos;
    if (!s) {
        v->lr = lr_base;
        v->mom = NAN;
        v->mom_scheduled = 0;
        return;
    }
    v->lr = ct_track_at(&s->lr, pos, s->lr_relative ? lr_base : 1.0);
    v->mom_scheduled = s->has_mom;
    v->mom = s->has_mom ? ct_track_at(&s->mom, pos, 1.0) : NAN;
}

void ct_sched_batch(const ct_sched *s, const ct_sched_run *run, int epoch, int iter, double lr_base,
                    ct_sched_value *v)
{
    double pos = (double)ct_sched_step_index(run, epoch, iter) / (double)run->pos_denom;
    ct_sched_at(s, pos, lr_base, v);
}
