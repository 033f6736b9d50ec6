/* `cltrain compare`: run a paired grid of schedules x seeds (each run a `cltrain train` child in
 * its own folder, skipped when finished, resumed when interrupted), then report the statistics.
 * Scheduling across machines is left to Slurm / GNU parallel through --shard; no queue here. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "cltrain/compare.h"
#include "cltrain/plot.h"
#include "cltrain/stats.h"

#define MAX_PASS 64

typedef struct {
    char scheds[4096];
    int seeds, seed0;
    char baseline[512];
    char out[1024];
    int shard_i, shard_n;
    double alpha;
    int boot;
    char *pass[MAX_PASS]; /* train flags forwarded verbatim */
    int n_pass;
} compare_opts;

static void compare_usage(FILE *f)
{
    fprintf(f,
            "usage: cltrain compare --scheds LIST [--seeds N] [--out DIR] [--baseline SPEC]\n"
            "                       [--shard I/N] [TRAIN FLAGS...]\n"
            "       cltrain compare --report DIR [--baseline SPEC]\n\n"
            "Trains every schedule in LIST with seeds 0..N-1 (seed s gives every schedule the same\n"
            "initial weights and data order, so differences are paired), then reports per-schedule\n"
            "mean, sd and 95 %% CI of final and best accuracy, paired differences against the\n"
            "baseline (t-test p, bootstrap CI), the minimal detectable effect and a verdict.\n\n"
            "  --scheds LIST    comma-separated specs; key=a|b|c sweeps a parameter; SPEC@LR gives\n"
            "                   a schedule its own lr, e.g. one_cycle,flat_cos@8e-3,godzi:amp=0.1|0.3\n"
            "  --seeds N        seeds per schedule (default 5); --seed0 S shifts them (default 0)\n"
            "  --out DIR        grid folder (default runs/compare): DIR/<schedule>/seed<S>/ per run,\n"
            "                   results.csv, results.json, report.md and plots; rerunning skips\n"
            "                   finished runs and resumes interrupted ones\n"
            "  --baseline SPEC  the reference schedule (default: the first in LIST)\n"
            "  --shard I/N      run only runs k with k %% N == I-1 (Slurm array / GNU parallel);\n"
            "                   then `cltrain compare --report DIR` merges every shard's runs\n"
            "  --alpha A        significance level (default 0.05); --boot B resamples (2000)\n"
            "  --report DIR     only (re)write the report from the finished runs under DIR\n"
            "any other flag is passed to `cltrain train` (e.g. --epochs 3 --limit-train 6000)\n");
}

/* ---- grid file: what the runs were, so --report can rebuild the arms ------------------------- */

static int write_grid(const char *dir, const compare_opts *o)
{
    json_t *g = json_object();
    json_object_set_new(g, "scheds", json_string(o->scheds));
    json_object_set_new(g, "seeds", json_integer(o->seeds));
    json_object_set_new(g, "seed0", json_integer(o->seed0));
    json_object_set_new(g, "baseline", json_string(o->baseline));
    json_t *p = json_array();
    for (int i = 0; i < o->n_pass; i++) json_array_append_new(p, json_string(o->pass[i]));
    json_object_set_new(g, "train_flags", p);
    char path[1200], tmp[1300];
    snprintf(path, sizeof path, "%s/grid.json", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
    int rc = json_dump_file(g, tmp, JSON_INDENT(2));
    json_decref(g);
    return rc == 0 ? rename(tmp, path) : -1;
}

static int read_grid(const char *dir, compare_opts *o)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/grid.json", dir);
    json_error_t err;
    json_t *g = json_load_file(path, 0, &err);
    if (!g) {
        fprintf(stderr, "cltrain compare: %s: %s (is this a compare folder?)\n", path, err.text);
        return -1;
    }
    const char *s = json_string_value(json_object_get(g, "scheds"));
    snprintf(o->scheds, sizeof o->scheds, "%s", s ? s : "");
    o->seeds = (int)json_integer_value(json_object_get(g, "seeds"));
    o->seed0 = (int)json_integer_value(json_object_get(g, "seed0"));
    if (!o->baseline[0]) {
        s = json_string_value(json_object_get(g, "baseline"));
        snprintf(o->baseline, sizeof o->baseline, "%s", s ? s : "");
    }
    json_decref(g);
    return o->scheds[0] && o->seeds > 0 ? 0 : -1;
}

