/* `cltrain bench WHAT`: dispatch to the benchmark families (ops, data, train), each in its own
 * bench_*.c. Benchmarks print figures; they assert nothing. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct {
    const char *name;
    ct_cmd_fn fn;
    const char *help;
} bench_entry;

static const bench_entry benches[] = {
    /* {"ops", bench_ops, "..."}, added by each area as it lands */
    {"ops", bench_ops, "per-op ms, GFLOP/s and GB/s on xresnet18 shapes (--size, --bs, --quick)"},
    {"train", bench_train, "training img/s, per-op breakdown, peak memory (--arch, --size, --bs)"},
    {"data", bench_data, "loader images/s for decode + augment (--data, --size, --workers)"},
    {NULL, NULL, NULL},
};

static void bench_usage(FILE *f)
{
    fprintf(f, "usage: cltrain bench WHAT [OPTIONS]\n\nbenchmarks:\n");
    for (const bench_entry *b = benches; b->name; b++) fprintf(f, "  %-8s %s\n", b->name, b->help);
}

int cmd_bench(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        bench_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CT_EXIT_USAGE : CT_EXIT_OK;
    }
    for (const bench_entry *b = benches; b->name; b++)
        if (!strcmp(b->name, argv[1])) return b->fn(argc - 1, argv + 1);
    fprintf(stderr, "cltrain bench: unknown benchmark '%s'\n", argv[1]);
    bench_usage(stderr);
    return CT_EXIT_USAGE;
}
