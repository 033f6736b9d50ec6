/* The learner on the device: lr_find sweeps lr = 1e-7 (10/1e-7)^(i/num_it) and restores weights,
 * BN statistics and the optimizer step exactly; validate is repeatable; the schedule position of
 * the first batches matches fastai's pos = (e n_iter + j)/(n_epoch n_iter) via batches pushed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/learner.h"
#include "util.h"

int main(void)
{
    ct_ctx *ctx;
    int rc = t_ctx(&ctx);
    if (rc != T_PASS) return rc;
    ct_train_cfg c;
    ct_train_cfg_default(&c);
    c.limit_train = 96;
    c.limit_valid = 32;
    c.bs = 8;
    c.epochs = 1;
    c.act = CT_ACT_RELU;
    ct_learner *L = NULL;
    ct_status st = ct_learner_create(&L, ctx, &c, NULL);
    if (st == CT_ERR_IO || st == CT_ERR_NOT_FOUND) {
        fprintf(stderr, "test_learner: no Fashion-MNIST (%s): skip\n", ct_last_error());
        ct_ctx_free(ctx);
        return T_SKIP;
    }
    T_OK(st);
    if (!L) return t_finish("test_learner");
    ct_model *m = (ct_model *)ct_learner_model(L);
    size_t np = ct_model_param_count(m), nb = ct_model_buffer_count(m);
    float *p0 = malloc(4 * np), *b0 = malloc(4 * nb), *p1 = malloc(4 * np), *b1 = malloc(4 * nb);
    T_OK(ct_model_read_state(m, p0, b0));
    int64_t tracked = ct_model_batches_tracked(m);

    double l0, a0, t0, l1, a1, t1;
    T_OK(ct_learner_validate(L, &l0, &a0, &t0));

    ct_lr_find_result r;
    const int num_it = 10;
    T_OK(ct_learner_lr_find(L, 1e-7, 10, num_it, &r));
    T_CHECK(r.n >= 1 && r.n <= num_it, "lr_find ran %d batches", r.n);
    for (int i = 0; i < r.n; i++) {
        double want = (double)(float)(1e-7 * pow(1e8, (double)i / num_it));
        T_CHECK(r.lrs[i] == want, "lr[%d] = %.9g, want %.9g", i, r.lrs[i], want);
        T_CHECK(isfinite(r.raw[i]) || r.diverged, "raw loss %d not finite", i);
    }
    /* smoothed loss: debiased EMA of the raw losses */
    double v = 0;
    for (int i = 0; i < r.n; i++) {
        v = 0.98 * v + 0.02 * (float)r.raw[i];
        double want = v / (1 - pow(0.98, i + 1));
        T_CHECK(fabs(r.losses[i] - want) <= 1e-9 * fabs(want), "smooth[%d] %g want %g", i,
                r.losses[i], want);
    }
    T_OK(ct_model_read_state(m, p1, b1));
    T_CHECK(!memcmp(p0, p1, 4 * np), "lr_find did not restore the parameters");
    T_CHECK(!memcmp(b0, b1, 4 * nb), "lr_find did not restore the BN statistics");
    T_CHECK(ct_model_batches_tracked(m) == tracked, "batches tracked not restored");
    T_OK(ct_learner_validate(L, &l1, &a1, &t1));
    T_CHECK(l0 == l1 && a0 == a1 && t0 == t1, "validation differs after lr_find: %.9g vs %.9g", l0, l1);
    ct_lr_find_free(&r);

    /* one epoch: every batch is pushed and the position advances */
    T_OK(ct_learner_fit(L, NULL, 0, NULL));
    int e, it;
    long step;
    ct_learner_position(L, &e, &it, &step);
    T_CHECK(e == 1 && it == 0 && step == 12, "position after fit: epoch %d iter %d step %ld", e, it, step);
    ct_epoch_result er;
    T_OK(ct_learner_last_epoch(L, &er));
    T_CHECK(er.accuracy >= 0 && er.accuracy <= 1 && isfinite(er.valid_loss), "epoch result");

    free(p0), free(b0), free(p1), free(b1);
    ct_learner_free(L);
    ct_ctx_free(ctx);
    return t_finish("test_learner");
}
