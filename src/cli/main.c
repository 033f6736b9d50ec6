/* The cltrain program: global flags, dispatch to one subcommand, usage and version.
 * Subcommands live in src/cli/cmd_*.c; this file holds only the table and argument plumbing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cltrain/runtime.h"
#include "cltrain/status.h"
#include "config.h"

const char *cli_device_flag = NULL;
int cli_verbose = 0;

typedef struct {
    const char *name;
    ct_cmd_fn fn;
    const char *help;
} command;

static const command commands[] = {
    {"train", cmd_train, "train a model (default: the Fashion-MNIST recipe); --resume DIR"},
    {"eval", cmd_eval, "loss, accuracy and top-5 of a checkpoint on the validation split"},
    {"predict", cmd_predict, "top-5 classes with probabilities for image files"},
    {"lr-find", cmd_lr_find, "fastai lr_find: sweep, smoothed loss, suggestions, PNG"},
    {"compare", cmd_compare, "paired schedule experiments over seeds, with statistics"},
    {"model", cmd_model, "an architecture's layers, shapes, parameter count, memory, names"},
    {"devices", cmd_devices, "list OpenCL platforms and devices, marking the default"},
    {"data", cmd_data, "describe a dataset: format, classes, counts, sizes, bad files"},
    {"make-dataset", cmd_make_dataset, "write a synthetic dataset (shapes) as image folders"},
    {"sched", cmd_sched, "print (or plot) the per-batch lr and mom of a schedule as CSV"},
    {"bench", cmd_bench, "benchmarks: ops, data, train (figures, ms, GFLOP/s, img/s)"},
};
static const int n_commands = (int)(sizeof commands / sizeof commands[0]);

static void usage(FILE *f)
{
    fprintf(f, "usage: cltrain [--device SEL] [--verbose] COMMAND [ARGS...]\n\n"
               "Trains image-classification CNNs with OpenCL kernels.\n\ncommands:\n");
    for (int i = 0; i < n_commands; i++) fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\nglobal options:\n"
               "  --device SEL   OpenCL device: P:D index or a name substring (env CLTRAIN_DEVICE);\n"
               "                 default: the first GPU, else the first device\n"
               "  -v, --verbose  report kernel builds, cache hits and memory\n"
               "  -h, --help     this help (COMMAND --help for a command's options)\n"
               "  --version      print the version\n\n"
               "environment: CLTRAIN_DEVICE, CLTRAIN_KERNEL_DIR (load kernels/*.cl from disk),\n"
               "  CLTRAIN_CACHE=off (no program-binary cache), XDG_CACHE_HOME (cache location)\n");
}

ct_ctx *cli_ctx(void)
{
    ct_ctx *ctx = NULL;
    ct_ctx_opts o = {cli_device_flag, cli_verbose};
    ct_status st = ct_ctx_create(&ctx, &o);
    if (st != CT_OK) {
        cli_report("opening the OpenCL device", st);
        return NULL;
    }
    return ctx;
}

void cli_report(const char *what, int status)
{
    const char *detail = ct_last_error();
    fprintf(stderr, "cltrain: %s: %s%s%s\n", what, ct_status_str(status), *detail ? ": " : "",
            detail);
}

int main(int argc, char **argv)
{
    /* global flags may come before or after the subcommand; strip them out of argv */
    int out = 1;
    const char *cmd = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--device") || !strncmp(a, "--device=", 9)) {
            if (a[8] == '=') {
                cli_device_flag = a + 9;
            } else if (i + 1 < argc) {
                cli_device_flag = argv[++i];
            } else {
                fprintf(stderr, "cltrain: --device needs a value\n");
                usage(stderr);
                return CT_EXIT_USAGE;
            }
            continue;
        }
        if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
            cli_verbose = 1;
            continue;
        }
        if (!cmd && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
            usage(stdout);
            return CT_EXIT_OK;
        }
        if (!cmd && !strcmp(a, "--version")) {
            printf("cltrain %s\n", PACKAGE_VERSION);
            return CT_EXIT_OK;
        }
        if (!cmd && a[0] == '-') {
            fprintf(stderr, "cltrain: unknown option '%s'\n", a);
            usage(stderr);
            return CT_EXIT_USAGE;
        }
        if (!cmd) cmd = a;
        argv[out++] = argv[i];
    }
    argv[out] = NULL;
    if (!cmd) {
        usage(stderr);
        return CT_EXIT_USAGE;
    }
    for (int i = 0; i < n_commands; i++)
        if (!strcmp(commands[i].name, cmd)) return commands[i].fn(out - 1, argv + 1);
    fprintf(stderr, "cltrain: unknown command '%s'\n", cmd);
    usage(stderr);
    return CT_EXIT_USAGE;
}
