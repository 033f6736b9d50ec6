# tests: one program per area, plus shell tests of the CLI. References live in tests/ref/.
noinst_HEADERS += tests/util.h
tests_libcttest_la_SOURCES += tests/util.c
EXTRA_DIST += tests/gen/golden.py tests/gen/xresnet_torch.py

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

# conv2d and linear (three oracles each); references in tests/ref/, goldens from tests/gen/gen_conv.py
noinst_HEADERS += tests/ref/ref.h tests/guarded.h
tests_libcttest_la_SOURCES += tests/ref/conv.c tests/ref/linear.c
EXTRA_DIST += tests/gen/gen_conv.py tests/data/conv_g2_s2_bias.bin tests/data/conv_dw_s2_bias.bin \
	tests/data/conv_k1_s1_bias.bin tests/data/conv_k5_s3_p2_bias.bin
check_PROGRAMS += tests/test_conv tests/test_conv_clblast tests/test_linear tests/test_resblock
tests_test_conv_LDADD = $(TEST_LDADD)
tests_test_conv_clblast_SOURCES = tests/test_conv.c
tests_test_conv_clblast_CPPFLAGS = $(AM_CPPFLAGS) -DCONV_TEST_CLBLAST
tests_test_conv_clblast_LDADD = $(TEST_LDADD)
tests_test_linear_LDADD = $(TEST_LDADD)
tests_test_resblock_LDADD = $(TEST_LDADD)
TESTS += tests/test_conv tests/test_conv_clblast tests/test_linear tests/test_resblock

# batchnorm2d and the label-smoothing loss / top-k (three oracles each); goldens from tests/gen/gen_bnloss.py
tests_libcttest_la_SOURCES += tests/ref/batchnorm.c tests/ref/loss.c
EXTRA_DIST += tests/gen/gen_bnloss.py tests/data/bn_train.bin tests/data/bn_eval.bin \
	tests/data/loss_ls.bin
check_PROGRAMS += tests/test_batchnorm tests/test_loss
tests_test_batchnorm_LDADD = $(TEST_LDADD)
tests_test_loss_LDADD = $(TEST_LDADD)
TESTS += tests/test_batchnorm tests/test_loss

# activations, pooling, GAP, channel scale, dropout, SA (three oracles); goldens from tests/gen/gen_actpool.py
tests_libcttest_la_SOURCES += tests/ref/act.c tests/ref/pool.c tests/ref/misc.c
EXTRA_DIST += tests/gen/gen_actpool.py tests/data/mish_golden.bin tests/data/sa_spectral.bin \
	tests/data/pool_max_stem.bin tests/data/pool_max_stem32.bin tests/data/pool_max_ceil.bin \
	tests/data/pool_max_k2ceil.bin tests/data/pool_avg_id7.bin tests/data/pool_avg_id13.bin \
	tests/data/pool_avg_padceil.bin tests/data/pool_avg_padceil9.bin
check_PROGRAMS += tests/test_act tests/test_pool tests/test_misc
tests_test_act_LDADD = $(TEST_LDADD)
tests_test_pool_LDADD = $(TEST_LDADD)
tests_test_misc_LDADD = $(TEST_LDADD)
TESTS += tests/test_act tests/test_pool tests/test_misc

# models and the static graph (src/nn): counts/names without a device, graph FD on the device
EXTRA_DIST += tests/gen/gen_models.py tests/data/model_names.txt
check_PROGRAMS += tests/test_models
tests_test_models_LDADD = $(TEST_LDADD)
TESTS += tests/test_models
EXTRA_DIST += tests/gen/gen_graph.py tests/data/graph_xse_resnet18_sa_mish.bin \
	tests/data/graph_xresnext50_mish_maxpool.bin tests/data/graph_xresnet18_relu_maxpool.bin
check_PROGRAMS += tests/test_graph
tests_test_graph_LDADD = $(TEST_LDADD)
TESTS += tests/test_graph tests/test_model_cli.sh
EXTRA_DIST += tests/test_model_cli.sh
TESTS += tests/test_bench_train.sh
EXTRA_DIST += tests/test_bench_train.sh
