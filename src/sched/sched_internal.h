/* Private layout of ct_sched and the preset table shared by the files of src/sched.
 * Not installed; nothing outside src/sched/ may include it. */
#ifndef CT_SCHED_INTERNAL_H
#define CT_SCHED_INTERNAL_H

#include "cltrain/sched.h"

#define CT_PRESET_MAX_KEYS 8

typedef struct {
    const char *key;   /* canonical name */
    const char *alias; /* accepted too (NULL: none) */
    int n;             /* values: 1, or 3 for a/b/c (moms) */
    double def[3];     /* defaults */
    int kind;          /* CT_KEY_*: what a valid value is */
} ct_preset_key;

enum { CT_KEY_POS, CT_KEY_FRAC, CT_KEY_ANY, CT_KEY_INT };
/* What a valid value of that kind is, for messages ("a number > 0"). */
const char *ct_sched_key_want(int kind);

struct ct_sched;

typedef struct {
    const char *name;
    const char *doc; /* one line for --help */
    int n_keys;
    ct_preset_key keys[CT_PRESET_MAX_KEYS];
    /* Build the tracks from s->val (already range-checked per key kind). */
    ct_status (*build)(struct ct_sched *s);
} ct_preset;

struct ct_sched {
    int preset;                        /* index into ct_sched_presets, -1 for a composed spec */
    double val[CT_PRESET_MAX_KEYS][3]; /* preset parameter values, in key order */
    ct_track lr, mom;                  /* lr: multiples of the base lr unless !lr_relative */
    int has_mom;                       /* 0: mom not scheduled */
    int lr_relative;                   /* 0: lr values absolute (lr_find) */
    int implied_epochs;                /* > 0: sgdr's epoch count */
    int num_it;                        /* > 0: lr_find's sweep length (pos = step/num_it) */
};

extern const ct_preset ct_sched_presets[];
extern const int ct_sched_n_presets;

/* Parse a composed spec (lr=...;mom=...) into s (zeroed, preset -1): clean is spec without
 * whitespace; spec is quoted in messages. */
CT_NODISCARD ct_status ct_sched_parse_composed(struct ct_sched *s, const char *spec,
                                               const char *clean);
/* One-line list of the preset names and their keys, for error messages. */
void ct_sched_preset_list(char *buf, size_t n);

#endif
