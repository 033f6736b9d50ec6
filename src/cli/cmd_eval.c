/* `cltrain eval --checkpoint F [--data D] [--bs N]`: loss, accuracy and top-5 of a saved model on
 * the validation split (the run's own subset unless --data names another dataset). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "train_flags.h"

static void eval_usage(FILE *f)
{
    fprintf(f, "usage: cltrain eval --checkpoint FILE|DIR [--data DIR] [--bs N]\n\n"
               "Loss, accuracy and top-5 accuracy of a checkpoint on the validation split.\n"
               "  --checkpoint F  model.safetensors written by cltrain train (or its directory)\n"
               "  --data DIR      another dataset root (default: the one it was trained on)\n"
               "  --bs N          batch size (default: the training batch size)\n");
}

int cmd_eval(int argc, char **argv)
{
    const char *ckpt = NULL, *data = NULL;
    int bs = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            eval_usage(stdout);
            return CT_EXIT_OK;
        }
        if (i + 1 < argc && !strcmp(argv[i], "--checkpoint")) ckpt = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--data")) data = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--bs")) bs = atoi(argv[++i]);
        else {
            fprintf(stderr, "cltrain eval: unknown option or missing value '%s'\n\n", argv[i]);
            eval_usage(stderr);
            return CT_EXIT_USAGE;
        }
    }
    if (!ckpt || bs < 0) {
        eval_usage(stderr);
        return CT_EXIT_USAGE;
    }
    ct_ctx *ctx = cli_ctx();
    if (!ctx) return CT_EXIT_FAIL;
    ct_predictor *p = NULL;
    double loss, acc, top5;
    size_t n = 0;
    int rc = CT_EXIT_OK;
    ct_status st = ct_predictor_open(&p, ctx, ckpt, bs);
    if (st == CT_OK) st = ct_predictor_eval(p, data, &loss, &acc, &top5, &n);
    if (st != CT_OK) {
        cli_report("eval", st);
        rc = CT_EXIT_FAIL;
    } else {
        const ct_train_cfg *c = ct_predictor_cfg(p);
        printf("checkpoint: %s (%s)\n", ckpt, c->arch);
        printf("valid items: %zu\n", n);
        printf("valid_loss: %.6f\naccuracy: %.6f\n", loss, acc);
        if (ct_predictor_classes(p) >= 5) printf("top_5: %.6f\n", top5);
    }
    ct_predictor_free(p);
    ct_ctx_free(ctx);
    return rc;
}
