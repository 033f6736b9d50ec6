# src/runtime: context, devices, program cache, buffers, status strings
pkginclude_HEADERS += include/cltrain/status.h include/cltrain/runtime.h include/cltrain/tensor.h
noinst_HEADERS += src/runtime/cache.h src/runtime/kernels_embedded.h
libcltrain_la_SOURCES += src/runtime/status.c src/runtime/device.c src/runtime/cache.c \
	src/runtime/ctx.c
KERNEL_FILES += kernels/common.cl
