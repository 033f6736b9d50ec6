/* Subcommand entry points of the cltrain program and small shared CLI helpers.
 * Only code under src/cli/ may call exit(); library calls return ct_status. */
#ifndef CT_CLI_H
#define CT_CLI_H

#include <stdio.h>

/* Exit codes: 0 ok, 1 runtime failure, 2 usage error. */
enum { CT_EXIT_OK = 0, CT_EXIT_FAIL = 1, CT_EXIT_USAGE = 2 };

/* Each subcommand gets argv with argv[0] = the subcommand name. */
typedef int (*ct_cmd_fn)(int argc, char **argv);

int cmd_devices(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_sched(int argc, char **argv);
int cmd_data(int argc, char **argv);
int cmd_make_dataset(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_lr_find(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_model(int argc, char **argv);
/* bench families (src/cli/bench_*.c), dispatched by cmd_bench */
int bench_ops(int argc, char **argv);
int bench_data(int argc, char **argv);
int bench_train(int argc, char **argv);

typedef struct ct_ctx ct_ctx;
/* A context on --device / CLTRAIN_DEVICE (and --verbose); prints the failure and returns NULL. */
ct_ctx *cli_ctx(void);
/* The device's fp32 FMA throughput in GFLOP/s, measured (kernels/bench.cl fma_peak: ~0.2 s,
 * best of 3); 0 when the probe fails. */
double bench_fma_peak(ct_ctx *ctx);

/* Print "cltrain: <what>: <status>: <detail>" for a failed library call. */
void cli_report(const char *what, int status);
/* Global flags accepted by every subcommand, parsed out of argv before dispatch. */
extern const char *cli_device_flag; /* --device SEL */
extern int cli_verbose;             /* --verbose / -v */
#endif
