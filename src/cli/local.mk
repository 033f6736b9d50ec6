# src/cli: the cltrain program (main.c and one file per subcommand)
noinst_HEADERS += src/cli/cli.h
cltrain_SOURCES += src/cli/main.c src/cli/cmd_devices.c src/cli/cmd_bench.c src/cli/bench_ops.c
cltrain_SOURCES += src/cli/cmd_sched.c