/* ---- one run's folder -------------------------------------------------------------------------- */

static void run_dir(const compare_opts *o, const ct_cmp_arm *a, int seed, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s/seed%d", o->out, a->slug, seed);
}

static int exists(const char *dir, const char *file)
{
    char p[1400];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    return access(p, F_OK) == 0;
}

/* A run is finished when its summary.json says so (an interrupted run writes one too). */
static int run_finished(const char *dir)
{
    char p[1400];
    snprintf(p, sizeof p, "%s/summary.json", dir);
    json_t *j = json_load_file(p, 0, NULL);
    int done = j && json_is_true(json_object_get(j, "finished"));
    json_decref(j);
    return done;
}

/* Parse metrics.csv (header with epoch, valid_loss, accuracy columns). Returns epochs read. */
static int read_metrics(const char *dir, ct_cmp_result *r)
{
    char p[1400], line[1024];
    snprintf(p, sizeof p, "%s/metrics.csv", dir);
    FILE *f = fopen(p, "r");
    if (!f) return 0;
    int col_acc = -1, col_vl = -1, n = 0;
    if (fgets(line, sizeof line, f)) {
        int c = 0;
        for (char *tok = strtok(line, ",\r\n"); tok; tok = strtok(NULL, ",\r\n"), c++) {
            if (!strcmp(tok, "accuracy")) col_acc = c;
            if (!strcmp(tok, "valid_loss")) col_vl = c;
        }
    }
    r->final_acc = NAN;
    r->best_acc = -INFINITY;
    while (col_acc >= 0 && fgets(line, sizeof line, f) && n < 256) {
        int c = 0;
        double acc = NAN, vl = NAN;
        for (char *tok = strtok(line, ",\r\n"); tok; tok = strtok(NULL, ",\r\n"), c++) {
            if (c == col_acc) acc = strtod(tok, NULL);
            if (c == col_vl) vl = strtod(tok, NULL);
        }
        r->valid_loss[n++] = vl;
        r->final_acc = acc;
        if (acc > r->best_acc) r->best_acc = acc;
    }
    fclose(f);
    r->n_epoch = n;
    return n;
}

static int mkdirs(const char *path)
{
    char tmp[1400];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(tmp, 0755) && errno != EEXIST ? -1 : 0;
}

