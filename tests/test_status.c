/* Status strings and the per-thread error message; needs no device. */
#include <string.h>

#include "cltrain/status.h"
#include "util.h"

int main(void)
{
    T_CHECK(!strcmp(ct_status_str(CT_OK), "success"), "CT_OK string");
    T_CHECK(!strcmp(ct_status_str(-5), "CL_OUT_OF_RESOURCES"), "-5: %s", ct_status_str(-5));
    T_CHECK(!strcmp(ct_status_str(-54), "CL_INVALID_WORK_GROUP_SIZE"), "-54");
    T_CHECK(!strcmp(ct_status_str(CT_ERR_DEVICE_OOM), "device out of memory"), "oom string");
    T_CHECK(!strcmp(ct_status_str(-999), "OpenCL error"), "unnamed CL code");
    T_CHECK(!strcmp(ct_status_str(12345), "unknown status"), "unknown");
    int codes[] = {CT_ERR_HOST_OOM, CT_ERR_DEVICE_OOM, CT_ERR_INVALID_ARG, CT_ERR_NO_DEVICE,
                   CT_ERR_BUILD, CT_ERR_IO, CT_ERR_FORMAT, CT_ERR_NOT_FOUND, CT_ERR_UNSUPPORTED,
                   CT_ERR_NONFINITE, CT_ERR_INTERRUPTED, CT_ERR_CLBLAST, CT_ERR_OVERFLOW};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        T_CHECK(codes[i] < -1000, "library code %d outside the OpenCL range", codes[i]);
        T_CHECK(strcmp(ct_status_str(codes[i]), "unknown status") != 0, "code %d has no string",
                codes[i]);
    }
    ct_error_clear();
    T_CHECK(ct_last_error()[0] == '\0', "cleared");
    T_CHECK(ct_error(CT_ERR_IO, "cannot open %s", "x.bin") == CT_ERR_IO, "ct_error returns code");
    T_CHECK(!strcmp(ct_last_error(), "cannot open x.bin"), "message: %s", ct_last_error());
    return t_finish("test_status");
}
