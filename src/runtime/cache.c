/* Program-binary cache: header (magic, format, key, length, checksum) + driver binary, one file
 * per key, temp file + rename. Errors never propagate: a bad entry is a miss and gets rebuilt. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/cache.h"

static const char CACHE_MAGIC[8] = {'C', 'L', 'T', 'R', 'B', 'I', 'N', '\n'};

typedef struct {
    char magic[8];
    uint32_t format, reserved;
    uint64_t key[2];
    uint64_t len;
    uint64_t checksum;
} cache_header;

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

void ct_cache_key_init(ct_cache_key *k)
{
    k->h[0] = 0xcbf29ce484222325ULL;
    k->h[1] = 0x84222325cbf29ce4ULL;
    uint32_t fmt = CT_CACHE_FORMAT;
    ct_cache_key_add(k, &fmt, sizeof fmt);
}

void ct_cache_key_add(ct_cache_key *k, const void *data, size_t len)
{
    uint64_t l = len;
    k->h[0] = fnv1a(k->h[0], &l, sizeof l);
    k->h[0] = fnv1a(k->h[0], data, len);
    k->h[1] = mix64(fnv1a(k->h[1] ^ mix64(k->h[0]), data, len) + l);
}

void ct_cache_key_add_str(ct_cache_key *k, const char *s)
{
    ct_cache_key_add(k, s ? s : "", s ? strlen(s) : 0);
}

const char *ct_cache_dir(char *buf, size_t n)
{
    const char *off = getenv("CLTRAIN_CACHE");
    if (off && (!strcmp(off, "off") || !strcmp(off, "0"))) return NULL;
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(buf, n, "%s/cltrain", xdg);
    else if (home && *home)
        snprintf(buf, n, "%s/.cache/cltrain", home);
    else
        return NULL;
    return buf;
}

void ct_cache_path(const char *dir, const ct_cache_key *k, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%016llx%016llx.bin", dir, (unsigned long long)k->h[0],
             (unsigned long long)k->h[1]);
}

unsigned char *ct_cache_load(const char *dir, const ct_cache_key *k, size_t *len, const char **why)
{
    char path[4096];
    const char *reason = "missing";
    unsigned char *bin = NULL;
    ct_cache_path(dir, k, path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f) goto miss;
    cache_header h;
    reason = "truncated header";
    if (fread(&h, sizeof h, 1, f) != 1) goto miss;
    reason = "bad magic or format";
    if (memcmp(h.magic, CACHE_MAGIC, sizeof CACHE_MAGIC) || h.format != CT_CACHE_FORMAT) goto miss;
    reason = "key mismatch";
    if (h.key[0] != k->h[0] || h.key[1] != k->h[1]) goto miss;
    reason = "implausible length";
    if (h.len == 0 || h.len > ((uint64_t)1 << 31)) goto miss;
    bin = malloc(h.len);
    reason = "out of memory";
    if (!bin) goto miss;
    reason = "truncated binary";
    if (fread(bin, 1, h.len, f) != h.len) goto miss;
    reason = "checksum mismatch";
    if (fnv1a(0xcbf29ce484222325ULL, bin, h.len) != h.checksum) goto miss;
    fclose(f);
    *len = h.len;
    return bin;
miss:
    free(bin);
    if (f) fclose(f);
    if (why) *why = reason;
    return NULL;
}

static int mkdir_p(const char *dir)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) && errno != EEXIST) return -1;
            *p = '/';
        }
    return (mkdir(tmp, 0755) && errno != EEXIST) ? -1 : 0;
}

int ct_cache_store(const char *dir, const ct_cache_key *k, const unsigned char *bin, size_t len)
{
    if (mkdir_p(dir)) return -1;
    char path[4096], tmp[4200];
    ct_cache_path(dir, k, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) return -1;
    cache_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, CACHE_MAGIC, sizeof CACHE_MAGIC);
    h.format = CT_CACHE_FORMAT;
    h.key[0] = k->h[0];
    h.key[1] = k->h[1];
    h.len = len;
    h.checksum = fnv1a(0xcbf29ce484222325ULL, bin, len);
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(tmp);
        return -1;
    }
    int ok = fwrite(&h, sizeof h, 1, f) == 1 && fwrite(bin, 1, len, f) == len && fflush(f) == 0 &&
             fsync(fileno(f)) == 0;
    if (fclose(f) != 0) ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}
