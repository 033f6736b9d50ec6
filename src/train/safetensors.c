/* safetensors writer and reader (JSON header via jansson) and atomic file writes.
 * Host only: no OpenCL, no knowledge of models; a checkpoint's meaning lives in checkpoint.c. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cltrain/checkpoint.h"

/* Header sizes above this are treated as corrupt (the reference implementation uses 100 MB). */
#define ST_MAX_HEADER ((uint64_t)100 * 1000 * 1000)

static const struct {
    const char *name;
    size_t size;
} dtypes[] = {{"F32", 4}, {"I64", 8}, {"I32", 4}, {"U8", 1}};

size_t ct_st_dtype_size(ct_st_dtype dt)
{
    return (unsigned)dt < sizeof dtypes / sizeof dtypes[0] ? dtypes[dt].size : 0;
}

const char *ct_st_dtype_name(ct_st_dtype dt)
{
    return (unsigned)dt < sizeof dtypes / sizeof dtypes[0] ? dtypes[dt].name : "?";
}

static int dtype_parse(const char *s, ct_st_dtype *dt)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (!strcmp(s, dtypes[i].name)) {
            *dt = (ct_st_dtype)i;
            return 1;
        }
    return 0;
}

size_t ct_st_numel(const ct_st_tensor *t)
{
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= (size_t)t->shape[i];
    return n;
}

static int host_is_le(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

/* Reverse the byte order of n elements of `size` bytes in place (big-endian hosts only). */
static void swap_elems(void *p, size_t n, size_t size)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++, b += size)
        for (size_t j = 0; j < size / 2; j++) {
            uint8_t t = b[j];
            b[j] = b[size - 1 - j];
            b[size - 1 - j] = t;
        }
}

/* ---- atomic files ------------------------------------------------------------------------- */

struct ct_afile {
    FILE *f;
    char *path, *tmp;
};

ct_status ct_afile_open(const char *path, ct_afile **out)
{
    *out = NULL;
    ct_afile *a = calloc(1, sizeof *a);
    size_t n = strlen(path);
    if (!a || !(a->path = malloc(n + 1)) || !(a->tmp = malloc(n + 32))) {
        if (a) free(a->path);
        free(a);
        return ct_error(CT_ERR_HOST_OOM, "safetensors.c: no memory for the path %s", path);
    }
    memcpy(a->path, path, n + 1);
    snprintf(a->tmp, n + 32, "%s.tmp.%ld", path, (long)getpid());
    a->f = fopen(a->tmp, "wb");
    if (!a->f) {
        ct_status st = ct_error(CT_ERR_IO, "cannot create %s: %s", a->tmp, strerror(errno));
        free(a->path), free(a->tmp), free(a);
        return st;
    }
    *out = a;
    return CT_OK;
}

FILE *ct_afile_stream(ct_afile *a) { return a->f; }

void ct_afile_abort(ct_afile *a)
{
    if (!a) return;
    if (a->f) fclose(a->f);
    remove(a->tmp);
    free(a->path), free(a->tmp), free(a);
}

/* fsync the directory holding path so the rename is durable */
static void fsync_dir_of(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash) {
        strcpy(dir, ".");
    } else {
        size_t n = (size_t)(slash - path);
        if (n == 0) n = 1;
        if (n >= sizeof dir) return;
        memcpy(dir, path, n);
        dir[n] = 0;
    }
    int fd = open(dir, O_RDONLY);
    if (fd < 0) return;
    (void)fsync(fd);
    close(fd);
}

ct_status ct_afile_commit(ct_afile *a)
{
    ct_status st = CT_OK;
    int bad = ferror(a->f);
    if (fflush(a->f) != 0 || bad) {
        st = ct_error(CT_ERR_IO, "write to %s failed: %s", a->tmp, strerror(errno));
    } else if (fsync(fileno(a->f)) != 0) {
        st = ct_error(CT_ERR_IO, "fsync of %s failed: %s", a->tmp, strerror(errno));
    }
    if (fclose(a->f) != 0 && st == CT_OK)
        st = ct_error(CT_ERR_IO, "close of %s failed: %s", a->tmp, strerror(errno));
    a->f = NULL;
    if (st == CT_OK && rename(a->tmp, a->path) != 0)
        st = ct_error(CT_ERR_IO, "rename %s -> %s failed: %s", a->tmp, a->path, strerror(errno));
    if (st == CT_OK) {
        fsync_dir_of(a->path);
        free(a->path), free(a->tmp), free(a);
        return CT_OK;
    }
    ct_afile_abort(a);
    return st;
}

