# src/optim: optimizers on the device (host half of kernels/optim.cl) and their test
pkginclude_HEADERS += include/cltrain/optim.h
libcltrain_la_SOURCES += src/optim/config.c src/optim/optim.c
KERNEL_FILES += kernels/optim.cl

check_PROGRAMS += tests/test_optim
tests_test_optim_LDADD = $(TEST_LDADD)
TESTS += tests/test_optim
