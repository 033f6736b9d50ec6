# src/cli: the cltrain program (main.c and one file per subcommand)
noinst_HEADERS += src/cli/cli.h
cltrain_SOURCES += src/cli/main.c src/cli/cmd_devices.c src/cli/cmd_bench.c src/cli/bench_ops.c
cltrain_SOURCES += src/cli/cmd_sched.c
noinst_HEADERS += src/cli/train_flags.h
cltrain_SOURCES += src/cli/cmd_train.c src/cli/cmd_eval.c src/cli/cmd_predict.c src/cli/cmd_lr_find.c
cltrain_SOURCES += src/cli/cmd_compare.c
cltrain_SOURCES += src/cli/bench_train.c
KERNEL_FILES += kernels/bench.cl