ct_status ct_write_file_atomic(const char *path, const void *data, size_t n)
{
    ct_afile *a;
    ct_status st = ct_afile_open(path, &a);
    if (st != CT_OK) return st;
    if (n && fwrite(data, 1, n, a->f) != n) {
        st = ct_error(CT_ERR_IO, "write to %s failed: %s", a->tmp, strerror(errno));
        ct_afile_abort(a);
        return st;
    }
    return ct_afile_commit(a);
}

ct_status ct_read_file(const char *path, char **data, size_t *n)
{
    *data = NULL;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return ct_error(CT_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    ct_status st = CT_OK;
    char *buf = NULL;
    long len = 0;
    if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        st = ct_error(CT_ERR_IO, "cannot seek in %s: %s", path, strerror(errno));
    } else if (!(buf = malloc((size_t)len + 1))) {
        st = ct_error(CT_ERR_HOST_OOM, "no memory to read %s (%ld bytes)", path, len);
    } else if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
        st = ct_error(CT_ERR_IO, "short read of %s", path);
    }
    fclose(f);
    if (st != CT_OK) {
        free(buf);
        return st;
    }
    buf[len] = 0;
    *data = buf;
    *n = (size_t)len;
    return CT_OK;
}

/* ---- writer ------------------------------------------------------------------------------- */

static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

/* Data order: element size descending (stable), so every tensor is aligned with no gaps between
 * them, as the reference implementation requires (offsets contiguous, covering the buffer). */
static int *layout_order(const ct_st_tensor *t, int n)
{
    int *ord = malloc(sizeof(int) * (size_t)(n ? n : 1)), k = 0;
    if (!ord) return NULL;
    static const size_t sizes[] = {8, 4, 2, 1};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int i = 0; i < n; i++)
            if (ct_st_dtype_size(t[i].dtype) == sizes[s]) ord[k++] = i;
    for (int i = 0; i < n; i++) /* invalid dtypes last; build_header rejects them */
        if (!ct_st_dtype_size(t[i].dtype)) ord[k++] = i;
    return ord;
}

/* The JSON header of tensors t[ord[0..n)] laid out back to back. */
static ct_status build_header(const char *path, const ct_st_tensor *t, const int *ord, int n,
                              const ct_st_meta *meta, int n_meta, char **out)
{
    json_t *root = json_object();
    size_t off = 0;
    ct_status st = CT_OK;
    if (!root) return ct_error(CT_ERR_HOST_OOM, "safetensors.c: no memory for %s", path);
    if (n_meta > 0) {
        json_t *m = json_object();
        for (int i = 0; i < n_meta; i++) json_object_set_new(m, meta[i].key, json_string(meta[i].value));
        json_object_set_new(root, "__metadata__", m);
    }
    for (int k = 0; k < n && st == CT_OK; k++) {
        int i = ord[k];
        if (!t[i].name || !*t[i].name || !strcmp(t[i].name, "__metadata__") ||
            json_object_get(root, t[i].name) || t[i].ndim < 0 || t[i].ndim > CT_ST_MAX_DIM ||
            !ct_st_dtype_size(t[i].dtype)) {
            st = ct_error(CT_ERR_INVALID_ARG, "%s: tensor %d ('%s') has a bad or duplicate name, "
                          "rank or dtype", path, i, t[i].name ? t[i].name : "(null)");
            break;
        }
        json_t *e = json_object(), *shape = json_array(), *offs = json_array();
        for (int d = 0; d < t[i].ndim; d++) json_array_append_new(shape, json_integer(t[i].shape[d]));
        size_t bytes = ct_st_numel(&t[i]) * ct_st_dtype_size(t[i].dtype);
        json_array_append_new(offs, json_integer((json_int_t)off));
        json_array_append_new(offs, json_integer((json_int_t)(off + bytes)));
        off += bytes;
        json_object_set_new(e, "dtype", json_string(ct_st_dtype_name(t[i].dtype)));
        json_object_set_new(e, "shape", shape);
        json_object_set_new(e, "data_offsets", offs);
        json_object_set_new(root, t[i].name, e);
    }
    if (st == CT_OK) {
        *out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!*out) st = ct_error(CT_ERR_HOST_OOM, "safetensors.c: cannot format the header of %s", path);
    }
    json_decref(root);
    return st;
}

