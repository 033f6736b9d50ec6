/* On-disk cache of OpenCL program binaries, keyed by a 128-bit hash of everything that could
 * change the binary. Internal to the runtime; never fatal: every failure means "build instead". */
#ifndef CT_RUNTIME_CACHE_H
#define CT_RUNTIME_CACHE_H
#include <stddef.h>
#include <stdint.h>

#define CT_CACHE_FORMAT 1u

typedef struct {
    uint64_t h[2];
} ct_cache_key;

/* Incremental hashing of the key's parts (each part length-prefixed so "ab"+"c" != "a"+"bc"). */
void ct_cache_key_init(ct_cache_key *k);
void ct_cache_key_add(ct_cache_key *k, const void *data, size_t len);
void ct_cache_key_add_str(ct_cache_key *k, const char *s);

/* The cache directory ($XDG_CACHE_HOME/cltrain, else ~/.cache/cltrain), or NULL when disabled by
 * CLTRAIN_CACHE=off or no home is known. Written into buf. */
const char *ct_cache_dir(char *buf, size_t n);

/* Load the binary for key; returns a malloc'd buffer and its length, or NULL (miss, stale,
 * corrupt: the reason goes to *why when non-NULL). */
unsigned char *ct_cache_load(const char *dir, const ct_cache_key *k, size_t *len, const char **why);

/* Store atomically (temp file in dir, fsync, rename). Returns 0 on success. */
int ct_cache_store(const char *dir, const ct_cache_key *k, const unsigned char *bin, size_t len);

/* The path of key's entry (for tests that corrupt it). */
void ct_cache_path(const char *dir, const ct_cache_key *k, char *buf, size_t n);
#endif
