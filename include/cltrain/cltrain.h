/* cltrain: train fastai's xresnet family with vendor-neutral OpenCL kernels. One include for all.
 * This header only includes the component headers; it declares nothing of its own.
 *
 * One training step, by hand (error handling shortened; the learner does all this for you):
 *
 *     ct_ctx *ctx;            ct_ctx_create(&ctx, NULL);                 // device: CLTRAIN_DEVICE
 *     ct_dataset *ds;         ct_data_open(&ds, NULL);                   // Fashion-MNIST
 *     const ct_data_info *in = ct_data_get_info(ds);
 *     ct_model_opts mo;       ct_model_opts_default(&mo);
 *     mo.c_in = in->channels; mo.n_out = in->n_classes; mo.size = in->size;
 *     ct_model_spec *spec;    ct_model_spec_create(&spec, "xresnet18", &mo);
 *     ct_model *m;            ct_model_create(&m, ctx, spec, 64, 1);     // batch 64, trainable
 *     ct_optim_cfg oc;        ct_optim_defaults(CT_OPT_RANGER, &oc);
 *     int ng; const ct_param_group *pg = ct_model_groups(m, &ng);      // wd / no-wd ranges
 *     ct_optim_group og[2] = {{pg[0].offset, pg[0].count, pg[0].do_wd},
 *                             {pg[1].offset, pg[1].count, pg[1].do_wd}};
 *     ct_optim *opt;          ct_optim_create(ctx, &oc, CT_PTR(ct_model_params(m), 0),
 *                                             CT_PTR(ct_model_grads(m), 0),
 *                                             ct_model_param_count(m), og, ng, &opt);
 *     uint8_t img[64 * 28 * 28]; int32_t lab[64]; int n;                // one batch on the host
 *     ct_data_load_batch(ds, CT_SPLIT_TRAIN, 42, 0, 0, 64, img, lab, &n);
 *     // upload img/lab to device buffers d_img (uint8) and d_lab (int32), then:
 *     ct_normalize_u8(ctx, ct_model_input(m), d_img, 0, n, 1, 28 * 28, in->mean, in->std);
 *     ct_optim_zero_grad(opt);
 *     ct_ptr logits;          ct_model_forward(m, 1, &logits);           // (N, 10) train mode
 *     ct_xent_backward(ctx, ct_model_dlogits(m), logits, CT_PTR(d_lab, 0), n, 10, 0.1f);
 *     ct_model_backward(m, ct_model_dlogits(m));                         // grads += dL/dparams
 *     ct_optim_step(opt, 8e-3f, NAN);                                    // lr, mom (NAN: own)
 *
 * Or let the learner run fastai's loop (schedules, validation, checkpoints, resume):
 *
 *     ct_train_cfg cfg;       ct_train_cfg_default(&cfg);                // the default recipe
 *     ct_learner *L;          ct_learner_create(&L, ctx, &cfg, "runs/demo");
 *     ct_learner_fit(L, NULL, 0, NULL);                                  // writes runs/demo/...
 */
#ifndef CLTRAIN_CLTRAIN_H
#define CLTRAIN_CLTRAIN_H

#include "cltrain/status.h"
#include "cltrain/runtime.h"
#include "cltrain/tensor.h"
#include "cltrain/ops.h"
#include "cltrain/graph.h"
#include "cltrain/models.h"
#include "cltrain/optim.h"
#include "cltrain/sched.h"
#include "cltrain/data.h"
#include "cltrain/checkpoint.h"
#include "cltrain/learner.h"
#include "cltrain/plot.h"

#endif
