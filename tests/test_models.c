/* Model specs without a device: fastai's parameter counts (fastai-semantics.md §6 table), the
 * PyTorch state-dict names/shapes/order against tests/data/model_names.txt (written from an
 * independent PyTorch rebuild by tests/gen/gen_models.py), groups, init values, plans. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/models.h"
#include "util.h"

static ct_model_spec *spec_of(const char *arch, int c_in, int n_out, int sa, ct_act act)
{
    ct_model_opts o;
    ct_model_opts_default(&o);
    o.c_in = c_in, o.n_out = n_out, o.sa = sa, o.act = act;
    ct_model_spec *s = NULL;
    T_OK(ct_model_spec_create(&s, arch, &o));
    return s;
}

static void check_count(const char *arch, int sa, size_t want)
{
    ct_model_spec *s = spec_of(arch, 3, 10, sa, CT_ACT_RELU);
    if (!s) return;
    size_t got = ct_model_spec_param_count(s);
    T_CHECK(got == want, "%s%s: %zu parameters, fastai has %zu", arch, sa ? " sa" : "", got, want);
    ct_model_spec_free(s);
}

/* Compare one model's state-dict list with the golden block that starts at *line. */
static void check_names(FILE *f)
{
    char line[256], arch[32];
    int c_in, n_out, sa, n_sd;
    size_t count;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        if (sscanf(line, "model %31s %d %d %d %zu %d", arch, &c_in, &n_out, &sa, &count, &n_sd) != 6) {
            T_CHECK(0, "model_names.txt: bad header line '%s'", line);
            return;
        }
        ct_model_spec *s = spec_of(arch, c_in, n_out, sa, sa ? CT_ACT_MISH : CT_ACT_RELU);
        if (!s) return;
        int n = ct_model_spec_tensor_count(s), bad = 0;
        T_CHECK(ct_model_spec_param_count(s) == count, "%s c_in %d sa %d: %zu params, torch %zu",
                arch, c_in, sa, ct_model_spec_param_count(s), count);
        T_CHECK(n == n_sd, "%s c_in %d sa %d: %d state tensors, torch %d", arch, c_in, sa, n, n_sd);
        for (int i = 0; i < n_sd; i++) {
            char name[128], shape[64], mine[64] = "";
            if (!fgets(line, sizeof line, f) || sscanf(line, "%127s %63s", name, shape) != 2) {
                T_CHECK(0, "model_names.txt truncated in %s", arch);
                ct_model_spec_free(s);
                return;
            }
            const ct_state_tensor *t = ct_model_spec_tensor(s, i);
            if (!t) continue;
            size_t len = 0;
            for (int d = 0; d < t->ndim; d++)
                len += (size_t)snprintf(mine + len, sizeof mine - len, "%s%d", d ? "," : "",
                                        t->shape[d]);
            if (!t->ndim) strcpy(mine, "-");
            if ((strcmp(name, t->name) || strcmp(shape, mine)) && bad++ < 5)
                fprintf(stderr, "  %s #%d: torch %s (%s), cltrain %s (%s)\n", arch, i, name, shape,
                        t->name, mine);
        }
        T_CHECK(bad == 0, "%s c_in %d sa %d: %d state-dict entries differ from PyTorch", arch, c_in,
                sa, bad);
        ct_model_spec_free(s);
    }
}

