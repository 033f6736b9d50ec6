/* Runtime: device listing and selection, program build and the binary cache (hit on the second
 * build, corrupt entries rebuilt, cache off), buffer accounting and out-of-memory status. */
#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cltrain/ops.h"
#include "util.h"

static int fill_works(ct_ctx *ctx, const char *opts)
{
    cl_kernel k;
    if (ct_kernel_get(ctx, "elementwise.cl", "fill", opts, &k) != CT_OK) return 0;
    cl_mem m = t_alloc(ctx, 64 * sizeof(float), 0.f);
    cl_ulong off = 3, n = 50;
    float v = 2.5f, h[64];
    size_t g = 50, l = 16;
    int ok = m && ct_launch(ctx, k, 1, &g, &l, (ct_karg[]){CT_KA(m), CT_KA(off), CT_KA(v), CT_KA(n)},
                            4) == CT_OK &&
             t_download(ctx, m, h, sizeof h);
    for (int i = 0; ok && i < 64; i++) ok = h[i] == ((i >= 3 && i < 53) ? 2.5f : 0.f);
    ct_buf_free(ctx, m);
    return ok;
}

static int find_bin(const char *dir, char *path, size_t n)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".bin")) {
            snprintf(path, n, "%s/%s", dir, e->d_name);
            found++;
        }
    closedir(d);
    return found;
}

