/* `cltrain predict --checkpoint F IMAGE...`: the top-5 classes of each image with their softmax
 * probabilities, using the checkpoint's validation transform and normalisation. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "train_flags.h"

static void predict_usage(FILE *f)
{
    fprintf(f, "usage: cltrain predict --checkpoint FILE|DIR IMAGE...\n\n"
               "Top-5 classes with probabilities for each image (PNG, JPEG, ...).\n");
}

int cmd_predict(int argc, char **argv)
{
    const char *ckpt = NULL;
    char **imgs = calloc((size_t)argc + 1, sizeof(char *));
    int n_img = 0;
    if (!imgs) return CT_EXIT_FAIL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            predict_usage(stdout);
            free(imgs);
            return CT_EXIT_OK;
        }
        if (i + 1 < argc && !strcmp(argv[i], "--checkpoint")) ckpt = argv[++i];
        else if (argv[i][0] == '-') {
            fprintf(stderr, "cltrain predict: unknown option '%s'\n\n", argv[i]);
            predict_usage(stderr);
            free(imgs);
            return CT_EXIT_USAGE;
        } else
            imgs[n_img++] = argv[i];
    }
    if (!ckpt || n_img == 0) {
        predict_usage(stderr);
        free(imgs);
        return CT_EXIT_USAGE;
    }
    ct_ctx *ctx = cli_ctx();
    if (!ctx) {
        free(imgs);
        return CT_EXIT_FAIL;
    }
    ct_predictor *p = NULL;
    int rc = CT_EXIT_OK;
    ct_status st = ct_predictor_open(&p, ctx, ckpt, 1);
    if (st != CT_OK) {
        cli_report("loading the checkpoint", st);
        rc = CT_EXIT_FAIL;
    }
    int nc = p ? ct_predictor_classes(p) : 0;
    float *probs = malloc(sizeof(float) * (size_t)(nc + 1));
    for (int k = 0; p && probs && k < n_img; k++) {
        st = ct_predictor_image(p, imgs[k], probs);
        if (st != CT_OK) {
            cli_report(imgs[k], st);
            rc = CT_EXIT_FAIL;
            continue;
        }
        printf("%s\n", imgs[k]);
        for (int r = 0; r < 5 && r < nc; r++) { /* selection of the r-th largest */
            int best = -1;
            for (int i = 0; i < nc; i++)
                if (probs[i] >= 0 && (best < 0 || probs[i] > probs[best])) best = i;
            printf("  %d. %-24s %.4f\n", r + 1, ct_predictor_class_name(p, best), probs[best]);
            probs[best] = -1;
        }
    }
    free(probs);
    free(imgs);
    ct_predictor_free(p);
    ct_ctx_free(ctx);
    return rc;
}
