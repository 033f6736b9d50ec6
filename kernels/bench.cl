// Device probes for `cltrain bench`: the fp32 FMA throughput the conv GEMMs are measured against.

// Twelve independent float16 FMA chains per work item (enough to cover AVX-512's two FMA ports
// at four cycles' latency; GPUs spread the lanes over threads), `iters` rounds each:
// 2 * 12 * 16 * iters flop per work item. out gets a sum so nothing is optimised away.
kernel void fma_peak(global float *out, int iters, float a, float b)
{
    float16 x0 = (float16)(get_global_id(0) * 1e-7f), x1 = x0 + 0.1f, x2 = x0 + 0.2f,
            x3 = x0 + 0.3f, x4 = x0 + 0.4f, x5 = x0 + 0.5f, x6 = x0 + 0.6f, x7 = x0 + 0.7f,
            x8 = x0 + 0.8f, x9 = x0 + 0.9f, x10 = x0 + 1.0f, x11 = x0 + 1.1f;
    for (int i = 0; i < iters; i++) {
        x0 = fma(x0, a, b), x1 = fma(x1, a, b), x2 = fma(x2, a, b), x3 = fma(x3, a, b);
        x4 = fma(x4, a, b), x5 = fma(x5, a, b), x6 = fma(x6, a, b), x7 = fma(x7, a, b);
        x8 = fma(x8, a, b), x9 = fma(x9, a, b), x10 = fma(x10, a, b), x11 = fma(x11, a, b);
    }
    float16 s = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)) + ((x8 + x9) + (x10 + x11));
    float8 h = s.lo + s.hi;
    float4 q = h.lo + h.hi;
    out[get_global_id(0)] = (q.x + q.y) + (q.z + q.w);
}