/* Write n elements of `size` bytes in little-endian order. */
static int write_le(FILE *f, const void *data, size_t n, size_t size)
{
    if (host_is_le() || size == 1) return fwrite(data, size, n, f) == n;
    uint8_t tmp[8];
    const uint8_t *b = data;
    for (size_t i = 0; i < n; i++, b += size) {
        for (size_t j = 0; j < size; j++) tmp[j] = b[size - 1 - j];
        if (fwrite(tmp, 1, size, f) != size) return 0;
    }
    return 1;
}

ct_status ct_st_write(const char *path, const ct_st_tensor *t, int n, const ct_st_meta *meta,
                      int n_meta)
{
    char *hdr = NULL;
    int *ord = layout_order(t, n);
    if (!ord) return ct_error(CT_ERR_HOST_OOM, "safetensors.c: no memory for %s", path);
    ct_status st = build_header(path, t, ord, n, meta, n_meta, &hdr);
    if (st != CT_OK) {
        free(ord);
        return st;
    }
    size_t hlen = strlen(hdr), padded = align8(hlen);
    ct_afile *a;
    st = ct_afile_open(path, &a);
    if (st != CT_OK) {
        free(hdr), free(ord);
        return st;
    }
    FILE *f = a->f;
    uint64_t h64 = padded;
    int ok = write_le(f, &h64, 1, 8) && fwrite(hdr, 1, hlen, f) == hlen;
    for (size_t i = hlen; ok && i < padded; i++) ok = fputc(' ', f) != EOF;
    free(hdr);
    for (int k = 0; ok && k < n; k++) {
        const ct_st_tensor *ti = &t[ord[k]];
        size_t cnt = ct_st_numel(ti);
        ok = cnt == 0 || write_le(f, ti->data, cnt, ct_st_dtype_size(ti->dtype));
    }
    free(ord);
    if (!ok) {
        st = ct_error(CT_ERR_IO, "write to %s failed: %s", path, strerror(errno));
        ct_afile_abort(a);
        return st;
    }
    return ct_afile_commit(a);
}

/* ---- reader ------------------------------------------------------------------------------- */

struct ct_st_file {
    int n;
    ct_st_tensor *t;
    char **names;
    int n_meta;
    char **meta_keys, **meta_vals;
    void *data; /* the data section */
    void **copies; /* per-tensor aligned copies where the file's offset was misaligned */
};

void ct_st_free(ct_st_file *f)
{
    if (!f) return;
    for (int i = 0; i < f->n; i++) {
        free(f->names[i]);
        if (f->copies) free(f->copies[i]);
    }
    for (int i = 0; i < f->n_meta; i++) free(f->meta_keys[i]), free(f->meta_vals[i]);
    free(f->t), free(f->names), free(f->copies), free(f->meta_keys), free(f->meta_vals);
    free(f->data);
    free(f);
}

int ct_st_count(const ct_st_file *f) { return f->n; }
const ct_st_tensor *ct_st_at(const ct_st_file *f, int i) { return &f->t[i]; }

const ct_st_tensor *ct_st_find(const ct_st_file *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->names[i], name)) return &f->t[i];
    return NULL;
}

