/* fastai's XResNet family (fastai-semantics.md §6) as graph builders: stem, stages of ResBlocks
 * (basic/bottleneck, grouped, SE, SA), head; names come from the module path. Host only. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/nn.h"

typedef struct {
    const char *name;
    int expansion;
    int layers[4];
    int se;         /* 0 ResBlock widths; 1 SEBlock widths (nh1 = 2 nf, nh2 = nf * expansion);
                       2 SEResNeXtBlock widths (nh1 = nh2 = floor(nf * 4 / 64) * groups) */
    int groups;
    int reduction;  /* 0: no SE module */
} arch_def;

static const arch_def archs[] = {
    {"xresnet18", 1, {2, 2, 2, 2}, 0, 1, 0},
    {"xresnet34", 1, {3, 4, 6, 3}, 0, 1, 0},
    {"xresnet50", 4, {3, 4, 6, 3}, 0, 1, 0},
    {"xresnet101", 4, {3, 4, 23, 3}, 0, 1, 0},
    {"xresnet152", 4, {3, 8, 36, 3}, 0, 1, 0},
    {"xresnext50", 4, {3, 4, 6, 3}, 2, 32, 0},
    {"xse_resnext18", 1, {2, 2, 2, 2}, 2, 32, 16},
    {"xse_resnext34", 1, {3, 4, 6, 3}, 2, 32, 16},
    {"xse_resnext50", 4, {3, 4, 6, 3}, 2, 32, 16},
    {"xse_resnext101", 4, {3, 4, 23, 3}, 2, 32, 16},
    {"xse_resnet18", 1, {2, 2, 2, 2}, 1, 1, 16},
    {"xse_resnet34", 1, {3, 4, 6, 3}, 1, 1, 16},
    {"xse_resnet50", 4, {3, 4, 6, 3}, 1, 1, 16},
};
enum { N_ARCHS = sizeof archs / sizeof archs[0] };

const char *const *ct_model_archs(void)
{
    static const char *names[N_ARCHS + 1];
    for (int i = 0; i < N_ARCHS; i++) names[i] = archs[i].name;
    names[N_ARCHS] = NULL;
    return names;
}

enum { NORM_NONE, NORM_BATCH, NORM_BATCHZERO };

/* nn.BatchNorm2d(c) at the current scope: weight, bias, running_mean, running_var,
 * num_batches_tracked; weight 1, or 0 for BatchZero. */
static int batchnorm(ct_graph *g, int x, int c, int zero)
{
    int sh[1] = {c};
    int w = ct_graph_param(g, "weight", 1, sh, 0, CT_INIT_CONST, zero ? 0.0f : 1.0f, 0);
    int b = ct_graph_param(g, "bias", 1, sh, 0, CT_INIT_CONST, 0.0f, 0);
    int rm = ct_graph_buffer(g, "running_mean", 1, sh, CT_DTYPE_F32, CT_INIT_CONST, 0.0f);
    int rv = ct_graph_buffer(g, "running_var", 1, sh, CT_DTYPE_F32, CT_INIT_CONST, 1.0f);
    ct_graph_buffer(g, "num_batches_tracked", 0, NULL, CT_DTYPE_I64, CT_INIT_CONST, 0.0f);
    return ct_graph_bn(g, x, w, b, rm, rv);
}

/* fastai ConvLayer(ni, nf, ks, stride, groups, norm, act) at the current scope: Sequential of
 * conv "0" (bias only without a norm), BatchNorm "1", activation. */
static int conv_layer(ct_graph *g, int x, int ni, int nf, int ks, int stride, int groups, int norm,
                      ct_act act)
{
    int fan_in = ni / groups * ks * ks;
    ct_graph_push(g, "0");
    int w = ct_graph_param(g, "weight", 4, (int[]){nf, ni / groups, ks, ks}, 1, CT_INIT_KAIMING,
                           0.0f, fan_in);
    int b = norm == NORM_NONE ? ct_graph_param(g, "bias", 1, (int[]){nf}, 0, CT_INIT_CONST, 0, 0)
                              : -1;
    x = ct_graph_conv(g, x, w, b, nf, ks, stride, (ks - 1) / 2, groups);
    ct_graph_pop(g);
    if (norm != NORM_NONE) {
        ct_graph_push(g, "1");
        x = batchnorm(g, x, nf, norm == NORM_BATCHZERO);
        ct_graph_pop(g);
    }
    if (act != CT_ACT_NONE) x = ct_graph_act(g, x, act);
    return x;
}

/* A 1x1 ConvLayer without norm on a (N, C, 1, 1) tensor, run as a linear layer (same weight
 * layout (nf, ni, 1, 1)); scope = the ConvLayer. */
