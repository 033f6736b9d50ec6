/* The training configuration: the default recipe, the printed settings, and its JSON form (saved
 * in every checkpoint so --resume, eval and predict rebuild the same run). No device, no flags. */
#include <math.h>
#include <string.h>
#include <time.h>

#include "learner_internal.h"

double ct_train_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void ct_train_cfg_default(ct_train_cfg *c)
{
    memset(c, 0, sizeof *c);
    /* The default recipe: Fashion-MNIST at its native 28 px in about 10 minutes on a 2-core PoCL
     * machine. Measured there (shared, loaded): xresnet18 trains at ~170 img/s with bs 128 and
     * ReLU, ~90 with bs 64, ~65 with bs 64 and Mish; validation ~500 img/s. So: 3 epochs of a
     * fixed 30000-image subset at bs 128 (~90k images) with Ranger + flat_cos. */
    strcpy(c->arch, "xresnet18");
    c->act = CT_ACT_RELU;
    c->pool = CT_IDPOOL_AVG;
    c->epochs = 3;
    c->bs = 128;
    c->lr = 8e-3;
    ct_optim_defaults(CT_OPT_RANGER, &c->opt);
    strcpy(c->sched, "flat_cos");
    c->label_smoothing = 0.1f;
    c->seed = 42;
    c->limit_train = 30000;
}

static const char *act_name(ct_act a)
{
    return a == CT_ACT_MISH ? "mish" : a == CT_ACT_RELU ? "relu" : "none";
}

void ct_train_cfg_print(const ct_train_cfg *c, FILE *f)
{
    char opt[256];
    ct_optim_describe(&c->opt, opt, sizeof opt);
    fprintf(f, "  data:            %s\n", c->data[0] ? c->data : CT_DATA_DEFAULT_PATH);
    fprintf(f, "  size:            %d%s\n", c->size, c->size ? "" : " (native)");
    fprintf(f, "  limit-train:     %zu%s\n", c->limit_train, c->limit_train ? "" : " (all)");
    fprintf(f, "  limit-valid:     %zu%s\n", c->limit_valid, c->limit_valid ? "" : " (all)");
    fprintf(f, "  arch:            %s (act %s, sa %d, pool %s, dropout %g)\n", c->arch,
            act_name(c->act), c->sa, c->pool == CT_IDPOOL_MAX ? "max" : "avg", c->dropout);
    fprintf(f, "  epochs:          %d\n", c->epochs);
    fprintf(f, "  bs:              %d\n", c->bs);
    fprintf(f, "  lr:              %g\n", c->lr);
    fprintf(f, "  opt:             %s\n", opt);
    fprintf(f, "  sched:           %s\n", c->sched);
    fprintf(f, "  label-smoothing: %g\n", c->label_smoothing);
    fprintf(f, "  seed:            %llu\n", (unsigned long long)c->seed);
    fprintf(f, "  workers:         %d%s\n", c->workers, c->workers ? "" : " (default)");
    fprintf(f, "  augment:         %s\n", c->small_aug ? "pad 4 + random crop + flip" : "none");
    if (c->presize) fprintf(f, "  presize:         %d px (decode cache)\n", c->presize);
    if (c->strict) fprintf(f, "  strict:          a corrupt image is an error\n");
    if (c->labels_csv[0])
        fprintf(f, "  labels:          %s, column %s\n", c->labels_csv, c->label_col);
}

/* ---- JSON ------------------------------------------------------------------------------------ */

json_t *ct_train_cfg_to_json(const ct_train_cfg *c)
{
    json_t *o = json_object(), *op = json_object();
    json_object_set_new(o, "data", json_string(c->data));
    json_object_set_new(o, "size", json_integer(c->size));
    json_object_set_new(o, "limit_train", json_integer((json_int_t)c->limit_train));
    json_object_set_new(o, "limit_valid", json_integer((json_int_t)c->limit_valid));
    json_object_set_new(o, "arch", json_string(c->arch));
    json_object_set_new(o, "act", json_string(act_name(c->act)));
    json_object_set_new(o, "sa", json_integer(c->sa));
    json_object_set_new(o, "pool", json_string(c->pool == CT_IDPOOL_MAX ? "max" : "avg"));
    json_object_set_new(o, "dropout", json_real(c->dropout));
    json_object_set_new(o, "epochs", json_integer(c->epochs));
    json_object_set_new(o, "bs", json_integer(c->bs));
    json_object_set_new(o, "lr", json_real(c->lr));
    json_object_set_new(o, "sched", json_string(c->sched));
    json_object_set_new(o, "label_smoothing", json_real(c->label_smoothing));
    json_object_set_new(o, "seed", json_integer((json_int_t)c->seed));
    json_object_set_new(o, "workers", json_integer(c->workers));
    json_object_set_new(o, "small_aug", json_integer(c->small_aug));
    json_object_set_new(o, "presize", json_integer(c->presize));
    json_object_set_new(o, "strict", json_integer(c->strict));
    json_object_set_new(o, "labels_csv", json_string(c->labels_csv));
    json_object_set_new(o, "label_col", json_string(c->label_col));
    json_object_set_new(op, "kind", json_string(ct_optim_kind_name(c->opt.kind)));
    json_object_set_new(op, "mom", json_real(c->opt.mom));
    json_object_set_new(op, "sqr_mom", json_real(c->opt.sqr_mom));
    json_object_set_new(op, "eps", json_real(c->opt.eps));
    json_object_set_new(op, "wd", json_real(c->opt.wd));
    json_object_set_new(op, "beta", json_real(c->opt.beta));
    json_object_set_new(op, "decouple_wd", json_integer(c->opt.decouple_wd));
    json_object_set_new(op, "lookahead", json_integer(c->opt.lookahead));
    json_object_set_new(op, "la_k", json_integer(c->opt.la_k));
    json_object_set_new(op, "la_alpha", json_real(c->opt.la_alpha));
    json_object_set_new(o, "opt", op);
    return o;
}

