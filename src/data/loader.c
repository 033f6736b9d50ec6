/* Threaded batch loader: N pthreads fill a ring of host batches (uint8 NCHW images + int32 labels)
 * in batch-index order; the consumer takes them in order. Contents depend only on
 * (seed, split, epoch, batch index) via ct__load_batch, never on threads or timing. No OpenCL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/internal.h"

enum { SLOT_FREE = 0, SLOT_FILLING, SLOT_READY };

typedef struct {
    uint8_t *images; /* (bs, C, S, S) */
    int32_t *labels; /* (bs) */
    int n, state;
    size_t index;
} slot;

struct ct_loader {
    ct_dataset *ds;
    ct_loader_opts o;
    int workers, ring;
    slot *slots;
    pthread_mutex_t mu;
    pthread_cond_t cv_ready, cv_free;
    pthread_t *threads;
    int n_threads;
    /* the epoch in flight */
    ct_split split;
    int epoch;
    size_t *order, n_batches, next_claim, next_consume;
    int held, stop;
    ct_status err;
    char errmsg[1024];
    ct_batch cur;
};

static void *worker(void *arg)
{
    ct_loader *l = arg;
    pthread_mutex_lock(&l->mu);
    while (!l->stop && l->next_claim < l->n_batches) {
        size_t k = l->next_claim;
        slot *s = &l->slots[k % (size_t)l->ring];
        if (s->state != SLOT_FREE) { /* batch k - ring not yet consumed */
            pthread_cond_wait(&l->cv_free, &l->mu);
            continue;
        }
        l->next_claim++;
        s->state = SLOT_FILLING;
        s->index = k;
        pthread_mutex_unlock(&l->mu);
        int n = 0;
        ct_status st = ct__load_batch(l->ds, l->split, l->o.seed, l->epoch, k, l->o.batch_size,
                                      l->order, s->images, s->labels, &n);
        pthread_mutex_lock(&l->mu);
        s->n = n;
        s->state = SLOT_READY;
        if (st != CT_OK && l->err == CT_OK) {
            l->err = st;
            snprintf(l->errmsg, sizeof l->errmsg, "%s", ct_last_error());
            l->stop = 1;
        }
        pthread_cond_broadcast(&l->cv_ready);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

static void stop_threads(ct_loader *l)
{
    pthread_mutex_lock(&l->mu);
    l->stop = 1;
    pthread_cond_broadcast(&l->cv_free);
    pthread_cond_broadcast(&l->cv_ready);
    pthread_mutex_unlock(&l->mu);
    for (int i = 0; i < l->n_threads; i++) pthread_join(l->threads[i], NULL);
    l->n_threads = 0;
    l->stop = 0;
}

ct_status ct_loader_create(ct_loader **out, ct_dataset *ds, const ct_loader_opts *o)
{
    *out = NULL;
    if (!ds || !o || o->batch_size <= 0)
        return ct_error(CT_ERR_INVALID_ARG, "loader.c: a dataset and a batch size > 0 are needed");
    ct_loader *l = calloc(1, sizeof *l);
    if (!l) return ct_error(CT_ERR_HOST_OOM, "loader.c: loader");
    l->ds = ds;
    l->o = *o;
    l->workers = o->workers > 0 ? o->workers : ct_data_default_workers();
    if (l->workers > 256) l->workers = 256;
    l->ring = o->prefetch > 0 ? o->prefetch : l->workers + 2;
    if (l->ring < 2) l->ring = 2;
    l->held = -1;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv_ready, NULL);
    pthread_cond_init(&l->cv_free, NULL);
    const ct_data_info *in = ct_data_get_info(ds);
    size_t img_bytes = (size_t)o->batch_size * in->channels * in->size * in->size;
    l->slots = calloc((size_t)l->ring, sizeof(slot));
    l->threads = calloc((size_t)l->workers, sizeof(pthread_t));
    int ok = l->slots && l->threads;
    for (int i = 0; ok && i < l->ring; i++) {
        l->slots[i].images = malloc(img_bytes);
        l->slots[i].labels = malloc(sizeof(int32_t) * (size_t)o->batch_size);
        ok = l->slots[i].images && l->slots[i].labels;
    }
    if (!ok) {
        ct_loader_free(l);
        return ct_error(CT_ERR_HOST_OOM, "loader.c: ring of %d batches of %zu bytes", l->ring,
                        img_bytes);
    }
    *out = l;
    return CT_OK;
}

ct_status ct_loader_start(ct_loader *l, ct_split split, int epoch, size_t first_batch)
{
    size_t nb = ct_data_n_batches(l->ds, split, l->o.batch_size);
    stop_threads(l);
    free(l->order);
    l->order = NULL; /* until this succeeds, ct_loader_next reports the end of the epoch */
    if (first_batch > nb)
        return ct_error(CT_ERR_INVALID_ARG, "loader.c: start at batch %zu of an epoch of %zu",
                        first_batch, nb);
    l->order = ct__epoch_order(l->ds, split, l->o.seed, epoch);
    if (!l->order) return ct_error(CT_ERR_HOST_OOM, "loader.c: epoch order");
    l->split = split;
    l->epoch = epoch;
    l->n_batches = nb;
    l->next_claim = l->next_consume = first_batch;
    for (int i = 0; i < l->ring; i++) l->slots[i].state = SLOT_FREE;
    l->held = -1;
    l->err = CT_OK;
    l->errmsg[0] = 0;
    size_t left = l->n_batches - first_batch;
    int want = (size_t)l->workers < left ? l->workers : (int)left;
    for (int i = 0; i < want; i++) {
        if (pthread_create(&l->threads[i], NULL, worker, l) != 0) break;
        l->n_threads++;
    }
    if (want > 0 && l->n_threads == 0)
        return ct_error(CT_ERR_HOST_OOM, "loader.c: cannot start worker threads");
    return CT_OK;
}

ct_status ct_loader_next(ct_loader *l, const ct_batch **b)
{
    *b = NULL;
    pthread_mutex_lock(&l->mu);
    if (l->held >= 0) {
        l->slots[l->held].state = SLOT_FREE;
        l->held = -1;
        pthread_cond_broadcast(&l->cv_free);
    }
    if (!l->order || l->next_consume >= l->n_batches) {
        pthread_mutex_unlock(&l->mu);
        return CT_OK;
    }
    int si = (int)(l->next_consume % (size_t)l->ring);
    slot *s = &l->slots[si];
    while (l->err == CT_OK && !(s->state == SLOT_READY && s->index == l->next_consume)) {
        if (l->n_threads == 0) { /* every worker failed to start or has gone */
            l->err = CT_ERR_INVALID_ARG;
            snprintf(l->errmsg, sizeof l->errmsg, "loader.c: no worker for batch %zu", l->next_consume);
            break;
        }
        pthread_cond_wait(&l->cv_ready, &l->mu);
    }
    if (l->err != CT_OK) {
        ct_status st = l->err;
        pthread_mutex_unlock(&l->mu);
        return ct_error(st, "%s", l->errmsg);
    }
    l->held = si;
    l->cur = (ct_batch){s->images, s->labels, s->n, s->index};
    l->next_consume++;
    pthread_mutex_unlock(&l->mu);
    *b = &l->cur;
    return CT_OK;
}

int ct_loader_workers(const ct_loader *l)
{
    return l->workers;
}

void ct_loader_free(ct_loader *l)
{
    if (!l) return;
    stop_threads(l);
    for (int i = 0; l->slots && i < l->ring; i++) {
        free(l->slots[i].images);
        free(l->slots[i].labels);
    }
    free(l->slots);
    free(l->threads);
    free(l->order);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv_ready);
    pthread_cond_destroy(&l->cv_free);
    free(l);
}
