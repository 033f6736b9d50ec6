# src/stats: summaries, t distribution, paired tests, bootstrap (pure C)
pkginclude_HEADERS += include/cltrain/stats.h include/cltrain/compare.h
libcltrain_la_SOURCES += src/stats/stats.c src/stats/compare.c
# the compare CLI end to end (2 schedules x 2 seeds, resume, shards)
TESTS += tests/test_compare_cli.sh
EXTRA_DIST += tests/test_compare_cli.sh
