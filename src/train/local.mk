# src/train: sources of this area (appended to the lists in Makefile.am)
# train engineer: checkpoints (safetensors), learner, lr_find, progress/run outputs
pkginclude_HEADERS += include/cltrain/checkpoint.h
libcltrain_la_SOURCES += src/train/safetensors.c
check_PROGRAMS += tests/test_checkpoint
tests_test_checkpoint_LDADD = $(TEST_LDADD)
TESTS += tests/test_checkpoint
EXTRA_DIST += tests/gen/safetensors_ref.py tests/data/st_ref.safetensors
# sched engineer: plots (cairo -> PNG) reused by sched, lr-find, train and compare
pkginclude_HEADERS += include/cltrain/plot.h
libcltrain_la_SOURCES += src/train/plot.c
check_PROGRAMS += tests/test_plot
tests_test_plot_LDADD = $(TEST_LDADD)
TESTS += tests/test_plot
# train engineer: the learner, checkpoints of runs, run outputs, lr_find
noinst_HEADERS += src/train/learner_internal.h
pkginclude_HEADERS += include/cltrain/learner.h include/cltrain/cltrain.h
libcltrain_la_SOURCES += src/train/config.c src/train/learner.c src/train/checkpoint.c \
	src/train/runlog.c src/train/lr_find.c src/train/lr_suggest.c
TESTS += tests/test_train.sh
EXTRA_DIST += tests/test_train.sh
check_PROGRAMS += tests/test_lr_find
tests_test_lr_find_LDADD = $(TEST_LDADD)
TESTS += tests/test_lr_find
EXTRA_DIST += tests/gen/lr_suggest_ref.py tests/data/lr_suggest.bin tests/gen/check_checkpoint_torch.py
check_PROGRAMS += tests/test_learner
tests_test_learner_LDADD = $(TEST_LDADD)
TESTS += tests/test_learner
# train flags reach the run (presize, strict, noisy labels, optimizer options)
TESTS += tests/test_train_flags.sh
EXTRA_DIST += tests/test_train_flags.sh
