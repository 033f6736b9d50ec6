/* Shared test helpers (see util.h). Test-only code: links into tests, never into libcltrain. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int t_failures = 0, t_checks = 0;

int t_ctx(ct_ctx **ctx)
{
    ct_ctx_opts o = {NULL, getenv("CLTRAIN_TEST_VERBOSE") != NULL};
    ct_status st = ct_ctx_create(ctx, &o);
    if (st == CT_OK) return T_PASS;
    const char *req = getenv("CLTRAIN_REQUIRE_DEVICE");
    int required = req && strcmp(req, "0") != 0;
    fprintf(stderr, "no usable OpenCL device: %s: %s\n", ct_status_str(st), ct_last_error());
    if (st == CT_ERR_NO_DEVICE || st == -1 /* CL_DEVICE_NOT_FOUND */) {
        if (required) {
            fprintf(stderr, "CLTRAIN_REQUIRE_DEVICE=1: a missing device is a failure\n");
            return T_FAIL;
        }
        return T_SKIP;
    }
    return T_SETUP;
}

int t_close(const char *what, const float *got, const double *ref, size_t n, double atol,
            double rtol)
{
    size_t worst = 0, bad = 0;
    double worst_excess = -INFINITY, max_abs = 0;
    for (size_t i = 0; i < n; i++) {
        double err = fabs((double)got[i] - ref[i]);
        double tol = atol + rtol * fabs(ref[i]);
        if (!(err <= tol)) bad++; /* NaN counts as bad */
        double excess = isnan(err) ? INFINITY : err - tol;
        if (excess > worst_excess) worst_excess = excess, worst = i;
        if (err > max_abs) max_abs = err;
    }
    t_checks++;
    if (bad) {
        t_failures++;
        fprintf(stderr, "FAIL %s: %zu of %zu elements off (atol %g rtol %g); worst [%zu] got %.9g "
                        "ref %.9g\n", what, bad, n, atol, rtol, worst, got[worst], ref[worst]);
        return 0;
    }
    if (getenv("CLTRAIN_TEST_VERBOSE"))
        fprintf(stderr, "ok   %s: %zu elements, max |err| %.3g\n", what, n, max_abs);
    return 1;
}

int t_close_f(const char *what, const float *got, const float *ref, size_t n, double atol,
              double rtol)
{
    double *r = t_to_double(ref, n);
    if (!r) return 0;
    int ok = t_close(what, got, r, n, atol, rtol);
    free(r);
    return ok;
}

int t_finish(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, t_checks, t_failures);
    return t_failures ? T_FAIL : T_PASS;
}

void t_rng_seed(t_rng *r, uint64_t seed)
{
    r->s = seed * 0x9E3779B97F4A7C15ULL + 0x1234567ULL;
    if (!r->s) r->s = 1;
}

static uint64_t next(t_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1DULL;
}

double t_uniform(t_rng *r)
{
    return (next(r) >> 11) * (1.0 / 9007199254740992.0);
}

double t_normal(t_rng *r)
{
    double u1 = t_uniform(r), u2 = t_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

void t_fill_uniform(t_rng *r, float *x, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++) x[i] = (float)(lo + (hi - lo) * t_uniform(r));
}

void t_fill_normal(t_rng *r, float *x, size_t n, float std)
{
    for (size_t i = 0; i < n; i++) x[i] = (float)(std * t_normal(r));
}

cl_mem t_upload(ct_ctx *ctx, const void *host, size_t bytes)
{
    cl_mem m;
    if (ct_buf_alloc(ctx, bytes, &m) != CT_OK) {
        fprintf(stderr, "t_upload: %s\n", ct_last_error());
        return NULL;
    }
    if (ct_buf_write(ctx, m, 0, bytes, host) != CT_OK) {
        fprintf(stderr, "t_upload: %s\n", ct_last_error());
        ct_buf_free(ctx, m);
        return NULL;
    }
    return m;
}

cl_mem t_alloc(ct_ctx *ctx, size_t bytes, float fill)
{
    float *h = malloc(bytes + 4);
    if (!h) return NULL;
    for (size_t i = 0; i < bytes / 4; i++) h[i] = fill;
    cl_mem m = t_upload(ctx, h, bytes);
    free(h);
    return m;
}

int t_download(ct_ctx *ctx, cl_mem m, void *host, size_t bytes)
{
    ct_status st = ct_buf_read(ctx, m, 0, bytes, host);
    if (st != CT_OK) fprintf(stderr, "t_download: %s\n", ct_last_error());
    return st == CT_OK;
}

const char *t_data_path(const char *file, char *buf, size_t n)
{
    const char *dir = getenv("CLTRAIN_TEST_DATA");
    snprintf(buf, n, "%s/%s", dir && *dir ? dir : "tests/data", file);
    return buf;
}

static int rd_u32(FILE *f, uint32_t *v)
{
    unsigned char b[4];
    if (fread(b, 1, 4, f) != 4) return 0;
    *v = b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 1;
}

t_golden *t_golden_load(const char *file)
{
    char path[4096];
    t_data_path(file, path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "golden file %s: cannot open\n", path);
        return NULL;
    }
    t_golden *g = calloc(1, sizeof *g);
    char magic[8];
    uint32_t count;
    if (!g || fread(magic, 1, 8, f) != 8 || memcmp(magic, "CTGOLD1\n", 8) || !rd_u32(f, &count) ||
        count > 4096)
        goto bad;
    g->t = calloc(count ? count : 1, sizeof *g->t);
    if (!g->t) goto bad;
    for (uint32_t i = 0; i < count; i++) {
        t_tensor *t = &g->t[i];
        uint32_t nl, nd;
        if (!rd_u32(f, &nl) || nl >= sizeof t->name || fread(t->name, 1, nl, f) != nl) goto bad;
        t->name[nl] = '\0';
        if (!rd_u32(f, &nd) || nd > 8) goto bad;
        t->ndim = (int)nd;
        t->numel = 1;
        for (uint32_t d = 0; d < nd; d++) {
            uint32_t v;
            if (!rd_u32(f, &v) || v > (1u << 26)) goto bad;
            t->dims[d] = (int)v;
            t->numel *= v;
        }
        if (t->numel > (1u << 26)) goto bad;
        t->data = malloc(t->numel * sizeof(float) + 4);
        g->count = (int)i + 1;
        if (!t->data || fread(t->data, sizeof(float), t->numel, f) != t->numel) goto bad;
    }
    fclose(f);
    return g;
bad:
    fprintf(stderr, "golden file %s: malformed or truncated\n", path);
    fclose(f);
    t_golden_free(g);
    return NULL;
}

const t_tensor *t_golden_get(const t_golden *g, const char *name)
{
    for (int i = 0; g && i < g->count; i++)
        if (!strcmp(g->t[i].name, name)) return &g->t[i];
    fprintf(stderr, "golden tensor '%s' missing\n", name);
    return NULL;
}

void t_golden_free(t_golden *g)
{
    if (!g) return;
    for (int i = 0; i < g->count; i++) free(g->t[i].data);
    free(g->t);
    free(g);
}

double *t_to_double(const float *x, size_t n)
{
    double *d = malloc((n ? n : 1) * sizeof *d);
    if (d)
        for (size_t i = 0; i < n; i++) d[i] = x[i];
    return d;
}
