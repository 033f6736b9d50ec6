// Input normalisation on the device: uint8 (N, C, HW) batches to float (N, C, HW),
// out = in * scale[c] + bias[c] with scale = 1/(255 std), bias = -mean/std (C <= 4).

kernel void normalize_u8(global float *out, ulong out_off, global const uchar *in, ulong in_off,
                         uint c, uint hw, ulong n, float4 scale, float4 bias)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    uint ch = (uint)((i / hw) % c);
    float s = ch == 0 ? scale.x : ch == 1 ? scale.y : ch == 2 ? scale.z : scale.w;
    float b = ch == 0 ? bias.x : ch == 1 ? bias.y : ch == 2 ? bias.z : bias.w;
    out[out_off + i] = (float)in[in_off + i] * s + b;
}
