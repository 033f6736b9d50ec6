# tests: one program per area, plus shell tests of the CLI. References live in tests/ref/.
noinst_HEADERS += tests/util.h
tests_libcttest_la_SOURCES += tests/util.c
EXTRA_DIST += tests/gen/golden.py

check_PROGRAMS += tests/test_status tests/test_runtime tests/test_gemm
tests_test_status_LDADD = $(TEST_LDADD)
tests_test_runtime_LDADD = $(TEST_LDADD)
tests_test_gemm_LDADD = $(TEST_LDADD)
TESTS += tests/test_status tests/test_runtime tests/test_gemm tests/test_cli.sh
EXTRA_DIST += tests/test_cli.sh

check_PROGRAMS += tests/test_stats
tests_test_stats_LDADD = $(TEST_LDADD)
TESTS += tests/test_stats

check_PROGRAMS += tests/test_compare
tests_test_compare_LDADD = $(TEST_LDADD)
TESTS += tests/test_compare