/* Field readers: a missing or mistyped key is a format error naming `where`. */
typedef struct {
    const char *where;
    ct_status st;
} reader;

static json_t *need(reader *r, json_t *o, const char *key, int (*is)(const json_t *))
{
    json_t *v = json_object_get(o, key);
    if (!v || !is(v)) {
        if (r->st == CT_OK)
            r->st = ct_error(CT_ERR_FORMAT, "%s: config key '%s' missing or of the wrong type",
                             r->where, key);
        return NULL;
    }
    return v;
}
static int is_int(const json_t *v) { return json_is_integer(v); }
static int is_num(const json_t *v) { return json_is_number(v); }
static int is_str(const json_t *v) { return json_is_string(v); }
static int is_obj(const json_t *v) { return json_is_object(v); }

static long long get_int(reader *r, json_t *o, const char *key)
{
    json_t *v = need(r, o, key, is_int);
    return v ? json_integer_value(v) : 0;
}
static double get_num(reader *r, json_t *o, const char *key)
{
    json_t *v = need(r, o, key, is_num);
    return v ? json_number_value(v) : NAN;
}
static void get_str(reader *r, json_t *o, const char *key, char *dst, size_t n)
{
    json_t *v = need(r, o, key, is_str);
    if (v) snprintf(dst, n, "%s", json_string_value(v));
}

/* Keys added after the first checkpoints: absent means the default (0 or ""). */
static long long opt_int(reader *r, json_t *o, const char *key)
{
    return json_object_get(o, key) ? get_int(r, o, key) : 0;
}
static void opt_str(reader *r, json_t *o, const char *key, char *dst, size_t n)
{
    if (json_object_get(o, key)) get_str(r, o, key, dst, n);
}

ct_status ct_train_cfg_from_json(json_t *j, ct_train_cfg *c, const char *where)
{
    reader r = {where, CT_OK};
    char s[32] = "";
    ct_train_cfg_default(c);
    if (!json_is_object(j)) return ct_error(CT_ERR_FORMAT, "%s: config is not a JSON object", where);
    get_str(&r, j, "data", c->data, sizeof c->data);
    c->size = (int)get_int(&r, j, "size");
    c->limit_train = (size_t)get_int(&r, j, "limit_train");
    c->limit_valid = (size_t)get_int(&r, j, "limit_valid");
    get_str(&r, j, "arch", c->arch, sizeof c->arch);
    get_str(&r, j, "act", s, sizeof s);
    c->act = !strcmp(s, "mish") ? CT_ACT_MISH : CT_ACT_RELU;
    c->sa = (int)get_int(&r, j, "sa");
    get_str(&r, j, "pool", s, sizeof s);
    c->pool = !strcmp(s, "max") ? CT_IDPOOL_MAX : CT_IDPOOL_AVG;
    c->dropout = (float)get_num(&r, j, "dropout");
    c->epochs = (int)get_int(&r, j, "epochs");
    c->bs = (int)get_int(&r, j, "bs");
    c->lr = get_num(&r, j, "lr");
    get_str(&r, j, "sched", c->sched, sizeof c->sched);
    c->label_smoothing = (float)get_num(&r, j, "label_smoothing");
    c->seed = (uint64_t)get_int(&r, j, "seed");
    c->workers = (int)get_int(&r, j, "workers");
    c->small_aug = (int)get_int(&r, j, "small_aug");
    c->presize = (int)opt_int(&r, j, "presize");
    c->strict = (int)opt_int(&r, j, "strict");
    opt_str(&r, j, "labels_csv", c->labels_csv, sizeof c->labels_csv);
    opt_str(&r, j, "label_col", c->label_col, sizeof c->label_col);
    json_t *op = need(&r, j, "opt", is_obj);
    if (!op) return r.st;
    get_str(&r, op, "kind", s, sizeof s);
    if (r.st == CT_OK && ct_optim_kind_parse(s, &c->opt.kind) != CT_OK)
        return ct_error(CT_ERR_FORMAT, "%s: unknown optimizer '%s'", where, s);
    c->opt.mom = (float)get_num(&r, op, "mom");
    c->opt.sqr_mom = (float)get_num(&r, op, "sqr_mom");
    c->opt.eps = (float)get_num(&r, op, "eps");
    c->opt.wd = (float)get_num(&r, op, "wd");
    c->opt.beta = (float)get_num(&r, op, "beta");
    c->opt.decouple_wd = (int)get_int(&r, op, "decouple_wd");
    c->opt.lookahead = (int)get_int(&r, op, "lookahead");
    c->opt.la_k = (int)get_int(&r, op, "la_k");
    c->opt.la_alpha = (float)get_num(&r, op, "la_alpha");
    return r.st;
}
