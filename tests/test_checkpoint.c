/* safetensors: round trip of every dtype, byte-exact layout against a file written by the
 * PyTorch-side generator (tests/gen/safetensors_ref.py), and clear errors on corrupt files. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cltrain/checkpoint.h"
#include "util.h"

static char dir[256];

static const char *tmp_path(const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", dir, name);
    return buf;
}

/* every dtype, a scalar, an empty tensor, metadata; read back equal */
static void round_trip(void)
{
    float w[2 * 3 * 5];
    for (int i = 0; i < 30; i++) w[i] = (float)i * 0.37f - 4.0f;
    int64_t nbt = -((int64_t)1 << 40) - 7;
    int32_t ids[3] = {-1, 0, 2147483647};
    uint8_t px[5] = {0, 1, 127, 128, 255};
    float sc = 3.5f;
    ct_st_tensor t[] = {
        {"u8", CT_ST_U8, 1, {5}, px},        {"conv.weight", CT_ST_F32, 3, {2, 3, 5}, w},
        {"ids", CT_ST_I32, 1, {3}, ids},     {"bn.num_batches_tracked", CT_ST_I64, 0, {0}, &nbt},
        {"scalar", CT_ST_F32, 0, {0}, &sc},  {"empty", CT_ST_F32, 2, {0, 4}, w},
    };
    ct_st_meta meta[] = {{"config", "{\"arch\": \"xresnet18\"}"}, {"step", "42"}};
    char p[512];
    tmp_path("rt.safetensors", p, sizeof p);
    T_OK(ct_st_write(p, t, 6, meta, 2));
    ct_st_file *f = NULL;
    T_OK(ct_st_read(p, &f));
    if (!f) return;
    T_CHECK(ct_st_count(f) == 6, "count %d", ct_st_count(f));
    for (int i = 0; i < 6; i++) {
        const ct_st_tensor *g = ct_st_find(f, t[i].name);
        T_CHECK(g != NULL, "tensor %s missing", t[i].name);
        if (!g) continue;
        T_CHECK(g->dtype == t[i].dtype && g->ndim == t[i].ndim, "%s dtype/rank", t[i].name);
        for (int d = 0; d < t[i].ndim; d++)
            T_CHECK(g->shape[d] == t[i].shape[d], "%s dim %d", t[i].name, d);
        size_t bytes = ct_st_numel(&t[i]) * ct_st_dtype_size(t[i].dtype);
        T_CHECK(!memcmp(g->data, t[i].data, bytes), "%s data differs", t[i].name);
        T_CHECK(((uintptr_t)g->data % ct_st_dtype_size(g->dtype)) == 0, "%s misaligned", t[i].name);
    }
    T_CHECK(ct_st_meta_get(f, "step") && !strcmp(ct_st_meta_get(f, "step"), "42"), "meta step");
    T_CHECK(ct_st_meta_get(f, "config") && strstr(ct_st_meta_get(f, "config"), "xresnet18"),
            "meta config");
    T_CHECK(ct_st_meta_get(f, "nope") == NULL, "absent key");
    T_CHECK(ct_st_find(f, "nope") == NULL, "absent tensor");
    ct_st_free(f);

    /* duplicate names are refused and leave no file behind */
    ct_st_tensor dup[] = {{"a", CT_ST_F32, 0, {0}, &sc}, {"a", CT_ST_F32, 0, {0}, &sc}};
    tmp_path("dup.safetensors", p, sizeof p);
    T_CHECK(ct_st_write(p, dup, 2, NULL, 0) == CT_ERR_INVALID_ARG, "duplicate accepted");
    T_CHECK(access(p, F_OK) != 0, "refused write left %s", p);
}

/* The reference file: values as the generator wrote them, and our writer reproduces its bytes. */
static void reference_file(void)
{
    char p[512];
    t_data_path("st_ref.safetensors", p, sizeof p);
    ct_st_file *f = NULL;
    T_OK(ct_st_read(p, &f));
    if (!f) return;
    const ct_st_tensor *w = ct_st_find(f, "0.0.weight"), *nbt = ct_st_find(f, "0.1.num_batches_tracked"),
                       *rm = ct_st_find(f, "0.1.running_mean"), *rv = ct_st_find(f, "0.1.running_var"),
                       *b = ct_st_find(f, "11.bias");
    T_CHECK(w && nbt && rm && rv && b && ct_st_count(f) == 7, "reference tensors missing");
    if (w && nbt && rm && rv && b) {
        T_CHECK(w->ndim == 4 && w->shape[0] == 4 && w->shape[1] == 1 && w->shape[3] == 3, "w shape");
        /* torch.manual_seed(0); torch.randn(4,1,3,3): first values and the double sum */
        const double first[3] = {-1.1258398294448853, -1.152360200881958, -0.2505785822868347};
        t_close("ref 0.0.weight[:3]", w->data, first, 3, 0, 0);
        double sum = 0;
        for (int i = 0; i < 36; i++) sum += ((const float *)w->data)[i];
        T_CHECK(sum > -2.2472308492287993 - 1e-9 && sum < -2.2472308492287993 + 1e-9, "w sum %.17g", sum);
        T_CHECK(nbt->dtype == CT_ST_I64 && nbt->ndim == 0 &&
                    *(const int64_t *)nbt->data == 12345678901LL, "num_batches_tracked");
        const double rmv[4] = {0, 0.25, 0.5, 0.75}, rvv[4] = {2.5, 2.5, 2.5, 2.5}, bv[3] = {-1.5, 0, 3.25};
        t_close("ref running_mean", rm->data, rmv, 4, 0, 0);
        t_close("ref running_var", rv->data, rvv, 4, 0, 0);
        t_close("ref 11.bias", b->data, bv, 3, 0, 0);
    }
    T_CHECK(ct_st_meta_get(f, "format") && !strcmp(ct_st_meta_get(f, "format"), "pt"), "meta format");

    /* write the same tensors (in file order) with the same metadata: identical bytes */
    int n = ct_st_count(f);
    ct_st_tensor *t = calloc((size_t)n, sizeof *t);
    for (int i = 0; i < n; i++) t[i] = *ct_st_at(f, i);
    ct_st_meta meta[] = {{"format", "pt"}, {"arch", "tiny"}};
    char q[512];
    tmp_path("same.safetensors", q, sizeof q);
    T_OK(ct_st_write(q, t, n, meta, 2));
    char *a = NULL, *bb = NULL;
    size_t na = 0, nb = 0;
    T_OK(ct_read_file(p, &a, &na));
    T_OK(ct_read_file(q, &bb, &nb));
    T_CHECK(a && bb && na == nb && !memcmp(a, bb, na), "rewritten file differs from %s (%zu vs %zu bytes)",
            p, na, nb);
    free(a), free(bb), free(t);
    ct_st_free(f);
}