const char *ct_st_meta_get(const ct_st_file *f, const char *key)
{
    for (int i = 0; i < f->n_meta; i++)
        if (!strcmp(f->meta_keys[i], key)) return f->meta_vals[i];
    return NULL;
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* Fill one tensor entry from its JSON description; the data bytes are checked against the data
 * section of `dsize` bytes. */
static ct_status parse_entry(const char *path, const char *name, json_t *e, uint64_t dsize,
                             ct_st_tensor *t, uint64_t *begin)
{
    json_t *dt = json_object_get(e, "dtype"), *shape = json_object_get(e, "shape"),
           *offs = json_object_get(e, "data_offsets");
    if (!json_is_object(e) || !json_is_string(dt) || !json_is_array(shape) || !json_is_array(offs) ||
        json_array_size(offs) != 2)
        return ct_error(CT_ERR_FORMAT, "%s: tensor '%s' lacks dtype, shape or data_offsets", path,
                        name);
    if (!dtype_parse(json_string_value(dt), &t->dtype))
        return ct_error(CT_ERR_UNSUPPORTED, "%s: tensor '%s' has dtype %s (supported: F32 I64 I32 U8)",
                        path, name, json_string_value(dt));
    if (json_array_size(shape) > CT_ST_MAX_DIM)
        return ct_error(CT_ERR_FORMAT, "%s: tensor '%s' has rank %zu > %d", path, name,
                        json_array_size(shape), CT_ST_MAX_DIM);
    t->ndim = (int)json_array_size(shape);
    uint64_t numel = 1;
    for (int d = 0; d < t->ndim; d++) {
        json_t *v = json_array_get(shape, (size_t)d);
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return ct_error(CT_ERR_FORMAT, "%s: tensor '%s' has a bad shape", path, name);
        t->shape[d] = json_integer_value(v);
        if (t->shape[d] && numel > UINT64_MAX / (uint64_t)t->shape[d])
            return ct_error(CT_ERR_OVERFLOW, "%s: tensor '%s' shape overflows", path, name);
        numel *= (uint64_t)t->shape[d];
    }
    json_t *b = json_array_get(offs, 0), *en = json_array_get(offs, 1);
    if (!json_is_integer(b) || !json_is_integer(en) || json_integer_value(b) < 0 ||
        json_integer_value(en) < json_integer_value(b))
        return ct_error(CT_ERR_FORMAT, "%s: tensor '%s' has bad data_offsets", path, name);
    uint64_t ob = (uint64_t)json_integer_value(b), oe = (uint64_t)json_integer_value(en);
    uint64_t es = ct_st_dtype_size(t->dtype);
    if (numel > UINT64_MAX / es || oe - ob != numel * es)
        return ct_error(CT_ERR_FORMAT, "%s: tensor '%s' spans %" PRIu64 " bytes but its shape "
                        "needs %" PRIu64, path, name, oe - ob, numel * es);
    if (oe > dsize)
        return ct_error(CT_ERR_FORMAT, "%s: tensor '%s' ends at byte %" PRIu64 " of a %" PRIu64
                        "-byte data section (truncated file?)", path, name, oe, dsize);
    *begin = ob;
    return CT_OK;
}

static ct_status parse_meta(const char *path, json_t *m, ct_st_file *f)
{
    if (!json_is_object(m))
        return ct_error(CT_ERR_FORMAT, "%s: __metadata__ is not an object", path);
    size_t n = json_object_size(m);
    f->meta_keys = calloc(n ? n : 1, sizeof(char *));
    f->meta_vals = calloc(n ? n : 1, sizeof(char *));
    if (!f->meta_keys || !f->meta_vals) return ct_error(CT_ERR_HOST_OOM, "no memory reading %s", path);
    const char *k;
    json_t *v;
    json_object_foreach(m, k, v)
    {
        if (!json_is_string(v))
            return ct_error(CT_ERR_FORMAT, "%s: __metadata__ value of '%s' is not a string", path, k);
        f->meta_keys[f->n_meta] = dupstr(k);
        f->meta_vals[f->n_meta] = dupstr(json_string_value(v));
        f->n_meta++;
        if (!f->meta_keys[f->n_meta - 1] || !f->meta_vals[f->n_meta - 1])
            return ct_error(CT_ERR_HOST_OOM, "no memory reading %s", path);
    }
    return CT_OK;
}

/* Parse the header JSON and point tensors into f->data (dsize bytes). */
static ct_status parse_header(const char *path, const char *hdr, size_t hlen, uint64_t dsize,
                              ct_st_file *f)
{
    json_error_t jerr;
    json_t *root = json_loadb(hdr, hlen, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) return ct_error(CT_ERR_FORMAT, "%s: header is not valid JSON: %s", path, jerr.text);
    ct_status st = CT_OK;
    if (!json_is_object(root)) {
        st = ct_error(CT_ERR_FORMAT, "%s: header is not a JSON object", path);
        goto done;
    }
    size_t cap = json_object_size(root);
    f->t = calloc(cap ? cap : 1, sizeof *f->t);
    f->names = calloc(cap ? cap : 1, sizeof *f->names);
    f->copies = calloc(cap ? cap : 1, sizeof *f->copies);
    if (!f->t || !f->names || !f->copies) {
        st = ct_error(CT_ERR_HOST_OOM, "no memory reading %s", path);
        goto done;
    }
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        if (!strcmp(key, "__metadata__")) {
            st = parse_meta(path, v, f);
            if (st != CT_OK) goto done;
            continue;
        }
        ct_st_tensor *t = &f->t[f->n];
        uint64_t begin = 0;
        st = parse_entry(path, key, v, dsize, t, &begin);
        if (st != CT_OK) goto done;
        f->names[f->n] = dupstr(key);
        if (!f->names[f->n]) {
            st = ct_error(CT_ERR_HOST_OOM, "no memory reading %s", path);
            goto done;
        }
        t->name = f->names[f->n];
        size_t es = ct_st_dtype_size(t->dtype), bytes = ct_st_numel(t) * es;
        uint8_t *src = (uint8_t *)f->data + begin;
        if (begin % es) { /* misaligned in the file: keep an aligned copy */
            f->copies[f->n] = malloc(bytes ? bytes : 1);
            if (!f->copies[f->n]) {
                st = ct_error(CT_ERR_HOST_OOM, "no memory reading %s", path);
                goto done;
            }
            memcpy(f->copies[f->n], src, bytes);
            src = f->copies[f->n];
        }
        if (!host_is_le()) swap_elems(src, ct_st_numel(t), es);
        t->data = src;
        f->n++;
    }
done:
    json_decref(root);
    return st;
}