/* Run `cltrain train` for one (arm, seed), resuming from its folder when a checkpoint exists. */
static int run_one(const compare_opts *o, const ct_cmp_arm *a, int seed, const char *dir)
{
    char seed_s[32], lr_s[64];
    char *argv[MAX_PASS + 24];
    int n = 0;
    argv[n++] = "cltrain";
    if (cli_device_flag) argv[n++] = "--device", argv[n++] = (char *)cli_device_flag;
    argv[n++] = "train";
    int resume = exists(dir, "train_state.safetensors");
    if (resume) {
        argv[n++] = "--resume";
        argv[n++] = (char *)dir;
    } else {
        snprintf(seed_s, sizeof seed_s, "%d", seed);
        argv[n++] = "--sched";
        argv[n++] = (char *)a->spec;
        argv[n++] = "--seed";
        argv[n++] = seed_s;
        argv[n++] = "--out";
        argv[n++] = (char *)dir;
        if (a->lr > 0) {
            snprintf(lr_s, sizeof lr_s, "%.9g", a->lr);
            argv[n++] = "--lr";
            argv[n++] = lr_s;
        }
        for (int i = 0; i < o->n_pass; i++) argv[n++] = o->pass[i];
    }
    argv[n] = NULL;
    printf("compare: %s %s seed %d -> %s\n", resume ? "resuming" : "training", a->spec, seed, dir);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        execv("/proc/self/exe", argv);
        perror("cltrain compare: exec");
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- report ------------------------------------------------------------------------------------ */

/* A plot with one panel, title and axes; NULL on failure (plots are best effort). */
static ct_plot *plot_begin(const char *title, const char *xlabel, const char *ylabel)
{
    ct_plot *p;
    if (ct_plot_new(900, 520, 1, &p) != CT_OK) return NULL;
    if (ct_plot_title(p, title) != CT_OK || ct_plot_xaxis(p, xlabel, CT_PLOT_LINEAR) != CT_OK ||
        ct_plot_yaxis(p, 0, CT_PLOT_LEFT, ylabel, CT_PLOT_LINEAR) != CT_OK) {
        ct_plot_free(p);
        return NULL;
    }
    return p;
}

static void plot_end(ct_plot *p, const char *path)
{
    if (ct_plot_write_png(p, path) != CT_OK)
        fprintf(stderr, "cltrain compare: %s\n", ct_last_error());
    ct_plot_free(p);
}

/* final accuracy: one point per seed, and the mean with its 95 % t-interval, per schedule */
static void plot_accuracy(const char *path, const ct_cmp_arm *arms, int n_arms,
                          const ct_cmp_result *res, int n_res, double alpha)
{
    ct_plot *p = plot_begin("Final accuracy per schedule: seeds (dots), mean and CI (bars)",
                            "schedule", "final valid accuracy (%)");
    if (!p) return;
    double *at = malloc((size_t)n_arms * sizeof *at);
    const char **names = malloc((size_t)n_arms * sizeof *names);
    double *xs = malloc((size_t)(n_res + 1) * sizeof *xs), *ys = malloc((size_t)(n_res + 1) * sizeof *ys);
    ct_status st = CT_OK;
    for (int a = 0; at && names && xs && ys && a < n_arms && st == CT_OK; a++) {
        int m = 0;
        for (int i = 0; i < n_res; i++)
            if (res[i].arm == a) xs[m] = a - 0.15, ys[m++] = 100 * res[i].final_acc;
        at[a] = a;
        names[a] = arms[a].spec;
        ct_plot_style dots = {.mark = CT_MARK_CIRCLE, .mark_size = 5};
        st = ct_plot_points(p, 0, CT_PLOT_LEFT, NULL, xs, ys, NULL, NULL, (size_t)m, &dots);
        ct_summary s = ct_stats_summary(ys, (size_t)m, alpha);
        double x = a + 0.15, half = isfinite(s.ci_hi) ? s.ci_hi - s.mean : 0;
        ct_plot_style bar = {.color = "#000000", .mark = CT_MARK_SQUARE};
        if (st == CT_OK && m > 0)
            st = ct_plot_points(p, 0, CT_PLOT_LEFT, NULL, &x, &s.mean, &half, &half, 1, &bar);
    }
    if (st == CT_OK && at && names) st = ct_plot_xticks(p, at, names, (size_t)n_arms);
    if (st == CT_OK && n_arms > 0) st = ct_plot_xrange(p, -0.6, n_arms - 0.4);
    free(at), free(names), free(xs), free(ys);
    if (st == CT_OK)
        plot_end(p, path);
    else
        ct_plot_free(p);
}

/* mean validation loss per epoch over the finished seeds of each schedule */
static void plot_curves(const char *path, const ct_cmp_arm *arms, int n_arms,
                        const ct_cmp_result *res, int n_res)
{
    ct_plot *p = plot_begin("Validation loss per epoch (mean over seeds)", "epoch", "valid loss");
    if (!p) return;
    for (int a = 0; a < n_arms; a++) {
        double xs[256], ys[256] = {0};
        int cnt[256] = {0}, ne = 0;
        for (int i = 0; i < n_res; i++) {
            if (res[i].arm != a) continue;
            for (int e = 0; e < res[i].n_epoch; e++) ys[e] += res[i].valid_loss[e], cnt[e]++;
            if (res[i].n_epoch > ne) ne = res[i].n_epoch;
        }
        for (int e = 0; e < ne; e++) xs[e] = e + 1, ys[e] /= cnt[e] ? cnt[e] : 1;
        ct_plot_style st = {.mark = CT_MARK_CIRCLE};
        if (ct_plot_line(p, 0, CT_PLOT_LEFT, arms[a].spec, xs, ys, (size_t)ne, &st) != CT_OK) break;
    }
    plot_end(p, path);
}

/* Column `name` of a CSV file as doubles (malloc'd); -1 when unreadable. */
static long read_csv_column(const char *file, const char *name, double **out)
{
    FILE *fp = fopen(file, "r");
    *out = NULL;
    if (!fp) return -1;
    char line[1024];
    int col = -1;
    if (fgets(line, sizeof line, fp)) {
        int c = 0;
        for (char *t = strtok(line, ",\r\n"); t; t = strtok(NULL, ",\r\n"), c++)
            if (!strcmp(t, name)) col = c;
    }
    size_t cap = 1024, m = 0;
    double *v = malloc(cap * sizeof *v);
    while (v && col >= 0 && fgets(line, sizeof line, fp)) {
        /* split keeping empty fields (mom may be empty) */
        char *f = line;
        for (int c = 0; c < col && f; c++) f = strchr(f, ','), f = f ? f + 1 : NULL;
        if (!f) continue;
        if (m == cap) {
            double *g = realloc(v, (cap *= 2) * sizeof *v);
            if (!g) break;
            v = g;
        }
        v[m++] = (*f == ',' || *f == '\n' || *f == '\0') ? NAN : strtod(f, NULL);
    }
    fclose(fp);
    if (col < 0 || !v) {
        free(v);
        return -1;
    }
    *out = v;
    return (long)m;
}

/* lr as pushed (batches.csv of each schedule's first finished seed), overlaid on a log axis */
static void plot_lrs(const char *path, const compare_opts *o, const ct_cmp_arm *arms, int n_arms,
                     const ct_cmp_result *res, int n_res)
{
    ct_plot *p = plot_begin("Learning rate as pushed (first finished seed of each schedule)",
                            "iteration", "lr");
    if (!p) return;
    for (int a = 0; a < n_arms; a++)
        for (int i = 0; i < n_res; i++) {
            if (res[i].arm != a) continue;
            char dir[1300], f[1400];
            run_dir(o, &arms[a], res[i].seed, dir, sizeof dir);
            snprintf(f, sizeof f, "%s/batches.csv", dir);
            double *lr, *it;
            long m = read_csv_column(f, "lr", &lr);
            if (m > 0 && read_csv_column(f, "iter", &it) == m) {
                ct_status st = ct_plot_line(p, 0, CT_PLOT_LEFT, arms[a].spec, it, lr, (size_t)m, NULL);
                free(it);
                if (st != CT_OK) fprintf(stderr, "cltrain compare: %s\n", ct_last_error());
            }
            free(lr);
            break;
        }
    plot_end(p, path);
}

static int report(compare_opts *o, const ct_cmp_arm *arms, int n_arms)
{
    int baseline = 0;
    if (o->baseline[0]) {
        baseline = -1;
        for (int a = 0; a < n_arms; a++)
            if (!strcmp(arms[a].spec, o->baseline) || !strcmp(arms[a].slug, o->baseline)) baseline = a;
        if (baseline < 0) {
            fprintf(stderr, "cltrain compare: baseline '%s' is not one of the schedules\n", o->baseline);
            return CT_EXIT_USAGE;
        }
    }
    int cap = n_arms * o->seeds, n_res = 0;
    ct_cmp_result *res = calloc((size_t)cap + 1, sizeof *res);
    if (!res) return CT_EXIT_FAIL;
    char path[1300];
    snprintf(path, sizeof path, "%s/results.csv", o->out);
    FILE *csv = fopen(path, "w");
    json_t *rows = json_array();
    if (csv) fprintf(csv, "schedule,lr,seed,status,epochs,final_accuracy,best_accuracy,dir\n");
    int missing = 0;
    for (int a = 0; a < n_arms; a++)
        for (int s = o->seed0; s < o->seed0 + o->seeds; s++) {
            char dir[1300];
            run_dir(o, &arms[a], s, dir, sizeof dir);
            ct_cmp_result r = {.arm = a, .seed = s};
            int done = run_finished(dir) && read_metrics(dir, &r) > 0;
            const char *status = done ? "finished"
                                 : exists(dir, "train_state.safetensors") ? "interrupted"
                                                                          : "missing";
            if (done) res[n_res++] = r;
            else missing++;
            if (csv)
                fprintf(csv, "\"%s\",%g,%d,%s,%d,%.6f,%.6f,%s\n", arms[a].spec, arms[a].lr, s,
                        status, done ? r.n_epoch : 0, done ? r.final_acc : NAN,
                        done ? r.best_acc : NAN, dir);
            json_t *row = json_object();
            json_object_set_new(row, "schedule", json_string(arms[a].spec));
            json_object_set_new(row, "lr", json_real(arms[a].lr));
            json_object_set_new(row, "seed", json_integer(s));
            json_object_set_new(row, "status", json_string(status));
            if (done) {
                json_object_set_new(row, "epochs", json_integer(r.n_epoch));
                json_object_set_new(row, "final_accuracy", json_real(r.final_acc));
                json_object_set_new(row, "best_accuracy", json_real(r.best_acc));
            }
            json_object_set_new(row, "dir", json_string(dir));
            json_array_append_new(rows, row);
        }
    if (csv) fclose(csv);
    snprintf(path, sizeof path, "%s/results.json", o->out);
    json_dump_file(rows, path, JSON_INDENT(2));
    json_decref(rows);

    snprintf(path, sizeof path, "%s/report.md", o->out);
    FILE *md = fopen(path, "w");
    FILE *outs[2] = {stdout, md};
    for (int k = 0; k < 2; k++) {
        if (!outs[k]) continue;
        fprintf(outs[k], "# cltrain compare: %d schedules x %d seeds (%d finished, %d not)\n\n",
                n_arms, o->seeds, n_res, missing);
        ct_status st = ct_compare_report(outs[k], arms, n_arms, baseline, res, n_res, o->alpha, o->boot);
        if (st != CT_OK) cli_report("report", st);
        if (k == 1)
            fprintf(md, "\n![accuracy](accuracy.png)\n![lr](lr.png)\n![valid loss](valid_loss.png)\n");
    }
    if (md) fclose(md);
    snprintf(path, sizeof path, "%s/accuracy.png", o->out);
    plot_accuracy(path, arms, n_arms, res, n_res, o->alpha);
    snprintf(path, sizeof path, "%s/lr.png", o->out);
    plot_lrs(path, o, arms, n_arms, res, n_res);
    snprintf(path, sizeof path, "%s/valid_loss.png", o->out);
    plot_curves(path, arms, n_arms, res, n_res);
    printf("\nreport: %s/report.md (results.csv, results.json, accuracy.png, lr.png, valid_loss.png)\n",
           o->out);
    free(res);
    return CT_EXIT_OK;
}

static int need(int argc, char **argv, int i)
{
    if (i + 1 >= argc) {
        fprintf(stderr, "cltrain compare: %s needs a value\n", argv[i]);
        return 0;
    }
    return 1;
}

int cmd_compare(int argc, char **argv)
{
    compare_opts o = {.seeds = 5, .alpha = 0.05, .boot = 2000, .shard_i = 1, .shard_n = 1};
    snprintf(o.out, sizeof o.out, "runs/compare");
    const char *report_dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            compare_usage(stdout);
            return CT_EXIT_OK;
        }
        int has_value = i + 1 < argc;
        if (!strcmp(a, "--scheds") || !strcmp(a, "--sched")) {
            if (!need(argc, argv, i)) return CT_EXIT_USAGE;
            size_t len = strlen(o.scheds);
            snprintf(o.scheds + len, sizeof o.scheds - len, "%s%s", len ? "," : "", argv[++i]);
        } else if (!strcmp(a, "--seeds") && has_value) {
            o.seeds = atoi(argv[++i]);
        } else if (!strcmp(a, "--seed0") && has_value) {
            o.seed0 = atoi(argv[++i]);
        } else if (!strcmp(a, "--baseline") && has_value) {
            snprintf(o.baseline, sizeof o.baseline, "%s", argv[++i]);
        } else if (!strcmp(a, "--out") && has_value) {
            snprintf(o.out, sizeof o.out, "%s", argv[++i]);
        } else if (!strcmp(a, "--report") && has_value) {
            report_dir = argv[++i];
        } else if (!strcmp(a, "--alpha") && has_value) {
            o.alpha = atof(argv[++i]);
        } else if (!strcmp(a, "--boot") && has_value) {
            o.boot = atoi(argv[++i]);
        } else if (!strcmp(a, "--shard") && has_value) {
            ct_status st = ct_compare_parse_shard(argv[++i], &o.shard_i, &o.shard_n);
            if (st != CT_OK) {
                fprintf(stderr, "cltrain compare: %s\n", ct_last_error());
                return CT_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--seed") || !strcmp(a, "--out") || !strcmp(a, "--resume")) {
            fprintf(stderr, "cltrain compare: %s is set per run by compare\n", a);
            return CT_EXIT_USAGE;
        } else if (a[0] == '-' && a[1] == '-') {
            /* a train flag: forward it with its value when the next word is not a flag */
            if (o.n_pass + 2 > MAX_PASS) return CT_EXIT_USAGE;
            o.pass[o.n_pass++] = argv[i];
            if (has_value && strncmp(argv[i + 1], "--", 2)) o.pass[o.n_pass++] = argv[++i];
        } else {
            fprintf(stderr, "cltrain compare: unexpected argument '%s'\n", a);
            compare_usage(stderr);
            return CT_EXIT_USAGE;
        }
    }
    if (report_dir) {
        snprintf(o.out, sizeof o.out, "%s", report_dir);
        if (read_grid(report_dir, &o) != 0) return CT_EXIT_FAIL;
    }
    if (!o.scheds[0] || o.seeds < 1) {
        fprintf(stderr, "cltrain compare: --scheds LIST (and --seeds N >= 1) are required\n");
        compare_usage(stderr);
        return CT_EXIT_USAGE;
    }
    ct_cmp_arm *arms;
    int n_arms;
    ct_status st = ct_compare_parse_arms(o.scheds, &arms, &n_arms);
    if (st != CT_OK) {
        fprintf(stderr, "cltrain compare: %s\n", ct_last_error());
        return CT_EXIT_USAGE;
    }
    int rc = CT_EXIT_OK;
    if (!report_dir) {
        if (mkdirs(o.out) || write_grid(o.out, &o)) {
            fprintf(stderr, "cltrain compare: cannot write %s/grid.json\n", o.out);
            free(arms);
            return CT_EXIT_FAIL;
        }
        int failed = 0;
        for (int k = 0; k < n_arms * o.seeds; k++) {
            if (!ct_compare_in_shard(k, o.shard_i, o.shard_n)) continue;
            const ct_cmp_arm *a = &arms[k / o.seeds];
            int seed = o.seed0 + k % o.seeds;
            char dir[1300];
            run_dir(&o, a, seed, dir, sizeof dir);
            if (run_finished(dir)) {
                printf("compare: %s seed %d finished already (%s)\n", a->spec, seed, dir);
                continue;
            }
            if (mkdirs(dir)) {
                fprintf(stderr, "cltrain compare: cannot create %s\n", dir);
                failed++;
                continue;
            }
            int code = run_one(&o, a, seed, dir);
            if (code == 130 || code == 143) { /* interrupted: the child saved a checkpoint */
                rc = code;
                break;
            }
            if (code != 0) {
                fprintf(stderr, "cltrain compare: run %s seed %d failed (exit %d)\n", a->spec, seed, code);
                failed++;
            }
        }
        if (failed) rc = CT_EXIT_FAIL;
    }
    if (rc == CT_EXIT_OK || rc == CT_EXIT_FAIL) {
        int r2 = report(&o, arms, n_arms);
        if (r2 != CT_EXIT_OK) rc = r2;
    }
    free(arms);
    return rc;
}
