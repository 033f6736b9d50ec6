/* Private pieces of src/nn shared by its files: the architecture builder and the host RNG used for
 * reproducible initialisation. Not installed; nothing outside src/nn includes it. */
#ifndef CT_NN_NN_H
#define CT_NN_NN_H

#include <stdint.h>

#include "cltrain/models.h"

/* Build the graph of `arch` with options o (src/nn/xresnet.c). */
CT_NODISCARD ct_status ct_nn_build(const char *arch, const ct_model_opts *o, ct_graph **out);

/* splitmix64-seeded xoshiro-free generator: a 64-bit state, normal deviates by Box-Muller. */
typedef struct {
    uint64_t s;
    int has_spare;
    double spare;
} ct_nn_rng;
void ct_nn_rng_seed(ct_nn_rng *r, uint64_t seed);
double ct_nn_rng_normal(ct_nn_rng *r);

/* Fill host arrays params (g->n_params) and buffers (g->n_buffers) with the initial values of
 * every state tensor, drawing in state-dict order from seed (src/nn/model.c). */
void ct_nn_init_host(const ct_graph *g, uint64_t seed, float *params, float *buffers);
#endif
