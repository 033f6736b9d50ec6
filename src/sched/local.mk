# src/sched: annealers, combine, presets, the spec parser (pure C, no OpenCL)
pkginclude_HEADERS += include/cltrain/sched.h
noinst_HEADERS += src/sched/sched_internal.h
libcltrain_la_SOURCES += src/sched/anneal.c src/sched/presets.c src/sched/spec.c src/sched/sched.c

check_PROGRAMS += tests/test_sched
tests_test_sched_LDADD = $(TEST_LDADD)
TESTS += tests/test_sched tests/test_sched_cli.sh
EXTRA_DIST += tests/test_sched_cli.sh

EXTRA_DIST += tests/gen/sched_fastai.py tests/data/sched_fastai.txt
EXTRA_DIST += doc/schedules.md doc/schedules.png
