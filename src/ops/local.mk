# src/ops: host halves of kernels/<op>.cl (forward and backward side by side)
pkginclude_HEADERS += include/cltrain/ops.h
libcltrain_la_SOURCES += src/ops/gemm.c src/ops/elementwise.c
KERNEL_FILES += kernels/elementwise.cl