ct_status ct_st_read(const char *path, ct_st_file **out)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return ct_error(CT_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    ct_status st = CT_OK;
    char *hdr = NULL;
    ct_st_file *f = calloc(1, sizeof *f);
    uint8_t lenb[8];
    long fsize = 0;
    if (!f) {
        st = ct_error(CT_ERR_HOST_OOM, "no memory reading %s", path);
        goto fail;
    }
    if (fseek(fp, 0, SEEK_END) != 0 || (fsize = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
        st = ct_error(CT_ERR_IO, "cannot seek in %s", path);
        goto fail;
    }
    if (fsize < 8 || fread(lenb, 1, 8, fp) != 8) {
        st = ct_error(CT_ERR_FORMAT, "%s: truncated safetensors file (%ld bytes, no header length)",
                      path, fsize);
        goto fail;
    }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | lenb[i];
    if (hlen > ST_MAX_HEADER || hlen > (uint64_t)fsize - 8 || hlen < 2) {
        st = ct_error(CT_ERR_FORMAT, "%s: header length %" PRIu64 " does not fit the %ld-byte file "
                      "(truncated or not safetensors)", path, hlen, fsize);
        goto fail;
    }
    hdr = malloc(hlen + 1);
    uint64_t dsize = (uint64_t)fsize - 8 - hlen;
    f->data = malloc(dsize ? dsize : 1);
    if (!hdr || !f->data) {
        st = ct_error(CT_ERR_HOST_OOM, "no memory reading %s", path);
        goto fail;
    }
    if (fread(hdr, 1, hlen, fp) != hlen || fread(f->data, 1, dsize, fp) != dsize) {
        st = ct_error(CT_ERR_IO, "short read of %s", path);
        goto fail;
    }
    hdr[hlen] = 0;
    if (hdr[0] != '{') {
        st = ct_error(CT_ERR_FORMAT, "%s: header does not start with '{' (not safetensors)", path);
        goto fail;
    }
    st = parse_header(path, hdr, hlen, dsize, f);
    if (st != CT_OK) goto fail;
    free(hdr);
    fclose(fp);
    *out = f;
    return CT_OK;
fail:
    free(hdr);
    fclose(fp);
    ct_st_free(f);
    return st;
}