int main(void)
{
    ct_ctx *ctx;
    char tmpl[] = "/tmp/cltrain-cache-test-XXXXXX";
    if (!mkdtemp(tmpl)) return T_SETUP;
    setenv("XDG_CACHE_HOME", tmpl, 1);
    unsetenv("CLTRAIN_KERNEL_DIR"); /* this test exercises the kernels embedded in the library */
    unsetenv("CLTRAIN_CACHE");
    int rc = t_ctx(&ctx);
    if (rc != T_PASS) return rc;

    /* devices */
    ct_device_info *devs;
    int n, idx;
    T_OK(ct_devices_list(&devs, &n));
    T_CHECK(n >= 1, "at least one device");
    for (int i = 0; i < n; i++) {
        char sel[32];
        snprintf(sel, sizeof sel, "%d:%d", devs[i].platform_index, devs[i].device_index);
        T_OK(ct_device_select(devs, n, sel, &idx));
        T_CHECK(idx == i, "selector %s -> %d", sel, idx);
        T_CHECK(devs[i].max_wg >= 1 && devs[i].global_mem > 0, "device %d limits", i);
    }
    /* name substring, case-insensitive: the last device's name upper-cased */
    char up[128];
    snprintf(up, sizeof up, "%s", devs[n - 1].name);
    for (char *p = up; *p; p++) *p = (char)toupper((unsigned char)*p);
    T_OK(ct_device_select(devs, n, up, &idx));
    T_CHECK(!strcmp(devs[idx].name, devs[n - 1].name), "substring %s", up);
    T_CHECK(ct_device_select(devs, n, "no-such-device-xyz", &idx) == CT_ERR_NO_DEVICE, "bad name");
    T_CHECK(strstr(ct_last_error(), devs[0].name) != NULL, "error lists devices: %s",
            ct_last_error());
    T_CHECK(ct_device_select(devs, n, "7:99", &idx) == CT_ERR_NO_DEVICE, "bad index");
    if (n >= 2) { /* POCL_DEVICES="pthread basic": a context on the second device works */
        char sel[32];
        snprintf(sel, sizeof sel, "%d:%d", devs[1].platform_index, devs[1].device_index);
        ct_ctx *c2;
        ct_ctx_opts o = {sel, 0};
        T_OK(ct_ctx_create(&c2, &o));
        if (c2) {
            T_CHECK(!strcmp(ct_ctx_info(c2)->name, devs[1].name), "second device chosen");
            T_CHECK(fill_works(c2, NULL), "kernel on the second device");
            ct_ctx_free(c2);
        }
    }
    free(devs);
    ct_ctx_opts bad = {"definitely-not-a-device", 0};
    ct_ctx *cbad = NULL;
    T_CHECK(ct_ctx_create(&cbad, &bad) == CT_ERR_NO_DEVICE && !cbad, "bad selector fails cleanly");

    /* program cache: a fresh option string so the first build is a miss */
    char opts[64];
    snprintf(opts, sizeof opts, "-DCT_TEST_NONCE=%ld%d", (long)time(NULL), (int)getpid());
    T_CHECK(fill_works(ctx, opts), "kernel from source");
    ct_cache_stats s = ct_ctx_cache_stats(ctx);
    T_CHECK(s.misses >= 1 && s.builds >= 1, "first build is a miss (%d misses)", s.misses);
    char dir[4200], path[4600];
    snprintf(dir, sizeof dir, "%s/cltrain", tmpl);
    T_CHECK(find_bin(dir, path, sizeof path) >= 1, "a cache entry was written in %s", dir);

    ct_ctx *c2;
    T_OK(ct_ctx_create(&c2, NULL));
    T_CHECK(fill_works(c2, opts), "kernel from cache");
    s = ct_ctx_cache_stats(c2);
    T_CHECK(s.hits >= 1 && s.builds == 0, "second build is a hit (hits %d builds %d)", s.hits,
            s.builds);
    ct_ctx_free(c2);

    /* corrupt every entry: flip bytes in the middle and truncate one */
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!strstr(e->d_name, ".bin")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "r+b");
        if (!f) continue;
        fseek(f, 100, SEEK_SET);
        fwrite("garbage-garbage-garbage", 1, 23, f);
        fclose(f);
    }
    if (d) closedir(d);
    T_OK(ct_ctx_create(&c2, NULL));
    T_CHECK(fill_works(c2, opts), "kernel after corrupting the cache");
    s = ct_ctx_cache_stats(c2);
    T_CHECK(s.hits == 0 && s.misses >= 1 && s.builds >= 1, "corrupt entry rebuilt (h%d m%d b%d)",
            s.hits, s.misses, s.builds);
    ct_ctx_free(c2);
    T_OK(ct_ctx_create(&c2, NULL));
    T_CHECK(fill_works(c2, opts), "kernel from the rewritten cache");
    s = ct_ctx_cache_stats(c2);
    T_CHECK(s.hits >= 1 && s.builds == 0, "rewritten entry is a hit");
    ct_ctx_free(c2);

    setenv("CLTRAIN_CACHE", "off", 1);
    T_OK(ct_ctx_create(&c2, NULL));
    T_CHECK(fill_works(c2, opts), "kernel with the cache off");
    s = ct_ctx_cache_stats(c2);
    T_CHECK(s.hits == 0 && s.misses == 0 && s.builds >= 1, "cache off builds from source");
    ct_ctx_free(c2);
    unsetenv("CLTRAIN_CACHE");

    /* a build failure is a status, not a crash */
    cl_kernel k;
    T_CHECK(ct_kernel_get(ctx, "elementwise.cl", "fill", "-DCT_FORCE_ERROR -Dkernel=syntax_error(",
                          &k) == CT_ERR_BUILD, "broken program -> CT_ERR_BUILD");
    T_CHECK(ct_kernel_get(ctx, "no-such-file.cl", "x", NULL, &k) == CT_ERR_NOT_FOUND, "missing file");
    T_CHECK(ct_kernel_get(ctx, "elementwise.cl", "no_such_kernel", NULL, &k) != CT_OK,
            "missing kernel");

    /* buffers: accounting, zero-fill, views by offset, out-of-memory with the byte count */
    size_t base = ct_mem_in_use(ctx);
    cl_mem m;
    T_OK(ct_buf_alloc(ctx, 4096, &m));
    T_CHECK(ct_mem_in_use(ctx) == base + 4096, "in use grows by 4096");
    T_CHECK(ct_mem_peak(ctx) >= base + 4096, "peak");
    float h[1024];
    for (int i = 0; i < 1024; i++) h[i] = 7.f;
    T_OK(ct_buf_write(ctx, m, 0, sizeof h, h));
    T_OK(ct_buf_zero(ctx, m, 40, 400));
    T_OK(ct_fill(ctx, CT_PTR(m, 500), -1.f, 10));
    T_OK(ct_buf_read(ctx, m, 0, sizeof h, h));
    int zok = 1;
    for (int i = 0; i < 1024; i++) {
        float want = (i >= 10 && i < 110) ? 0.f : (i >= 500 && i < 510) ? -1.f : 7.f;
        if (h[i] != want) zok = 0;
    }
    T_CHECK(zok, "zero-fill and offset view");
    ct_buf_free(ctx, m);
    T_CHECK(ct_mem_in_use(ctx) == base, "in use back to base");
    size_t huge = (size_t)ct_ctx_info(ctx)->max_alloc + 4096;
    T_CHECK(ct_buf_alloc(ctx, huge, &m) == CT_ERR_DEVICE_OOM, "oversized allocation -> OOM");
    char want[64];
    snprintf(want, sizeof want, "%zu bytes", huge);
    T_CHECK(strstr(ct_last_error(), want) != NULL, "OOM message names the bytes: %s",
            ct_last_error());

    ct_ctx_free(ctx);
    return t_finish("test_runtime");
}