static int conv1x1_flat(ct_graph *g, int x, int ni, int nf, ct_act act)
{
    ct_graph_push(g, "0");
    int w = ct_graph_param(g, "weight", 4, (int[]){nf, ni, 1, 1}, 1, CT_INIT_KAIMING, 0.0f, ni);
    int b = ct_graph_param(g, "bias", 1, (int[]){nf}, 0, CT_INIT_CONST, 0.0f, 0);
    x = ct_graph_linear(g, x, w, b, nf);
    ct_graph_pop(g);
    return ct_graph_act(g, x, act);
}

/* SEModule(ch, reduction): SequentialEx(layers = [AdaptiveAvgPool2d(1), ConvLayer(ch, r, 1, no
 * norm, act), ConvLayer(r, ch, 1, no norm, Sigmoid), ProdLayer()]). */
static int se_module(ct_graph *g, int x, int ch, int reduction, ct_act act)
{
    int r = (int)ceil((double)(ch / reduction) / 8.0) * 8;
    ct_graph_push(g, "layers");
    int s = ct_graph_gap(g, x);
    ct_graph_push(g, "1");
    s = conv1x1_flat(g, s, ch, r, act);
    ct_graph_pop(g);
    ct_graph_push(g, "2");
    s = conv1x1_flat(g, s, r, ch, CT_ACT_SIGMOID);
    ct_graph_pop(g);
    ct_graph_pop(g);
    return ct_graph_chscale(g, x, s);
}

/* SimpleSelfAttention(ch, ks=1): gamma (1) initialised 0; conv = spectral_norm(Conv1d(ch, ch, 1,
 * bias=False)): weight_orig (param, kaiming), weight_u (ch), weight_v (ch) buffers. */
static int self_attention(ct_graph *g, int x, int ch)
{
    int gamma = ct_graph_param(g, "gamma", 1, (int[]){1}, 1, CT_INIT_CONST, 0.0f, 0);
    ct_graph_push(g, "conv");
    int w = ct_graph_param(g, "weight_orig", 3, (int[]){ch, ch, 1}, 1, CT_INIT_KAIMING, 0.0f, ch);
    int u = ct_graph_buffer(g, "weight_u", 1, (int[]){ch}, CT_DTYPE_F32, CT_INIT_UNIT, 0.0f);
    int v = ct_graph_buffer(g, "weight_v", 1, (int[]){ch}, CT_DTYPE_F32, CT_INIT_UNIT, 0.0f);
    ct_graph_pop(g);
    return ct_graph_sa(g, x, gamma, w, u, v);
}

typedef struct {
    int expansion, groups, reduction, sa;
    int nh1, nh2;
    ct_act act;
    ct_idpool pool;
} block_cfg;

/* fastai ResBlock(expansion, ni, nf, stride) at the current scope: act(convpath(x) + idpath(x)). */
static int res_block(ct_graph *g, int x, int ni, int nf, int stride, const block_cfg *c)
{
    int nh2 = c->nh2 ? c->nh2 : nf, nh1 = c->nh1 ? c->nh1 : nh2;
    nf *= c->expansion;
    ni *= c->expansion;
    ct_graph_push(g, "convpath");
    int y = x, i = 0;
    ct_graph_push(g, "%d", i++);
    if (c->expansion == 1) {
        y = conv_layer(g, y, ni, nh2, 3, stride, c->groups, NORM_BATCH, c->act);
        ct_graph_pop(g);
        ct_graph_push(g, "%d", i++);
        y = conv_layer(g, y, nh2, nf, 3, 1, 1, NORM_BATCHZERO, CT_ACT_NONE);
    } else {
        y = conv_layer(g, y, ni, nh1, 1, 1, 1, NORM_BATCH, c->act);
        ct_graph_pop(g);
        ct_graph_push(g, "%d", i++);
        y = conv_layer(g, y, nh1, nh2, 3, stride, c->groups, NORM_BATCH, c->act);
        ct_graph_pop(g);
        ct_graph_push(g, "%d", i++);
        y = conv_layer(g, y, nh2, nf, 1, 1, 1, NORM_BATCHZERO, CT_ACT_NONE);
    }
    ct_graph_pop(g);
    if (c->reduction) {
        ct_graph_push(g, "%d", i++);
        y = se_module(g, y, nf, c->reduction, c->act);
        ct_graph_pop(g);
    }
    if (c->sa) {
        ct_graph_push(g, "%d", i++);
        y = self_attention(g, y, nf);
        ct_graph_pop(g);
    }
    ct_graph_pop(g);
    /* idpath = [pool if stride != 1] + [ConvLayer(ni, nf, 1, no act) if ni != nf] */
    ct_graph_push(g, "idpath");
    int id = x, j = 0;
    if (stride != 1) {
        id = c->pool == CT_IDPOOL_MAX ? ct_graph_maxpool(g, id, 2, 2, 0, 0)
                                      : ct_graph_avgpool(g, id, stride, stride, 0, 1);
        j++;
    }
    if (ni != nf) {
        ct_graph_push(g, "%d", j);
        id = conv_layer(g, id, ni, nf, 1, 1, 1, NORM_BATCH, CT_ACT_NONE);
        ct_graph_pop(g);
    }
    ct_graph_pop(g);
    return ct_graph_act(g, ct_graph_add(g, y, id), c->act);
}

