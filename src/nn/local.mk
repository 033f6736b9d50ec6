# src/nn: the static graph, the activation memory plan, the xresnet family (host + device model)
pkginclude_HEADERS += include/cltrain/graph.h include/cltrain/models.h
noinst_HEADERS += src/nn/nn.h
libcltrain_la_SOURCES += src/nn/graph.c src/nn/plan.c src/nn/exec.c src/nn/xresnet.c \
	src/nn/model.c
# the `cltrain model` subcommand (host only)
cltrain_SOURCES += src/cli/cmd_model.c
