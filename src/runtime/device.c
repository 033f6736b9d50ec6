/* Device discovery and selection: every platform's devices, "P:D" or name-substring selectors.
 * Pure queries; creates no contexts and keeps nothing between calls. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/runtime.h"

static void get_str(cl_device_id d, cl_device_info what, char *buf, size_t n)
{
    buf[0] = '\0';
    if (clGetDeviceInfo(d, what, n, buf, NULL) != CL_SUCCESS) snprintf(buf, n, "?");
    buf[n - 1] = '\0';
}

static int has_ext(cl_device_id d, const char *ext)
{
    size_t n = 0;
    if (clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, 0, NULL, &n) != CL_SUCCESS || n == 0) return 0;
    char *s = malloc(n + 1);
    if (!s) return 0;
    int found = 0;
    if (clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, n, s, NULL) == CL_SUCCESS) {
        s[n] = '\0';
        found = strstr(s, ext) != NULL;
    }
    free(s);
    return found;
}

ct_status ct_devices_list(ct_device_info **out, int *n)
{
    *out = NULL;
    *n = 0;
    cl_uint np = 0;
    cl_int err = clGetPlatformIDs(0, NULL, &np);
    if (err == -1001 /* CL_PLATFORM_NOT_FOUND_KHR */ || (err == CL_SUCCESS && np == 0))
        return ct_error(CT_ERR_NO_DEVICE, "no OpenCL platform found (apt-get install "
                                          "pocl-opencl-icd for the CPU device, or a GPU driver)");
    if (err != CL_SUCCESS) return ct_error(err, "clGetPlatformIDs: %s", ct_status_str(err));
    cl_platform_id plats[32];
    if (np > 32) np = 32;
    if ((err = clGetPlatformIDs(np, plats, NULL)) != CL_SUCCESS)
        return ct_error(err, "clGetPlatformIDs: %s", ct_status_str(err));

    ct_device_info *list = NULL;
    int count = 0;
    for (cl_uint p = 0; p < np; p++) {
        cl_uint nd = 0;
        if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 0, NULL, &nd) != CL_SUCCESS || nd == 0)
            continue;
        cl_device_id devs[64];
        if (nd > 64) nd = 64;
        if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, nd, devs, NULL) != CL_SUCCESS) continue;
        ct_device_info *grown = realloc(list, (count + nd) * sizeof *list);
        if (!grown) {
            free(list);
            return ct_error(CT_ERR_HOST_OOM, "out of memory listing devices");
        }
        list = grown;
        for (cl_uint d = 0; d < nd; d++) {
            ct_device_info *di = &list[count++];
            memset(di, 0, sizeof *di);
            di->platform_index = (int)p;
            di->device_index = (int)d;
            di->platform = plats[p];
            di->device = devs[d];
            clGetPlatformInfo(plats[p], CL_PLATFORM_NAME, sizeof di->platform_name,
                              di->platform_name, NULL);
            clGetPlatformInfo(plats[p], CL_PLATFORM_VERSION, sizeof di->platform_version,
                              di->platform_version, NULL);
            get_str(devs[d], CL_DEVICE_NAME, di->name, sizeof di->name);
            get_str(devs[d], CL_DEVICE_VENDOR, di->vendor, sizeof di->vendor);
            get_str(devs[d], CL_DRIVER_VERSION, di->driver_version, sizeof di->driver_version);
            get_str(devs[d], CL_DEVICE_VERSION, di->device_version, sizeof di->device_version);
            get_str(devs[d], CL_DEVICE_OPENCL_C_VERSION, di->c_version, sizeof di->c_version);
            clGetDeviceInfo(devs[d], CL_DEVICE_TYPE, sizeof di->type, &di->type, NULL);
            clGetDeviceInfo(devs[d], CL_DEVICE_MAX_COMPUTE_UNITS, sizeof di->compute_units,
                            &di->compute_units, NULL);
            clGetDeviceInfo(devs[d], CL_DEVICE_MAX_CLOCK_FREQUENCY, sizeof di->clock_mhz,
                            &di->clock_mhz, NULL);
            clGetDeviceInfo(devs[d], CL_DEVICE_GLOBAL_MEM_SIZE, sizeof di->global_mem,
                            &di->global_mem, NULL);
            clGetDeviceInfo(devs[d], CL_DEVICE_LOCAL_MEM_SIZE, sizeof di->local_mem,
                            &di->local_mem, NULL);
            clGetDeviceInfo(devs[d], CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof di->max_alloc,
                            &di->max_alloc, NULL);
            clGetDeviceInfo(devs[d], CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof di->max_wg,
                            &di->max_wg, NULL);
            di->fp16 = has_ext(devs[d], "cl_khr_fp16");
            di->fp64 = has_ext(devs[d], "cl_khr_fp64");
        }
    }
    if (count == 0) {
        free(list);
        return ct_error(CT_ERR_NO_DEVICE, "OpenCL platforms found, but no devices");
    }
    *out = list;
    *n = count;
    return CT_OK;
}

static int contains_ci(const char *hay, const char *needle)
{
    size_t nl = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < nl && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == nl) return 1;
    }
    return nl == 0;
}

ct_status ct_device_select(const ct_device_info *devs, int n, const char *sel, int *index)
{
    if (!sel || !*sel) sel = getenv("CLTRAIN_DEVICE");
    if (!sel || !*sel) {
        for (int i = 0; i < n; i++)
            if (devs[i].type & CL_DEVICE_TYPE_GPU) {
                *index = i;
                return CT_OK;
            }
        *index = 0;
        return n > 0 ? CT_OK : ct_error(CT_ERR_NO_DEVICE, "no OpenCL devices");
    }
    int p, d;
    char tail;
    if (sscanf(sel, "%d:%d%c", &p, &d, &tail) == 2) {
        for (int i = 0; i < n; i++)
            if (devs[i].platform_index == p && devs[i].device_index == d) {
                *index = i;
                return CT_OK;
            }
    } else {
        for (int i = 0; i < n; i++)
            if (contains_ci(devs[i].name, sel) || contains_ci(devs[i].platform_name, sel)) {
                *index = i;
                return CT_OK;
            }
    }
    char msg[900];
    size_t used = (size_t)snprintf(msg, sizeof msg, "device selector '%s' matches no device; "
                                                    "devices are:", sel);
    for (int i = 0; i < n && used < sizeof msg; i++)
        used += (size_t)snprintf(msg + used, sizeof msg - used, "\n  %d:%d  %s (%s)",
                                 devs[i].platform_index, devs[i].device_index, devs[i].name,
                                 devs[i].platform_name);
    return ct_error(CT_ERR_NO_DEVICE, "%s", msg);
}