static int build_xresnet(ct_graph *g, const arch_def *a, const ct_model_opts *o)
{
    int x = g->input;
    /* stem: three ConvLayers "0" "1" "2", MaxPool2d(3, 2, 1) "3" */
    const int stem[4] = {o->c_in, o->stem[0] ? o->stem[0] : 32, o->stem[1] ? o->stem[1] : 32,
                         o->stem[2] ? o->stem[2] : 64};
    for (int i = 0; i < 3; i++) {
        ct_graph_push(g, "%d", i);
        x = conv_layer(g, x, stem[i], stem[i + 1], 3, i == 0 ? 2 : 1, 1, NORM_BATCH, o->act);
        ct_graph_pop(g);
    }
    ct_graph_push(g, "3");
    x = ct_graph_maxpool(g, x, 3, 2, 1, 0);
    ct_graph_pop(g);
    /* stages "4".."7": block_szs = [64 / expansion, 64, 128, 256, 512] */
    const double wd = o->widen > 0 ? o->widen : 1.0;
    const int szs[5] = {64 / a->expansion, (int)(64 * wd), (int)(128 * wd), (int)(256 * wd),
                        (int)(512 * wd)};
    const int n_stages = 4;
    int layers[4];
    for (int s = 0; s < n_stages; s++) layers[s] = o->layers[s] > 0 ? o->layers[s] : a->layers[s];
    for (int s = 0; s < n_stages; s++) {
        ct_graph_push(g, "%d", 4 + s);
        for (int b = 0; b < layers[s]; b++) {
            int nf = szs[s + 1];
            block_cfg c = {a->expansion, a->groups, a->reduction, 0, 0, 0, o->act, o->pool};
            c.sa = o->sa && s == n_stages - 4 && b == layers[s] - 1;
            if (a->se == 1) c.nh1 = 2 * nf, c.nh2 = nf * a->expansion;
            if (a->se == 2) c.nh1 = c.nh2 = nf * 4 / 64 * a->groups;
            ct_graph_push(g, "%d", b);
            x = res_block(g, x, b == 0 ? szs[s] : nf, nf, b == 0 && s > 0 ? 2 : 1, &c);
            ct_graph_pop(g);
        }
        ct_graph_pop(g);
    }
    /* head: AdaptiveAvgPool "8", Flatten "9", Dropout "10", Linear "11" */
    ct_graph_push(g, "8");
    x = ct_graph_gap(g, x);
    ct_graph_pop(g);
    if (o->p > 0) {
        ct_graph_push(g, "10");
        x = ct_graph_dropout(g, x, o->p);
        ct_graph_pop(g);
    }
    int nf = szs[4] * a->expansion;
    ct_graph_push(g, "11");
    int w = ct_graph_param(g, "weight", 2, (int[]){o->n_out, nf}, 1, CT_INIT_KAIMING, 0.0f, nf);
    int b = ct_graph_param(g, "bias", 1, (int[]){o->n_out}, 0, CT_INIT_CONST, 0.0f, 0);
    x = ct_graph_linear(g, x, w, b, o->n_out);
    ct_graph_pop(g);
    return x;
}

ct_status ct_nn_build(const char *arch, const ct_model_opts *o, ct_graph **out)
{
    *out = NULL;
    const arch_def *a = NULL;
    for (int i = 0; i < N_ARCHS; i++)
        if (!strcmp(archs[i].name, arch)) a = &archs[i];
    if (!a) {
        char list[400];
        size_t len = 0;
        for (int i = 0; i < N_ARCHS; i++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? " " : "",
                                    archs[i].name);
        return ct_error(CT_ERR_NOT_FOUND, "src/nn/xresnet.c: unknown architecture '%s' (known: %s)",
                        arch, list);
    }
    if (o->c_in <= 0 || o->n_out <= 0 || o->size <= 0 || !(o->p >= 0 && o->p < 1) ||
        (o->act != CT_ACT_RELU && o->act != CT_ACT_MISH))
        return ct_error(CT_ERR_INVALID_ARG, "src/nn/xresnet.c: bad model options (c_in %d, n_out "
                        "%d, size %d, p %g, act %d)", o->c_in, o->n_out, o->size, o->p, o->act);
    ct_graph *g;
    ct_status st = ct_graph_create(&g, o->c_in, o->size, o->size);
    if (st != CT_OK) return st;
    ct_graph_set_output(g, build_xresnet(g, a, o));
    st = ct_graph_finish(g);
    if (st != CT_OK) {
        char why[256];
        snprintf(why, sizeof why, "%s", ct_last_error());
        ct_graph_free(g);
        return ct_error(st, "%s (building %s at %d px)", why, arch, o->size);
    }
    *out = g;
    return CT_OK;
}
