/* `cltrain devices`: every OpenCL platform and device with its limits, and which one is used.
 * Read-only: creates no context. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cltrain/runtime.h"

static const char *type_name(cl_device_type t)
{
    if (t & CL_DEVICE_TYPE_GPU) return "GPU";
    if (t & CL_DEVICE_TYPE_CPU) return "CPU";
    if (t & CL_DEVICE_TYPE_ACCELERATOR) return "accelerator";
    return "other";
}

int cmd_devices(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: cltrain devices [--device SEL]\n"
                   "Lists every OpenCL device; '*' marks the one cltrain would use.\n");
            return CT_EXIT_OK;
        }
        fprintf(stderr, "cltrain devices: unknown argument '%s'\n"
                        "usage: cltrain devices [--device SEL]\n", argv[i]);
        return CT_EXIT_USAGE;
    }
    ct_device_info *devs;
    int n, chosen;
    ct_status st = ct_devices_list(&devs, &n);
    if (st != CT_OK) {
        cli_report("listing devices", st);
        return CT_EXIT_FAIL;
    }
    st = ct_device_select(devs, n, cli_device_flag, &chosen);
    int last_platform = -1;
    for (int i = 0; i < n; i++) {
        const ct_device_info *d = &devs[i];
        if (d->platform_index != last_platform) {
            printf("platform %d: %s (%s)\n", d->platform_index, d->platform_name,
                   d->platform_version);
            last_platform = d->platform_index;
        }
        printf("%s %d:%d  %s\n", st == CT_OK && i == chosen ? "*" : " ", d->platform_index,
               d->device_index, d->name);
        printf("        vendor %s, type %s, driver %s\n", d->vendor, type_name(d->type),
               d->driver_version);
        printf("        %u compute units at %u MHz; global memory %.2f GiB (max buffer %.2f GiB),"
               " local memory %llu KiB\n",
               d->compute_units, d->clock_mhz, d->global_mem / 1073741824.0,
               d->max_alloc / 1073741824.0, (unsigned long long)(d->local_mem / 1024));
        printf("        max work-group %zu; fp16 %s, fp64 %s; %s\n", d->max_wg,
               d->fp16 ? "yes" : "no", d->fp64 ? "yes" : "no", d->c_version);
    }
    free(devs);
    if (st != CT_OK) {
        cli_report("selecting a device", st);
        return CT_EXIT_FAIL;
    }
    printf("(* = default; choose with --device P:D or a name substring, or CLTRAIN_DEVICE)\n");
    return CT_EXIT_OK;
}
