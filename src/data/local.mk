# src/data: datasets (IDX, CIFAR-10, image folders), transforms, threaded loader, normalisation
pkginclude_HEADERS += include/cltrain/data.h
noinst_HEADERS += src/data/internal.h
libcltrain_la_SOURCES += src/data/classnames.c src/data/augment.c src/data/idx.c \
	src/data/cifar.c src/data/folder.c src/data/dataset.c src/data/loader.c src/data/normalize.c \
	src/data/shapes.c
KERNEL_FILES += kernels/normalize.cl
cltrain_SOURCES += src/cli/cmd_data.c src/cli/cmd_make_dataset.c src/cli/bench_data.c

# tests of this area (host-only data path; device normalisation; CLI)
check_PROGRAMS += tests/test_data tests/test_data_norm
tests_test_data_LDADD = $(TEST_LDADD)
tests_test_data_norm_LDADD = $(TEST_LDADD)
TESTS += tests/test_data tests/test_data_norm tests/test_data_cli.sh
EXTRA_DIST += tests/gen/gen_data.py tests/data/data_resize.bin tests/test_data_cli.sh
