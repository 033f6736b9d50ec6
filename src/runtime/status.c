/* Status strings and the per-thread detailed error message.
 * Holds no device state; the message buffer is thread-local so worker threads do not collide. */
#include <stdarg.h>
#include <stdio.h>

#include "cltrain/status.h"

static _Thread_local char last_error[1024];

const char *ct_last_error(void)
{
    return last_error;
}

void ct_error_clear(void)
{
    last_error[0] = '\0';
}

ct_status ct_error(ct_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return st;
}

const char *ct_status_str(ct_status st)
{
    switch (st) {
    case CT_OK: return "success";
    case CT_ERR_HOST_OOM: return "host out of memory";
    case CT_ERR_DEVICE_OOM: return "device out of memory";
    case CT_ERR_INVALID_ARG: return "invalid argument";
    case CT_ERR_NO_DEVICE: return "no OpenCL device";
    case CT_ERR_BUILD: return "OpenCL program build failed";
    case CT_ERR_IO: return "I/O error";
    case CT_ERR_FORMAT: return "malformed file";
    case CT_ERR_NOT_FOUND: return "not found";
    case CT_ERR_UNSUPPORTED: return "unsupported";
    case CT_ERR_NONFINITE: return "non-finite value";
    case CT_ERR_INTERRUPTED: return "interrupted";
    case CT_ERR_CLBLAST: return "CLBlast error";
    case CT_ERR_OVERFLOW: return "size overflow";
    default: break;
    }
    /* OpenCL 1.2 codes (cl.h names, listed by value so older headers still compile) */
    static const char *const cl_names[] = {
        [1] = "CL_DEVICE_NOT_FOUND", [2] = "CL_DEVICE_NOT_AVAILABLE",
        [3] = "CL_COMPILER_NOT_AVAILABLE", [4] = "CL_MEM_OBJECT_ALLOCATION_FAILURE",
        [5] = "CL_OUT_OF_RESOURCES", [6] = "CL_OUT_OF_HOST_MEMORY",
        [7] = "CL_PROFILING_INFO_NOT_AVAILABLE", [8] = "CL_MEM_COPY_OVERLAP",
        [9] = "CL_IMAGE_FORMAT_MISMATCH", [10] = "CL_IMAGE_FORMAT_NOT_SUPPORTED",
        [11] = "CL_BUILD_PROGRAM_FAILURE", [12] = "CL_MAP_FAILURE",
        [13] = "CL_MISALIGNED_SUB_BUFFER_OFFSET", [14] = "CL_EXEC_STATUS_ERROR_FOR_EVENTS",
        [15] = "CL_COMPILE_PROGRAM_FAILURE", [16] = "CL_LINKER_NOT_AVAILABLE",
        [17] = "CL_LINK_PROGRAM_FAILURE", [18] = "CL_DEVICE_PARTITION_FAILED",
        [19] = "CL_KERNEL_ARG_INFO_NOT_AVAILABLE", [30] = "CL_INVALID_VALUE",
        [31] = "CL_INVALID_DEVICE_TYPE", [32] = "CL_INVALID_PLATFORM", [33] = "CL_INVALID_DEVICE",
        [34] = "CL_INVALID_CONTEXT", [35] = "CL_INVALID_QUEUE_PROPERTIES",
        [36] = "CL_INVALID_COMMAND_QUEUE", [37] = "CL_INVALID_HOST_PTR",
        [38] = "CL_INVALID_MEM_OBJECT", [39] = "CL_INVALID_IMAGE_FORMAT_DESCRIPTOR",
        [40] = "CL_INVALID_IMAGE_SIZE", [41] = "CL_INVALID_SAMPLER", [42] = "CL_INVALID_BINARY",
        [43] = "CL_INVALID_BUILD_OPTIONS", [44] = "CL_INVALID_PROGRAM",
        [45] = "CL_INVALID_PROGRAM_EXECUTABLE", [46] = "CL_INVALID_KERNEL_NAME",
        [47] = "CL_INVALID_KERNEL_DEFINITION", [48] = "CL_INVALID_KERNEL",
        [49] = "CL_INVALID_ARG_INDEX", [50] = "CL_INVALID_ARG_VALUE", [51] = "CL_INVALID_ARG_SIZE",
        [52] = "CL_INVALID_KERNEL_ARGS", [53] = "CL_INVALID_WORK_DIMENSION",
        [54] = "CL_INVALID_WORK_GROUP_SIZE", [55] = "CL_INVALID_WORK_ITEM_SIZE",
        [56] = "CL_INVALID_GLOBAL_OFFSET", [57] = "CL_INVALID_EVENT_WAIT_LIST",
        [58] = "CL_INVALID_EVENT", [59] = "CL_INVALID_OPERATION", [60] = "CL_INVALID_GL_OBJECT",
        [61] = "CL_INVALID_BUFFER_SIZE", [62] = "CL_INVALID_MIP_LEVEL",
        [63] = "CL_INVALID_GLOBAL_WORK_SIZE", [64] = "CL_INVALID_PROPERTY",
        [65] = "CL_INVALID_IMAGE_DESCRIPTOR", [66] = "CL_INVALID_COMPILER_OPTIONS",
        [67] = "CL_INVALID_LINKER_OPTIONS", [68] = "CL_INVALID_DEVICE_PARTITION_COUNT",
    };
    int idx = -st;
    if (idx > 0 && idx < (int)(sizeof cl_names / sizeof cl_names[0]) && cl_names[idx])
        return cl_names[idx];
    if (st < 0 && st > -1000) return "OpenCL error";
    return "unknown status";
}