/* Write `n` bytes of `data` to name, expect CT_ERR_FORMAT naming the file. */
static void expect_corrupt(const char *what, const char *name, const void *data, size_t n)
{
    char p[512];
    tmp_path(name, p, sizeof p);
    FILE *fp = fopen(p, "wb");
    if (!fp) return;
    fwrite(data, 1, n, fp);
    fclose(fp);
    ct_st_file *f = NULL;
    ct_status st = ct_st_read(p, &f);
    T_CHECK(st == CT_ERR_FORMAT, "%s: got %s", what, ct_status_str(st));
    T_CHECK(strstr(ct_last_error(), p) != NULL, "%s: message does not name the file: %s", what,
            ct_last_error());
    T_CHECK(f == NULL, "%s: file returned", what);
    ct_st_free(f);
}

static void corrupt_files(void)
{
    char p[512];
    t_data_path("st_ref.safetensors", p, sizeof p);
    char *good = NULL;
    size_t n = 0;
    T_OK(ct_read_file(p, &good, &n));
    if (!good) return;
    expect_corrupt("4 bytes", "c1.safetensors", good, 4);
    expect_corrupt("truncated header", "c2.safetensors", good, 40);
    expect_corrupt("truncated data", "c3.safetensors", good, n - 5);
    char *bad = malloc(n);
    memcpy(bad, good, n);
    bad[8] = '['; /* not an object */
    expect_corrupt("header not an object", "c4.safetensors", bad, n);
    memcpy(bad, good, n);
    bad[20] = '"'; /* breaks the JSON */
    expect_corrupt("bad json", "c5.safetensors", bad, n);
    memcpy(bad, good, n);
    bad[6] = 1; /* absurd header length */
    expect_corrupt("huge header length", "c6.safetensors", bad, n);
    const char *shape_lie = "{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}";
    size_t hl = strlen(shape_lie);
    char buf[128] = {0};
    buf[0] = (char)hl;
    memcpy(buf + 8, shape_lie, hl);
    expect_corrupt("offsets disagree with shape", "c7.safetensors", buf, 8 + hl + 8);
    free(bad), free(good);

    ct_st_file *f = NULL;
    tmp_path("missing.safetensors", p, sizeof p);
    T_CHECK(ct_st_read(p, &f) == CT_ERR_IO, "missing file is not CT_ERR_IO");
}

/* atomic writes leave no temp file and replace the old content */
static void atomic_writes(void)
{
    char p[512];
    tmp_path("a.txt", p, sizeof p);
    T_OK(ct_write_file_atomic(p, "first", 5));
    T_OK(ct_write_file_atomic(p, "second!", 7));
    char *d = NULL;
    size_t n = 0;
    T_OK(ct_read_file(p, &d, &n));
    T_CHECK(d && n == 7 && !memcmp(d, "second!", 7), "atomic replace");
    free(d);
    DIR *dd = opendir(dir);
    struct dirent *e;
    int tmps = 0;
    while (dd && (e = readdir(dd)))
        if (strstr(e->d_name, ".tmp")) tmps++;
    if (dd) closedir(dd);
    T_CHECK(tmps == 0, "%d temp files left in %s", tmps, dir);
    tmp_path("no/such/dir/x", p, sizeof p);
    T_CHECK(ct_write_file_atomic(p, "x", 1) == CT_ERR_IO, "write into a missing dir");
}

/* remove the scratch directory's files */
static void cleanup(void)
{
    DIR *dd = opendir(dir);
    struct dirent *e;
    char p[512];
    while (dd && (e = readdir(dd)))
        if (e->d_name[0] != '.') remove(tmp_path(e->d_name, p, sizeof p));
    if (dd) closedir(dd);
    rmdir(dir);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/ct_ckpt_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) return T_SETUP;
    round_trip();
    reference_file();
    corrupt_files();
    atomic_writes();
    cleanup();
    return t_finish("test_checkpoint");
}