/* A few names the issue spells out, and the kinds, dtypes, groups and init of xresnet50. */
static void check_structure(void)
{
    ct_model_spec *s = spec_of("xresnet50", 3, 10, 0, CT_ACT_RELU);
    if (!s) return;
    const char *want[] = {"0.0.weight", "0.1.running_mean", "4.0.convpath.0.0.weight",
                          "4.0.idpath.0.0.weight", "5.0.idpath.1.0.weight", "11.bias"};
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        int found = 0;
        for (int i = 0; i < ct_model_spec_tensor_count(s); i++)
            found |= !strcmp(ct_model_spec_tensor(s, i)->name, want[w]);
        T_CHECK(found, "xresnet50 has no %s", want[w]);
    }
    const ct_graph *g = ct_model_spec_graph(s);
    /* groups: contiguous, cover every param, do_wd first; every tensor inside its group */
    T_CHECK(g->n_groups == 2 && g->groups[0].do_wd == 1 && g->groups[1].do_wd == 0 &&
                g->groups[0].offset == 0 && g->groups[1].offset == g->groups[0].count &&
                g->groups[0].count + g->groups[1].count == g->n_params,
            "xresnet50 param groups are not [wd | no wd] covering all params");
    size_t bn_like = 0, last_bn_zero = 0, bn_weights = 0;
    for (int i = 0; i < g->n_state; i++) {
        const ct_state_tensor *t = &g->state[i];
        int is_bias = strstr(t->name, ".bias") != NULL;
        int is_bn = t->kind == CT_TENSOR_PARAM && t->ndim == 1 && !is_bias;
        if (t->kind == CT_TENSOR_PARAM) {
            T_CHECK(t->do_wd == !(is_bias || is_bn), "%s: do_wd %d", t->name, t->do_wd);
            const ct_param_group *gr = &g->groups[t->do_wd ? 0 : 1];
            T_CHECK(t->offset >= gr->offset && t->offset + t->numel <= gr->offset + gr->count,
                    "%s outside its group", t->name);
            if (is_bn || is_bias) bn_like++;
            if (is_bn) {
                bn_weights++;
                /* BatchZero: weight 0 on the last BN of each conv path, 1 elsewhere */
                int last = strstr(t->name, "convpath.2.1.weight") != NULL;
                T_CHECK(t->init == CT_INIT_CONST && t->init_value == (last ? 0.0f : 1.0f),
                        "%s init %g", t->name, t->init_value);
                last_bn_zero += last;
            }
            if (t->ndim >= 2) {
                int fan = 1;
                for (int d = 1; d < t->ndim; d++) fan *= t->shape[d];
                T_CHECK(t->init == CT_INIT_KAIMING && t->fan_in == fan, "%s fan_in %d, want %d",
                        t->name, t->fan_in, fan);
            }
        } else {
            T_CHECK(t->dtype == (strstr(t->name, "num_batches_tracked") ? CT_DTYPE_I64 : CT_DTYPE_F32),
                    "%s dtype", t->name);
        }
    }
    T_CHECK(last_bn_zero == 16, "xresnet50: %zu zero-init BNs, want 16 (one per block)", last_bn_zero);
    T_CHECK(bn_like > 0 && bn_weights > 0, "xresnet50: no bn params found");
    /* memory plan: eval reuses buffers so it is smaller than train at the same batch */
    size_t tr = 0, ev = 0;
    T_OK(ct_model_spec_arena_bytes(s, 8, 1, &tr));
    T_OK(ct_model_spec_arena_bytes(s, 8, 0, &ev));
    printf("xresnet50 at 128 px, batch 8: train arena %.1f MiB, eval arena %.1f MiB\n",
           tr / 1048576.0, ev / 1048576.0);
    T_CHECK(ev * 3 < tr, "eval arena %zu not well below train arena %zu", ev, tr);
    ct_model_spec_free(s);
}

/* fastai's constructor knobs give tiny nets with the same names; bad arch/options fail clearly. */
static void check_options(void)
{
    ct_model_opts o;
    ct_model_opts_default(&o);
    ct_model_spec *s = NULL;
    T_CHECK(ct_model_spec_create(&s, "resnet18", &o) == CT_ERR_NOT_FOUND &&
                strstr(ct_last_error(), "xse_resnext50"),
            "unknown arch: error lists the known ones: %s", ct_last_error());
    o.size = 0;
    T_CHECK(ct_model_spec_create(&s, "xresnet18", &o) == CT_ERR_INVALID_ARG, "size 0 accepted");
    ct_model_opts_default(&o);
    o.act = CT_ACT_SIGMOID;
    T_CHECK(ct_model_spec_create(&s, "xresnet18", &o) == CT_ERR_INVALID_ARG, "act sigmoid accepted");
    ct_model_opts_default(&o);
    o.layers[0] = o.layers[1] = o.layers[2] = o.layers[3] = 1;
    o.widen = 0.25f; /* 0.125 would give SE 8 // 16 = 0 hidden channels, in fastai too */
    o.stem[0] = o.stem[1] = 8;
    o.p = 0.25f;
    T_OK(ct_model_spec_create(&s, "xse_resnet18", &o));
    if (s) {
        /* stage widths 16 32 64 128, SE hidden 8; dropout node present, Linear still "11" */
        const ct_graph *g = ct_model_spec_graph(s);
        int has_drop = 0;
        for (int i = 0; i < g->n_nodes; i++) has_drop |= g->nodes[i].kind == CT_NODE_DROPOUT;
        const ct_state_tensor *last = ct_model_spec_tensor(s, ct_model_spec_tensor_count(s) - 1);
        T_CHECK(has_drop && !strcmp(last->name, "11.bias"), "tiny net: dropout %d, last %s",
                has_drop, last->name);
        ct_model_spec_free(s);
    }
}

int main(void)
{
    check_count("xresnet18", 0, 11200874);
    check_count("xresnet18", 1, 11204971);
    check_count("xresnet34", 0, 21309034);
    check_count("xresnet50", 0, 23547754);
    check_count("xresnet50", 1, 23613291);
    check_count("xresnet101", 0, 42539882);
    check_count("xresnext50", 0, 23019626);
    check_count("xse_resnext18", 0, 13138026);
    check_count("xse_resnext34", 0, 23638178);
    check_count("xse_resnext50", 0, 25550618);
    check_count("xse_resnext50", 1, 25616155);
    check_count("xse_resnet50", 0, 124748826);
    char path[512];
    FILE *f = fopen(t_data_path("model_names.txt", path, sizeof path), "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return T_SETUP;
    }
    check_names(f);
    fclose(f);
    check_structure();
    check_options();
    return t_finish("test_models");
}
