# src/stats: summaries, t distribution, paired tests, bootstrap (pure C)
pkginclude_HEADERS += include/cltrain/stats.h include/cltrain/compare.h
libcltrain_la_SOURCES += src/stats/stats.c src/stats/compare.c
