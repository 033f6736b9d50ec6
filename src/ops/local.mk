# src/ops: host halves of kernels/<op>.cl (forward and backward side by side)
pkginclude_HEADERS += include/cltrain/ops.h
libcltrain_la_SOURCES += src/ops/gemm.c src/ops/elementwise.c
KERNEL_FILES += kernels/elementwise.cl
libcltrain_la_SOURCES += src/ops/conv.c src/ops/linear.c
noinst_HEADERS += src/ops/conv_bias.h
KERNEL_FILES += kernels/conv.cl
libcltrain_la_SOURCES += src/ops/act.c src/ops/pool.c src/ops/misc.c
KERNEL_FILES += kernels/act.cl kernels/pool.cl kernels/misc.cl
libcltrain_la_SOURCES += src/ops/batchnorm.c src/ops/loss.c
KERNEL_FILES += kernels/batchnorm.cl kernels/loss.cl
