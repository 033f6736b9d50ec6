/* `cltrain model ARCH`: the layer list with shapes, the parameter count, the planned activation
 * memory and the PyTorch state-dict names of one xresnet configuration. Host only: no device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cltrain/models.h"

static void model_usage(FILE *f)
{
    fprintf(f, "usage: cltrain model ARCH [--c-in N] [--n-out N] [--size PX] [--act relu|mish] [--sa]\n"
               "                    [--pool avg|max] [--p P] [--batch N] [--no-layers] [--no-names]\n"
               "Prints the layer list with shapes (C,H,W per sample), the parameter count, the planned\n"
               "activation arena for --batch (train and eval) and the state-dict names.\n"
               "defaults: --c-in 3 --n-out 10 --size 128 --act relu --pool avg --p 0 --batch 64\n"
               "architectures:");
    for (const char *const *a = ct_model_archs(); *a; a++) fprintf(f, " %s", *a);
    fputc('\n', f);
}

/* Parse an int flag value in [lo, hi]; 0 on success. */
static int int_arg(const char *flag, const char *v, int lo, int hi, int *out)
{
    char *end;
    long x = v ? strtol(v, &end, 10) : 0;
    if (!v || *end || x < lo || x > hi) {
        fprintf(stderr, "cltrain model: %s needs an integer in %d..%d\n", flag, lo, hi);
        return -1;
    }
    *out = (int)x;
    return 0;
}

static const char *kind_str(const ct_state_tensor *t)
{
    if (t->kind == CT_TENSOR_BUFFER) return t->dtype == CT_DTYPE_I64 ? "buffer i64" : "buffer";
    return t->do_wd ? "param wd" : "param";
}

int cmd_model(int argc, char **argv)
{
    ct_model_opts o;
    ct_model_opts_default(&o);
    const char *arch = NULL;
    int batch = 64, layers = 1, names = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            model_usage(stdout);
            return CT_EXIT_OK;
        } else if (!strcmp(a, "--c-in")) {
            bad = int_arg(a, v, 1, 64, &o.c_in), i++;
        } else if (!strcmp(a, "--n-out")) {
            bad = int_arg(a, v, 1, 1000000, &o.n_out), i++;
        } else if (!strcmp(a, "--size")) {
            bad = int_arg(a, v, 1, 4096, &o.size), i++;
        } else if (!strcmp(a, "--batch")) {
            bad = int_arg(a, v, 1, 1 << 16, &batch), i++;
        } else if (!strcmp(a, "--act") && v && (!strcmp(v, "relu") || !strcmp(v, "mish"))) {
            o.act = !strcmp(v, "relu") ? CT_ACT_RELU : CT_ACT_MISH, i++;
        } else if (!strcmp(a, "--pool") && v && (!strcmp(v, "avg") || !strcmp(v, "max"))) {
            o.pool = !strcmp(v, "avg") ? CT_IDPOOL_AVG : CT_IDPOOL_MAX, i++;
        } else if (!strcmp(a, "--p") && v) {
            char *end;
            o.p = strtof(v, &end), i++;
            bad = *end || !(o.p >= 0 && o.p < 1);
            if (bad) fprintf(stderr, "cltrain model: --p needs a probability in [0, 1)\n");
        } else if (!strcmp(a, "--sa")) {
            o.sa = 1;
        } else if (!strcmp(a, "--no-layers")) {
            layers = 0;
        } else if (!strcmp(a, "--no-names")) {
            names = 0;
        } else if (a[0] != '-' && !arch) {
            arch = a;
        } else {
            fprintf(stderr, "cltrain model: bad argument '%s'%s\n", a,
                    !strcmp(a, "--act") || !strcmp(a, "--pool") ? " (or its value)" : "");
            bad = 1;
        }
        if (bad) {
            model_usage(stderr);
            return CT_EXIT_USAGE;
        }
    }
    if (!arch) {
        model_usage(stderr);
        return CT_EXIT_USAGE;
    }
    ct_model_spec *s;
    ct_status st = ct_model_spec_create(&s, arch, &o);
    if (st != CT_OK) {
        cli_report("building the model", st);
        return st == CT_ERR_NOT_FOUND ? CT_EXIT_USAGE : CT_EXIT_FAIL;
    }
    const ct_graph *g = ct_model_spec_graph(s);
    printf("%s: c_in %d, n_out %d, size %d, act %s, sa %s, idpath pool %s, dropout p %g\n", arch,
           o.c_in, o.n_out, o.size, o.act == CT_ACT_MISH ? "mish" : "relu", o.sa ? "yes" : "no",
           o.pool == CT_IDPOOL_MAX ? "max" : "avg", o.p);
    if (layers) {
        printf("\nlayers (%d nodes; shapes per sample C,H,W):\n", g->n_nodes);
        char line[256];
        for (int i = 0; i < g->n_nodes; i++) {
            ct_graph_describe(g, i, line, sizeof line);
            printf("  %4d  %s\n", i, line);
        }
    }
    int n_param = 0, n_buf = 0;
    for (int i = 0; i < g->n_state; i++) *(g->state[i].kind == CT_TENSOR_PARAM ? &n_param : &n_buf) += 1;
    printf("\nparameters: %zu (%d tensors; %zu with weight decay, %zu without)\n"
           "buffers: %d tensors (%zu floats: running stats%s; num_batches_tracked i64)\n",
           ct_model_spec_param_count(s), n_param, g->groups[0].count,
           g->n_groups > 1 ? g->groups[1].count : 0, n_buf, g->n_buffers,
           o.sa ? ", spectral-norm u/v" : "");
    size_t tr = 0, ev = 0;
    if (ct_model_spec_arena_bytes(s, batch, 1, &tr) == CT_OK &&
        ct_model_spec_arena_bytes(s, batch, 0, &ev) == CT_OK)
        printf("activation arena at batch %d: train %.1f MiB (activations kept for backward and "
               "their gradients), eval %.1f MiB; params %.1f MiB (+ the same for grads)\n",
               batch, tr / 1048576.0, ev / 1048576.0, ct_model_spec_param_count(s) * 4 / 1048576.0);
    if (names) {
        printf("\nstate dict (%d tensors):\n", g->n_state);
        for (int i = 0; i < g->n_state; i++) {
            const ct_state_tensor *t = &g->state[i];
            char shape[64] = "()";
            size_t len = 0;
            for (int d = 0; d < t->ndim; d++)
                len += (size_t)snprintf(shape + len, sizeof shape - len, "%s%d%s", d ? ", " : "(",
                                        t->shape[d], d == t->ndim - 1 ? ")" : "");
            printf("  %-44s %-20s %s\n", t->name, shape, kind_str(t));
        }
    }
    ct_model_spec_free(s);
    return CT_EXIT_OK;
}
