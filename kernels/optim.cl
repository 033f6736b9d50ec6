// Optimizer steps (fastai semantics): one fused kernel per kind (SGD, SGD with momentum,
// Adam/RAdam) over one parameter group, one work item per parameter element. Hyperparameters are
// arguments; never reads host-written scalars.
//
// Shared signature of every optim_* kernel (all buffers use the flat parameter layout):
//   p (updated), g (read), m = grad_avg, v = sqr_avg, s = slow weights, each (buffer, offset),
//   n elements; lr, mom, sqr_mom, eps, wd (0 for a group without weight decay), l2 (1: L2
//   regularisation g += wd p, 0: decoupled p *= 1 - lr wd), debias1 = 1 - mom^t,
//   debias2 = 1 - sqr_mom^t, rect (1: rectified branch; always 1 for Adam), v_t (RAdam
//   rectification term; 1 for Adam), beta (RAdam softplus, 0 off), la_mode (Lookahead flags
//   below), la_alpha.
// Buffers a kind does not use may be any valid buffer; they are never accessed.

#define LA_INIT 1 // first step: slow = p before the update
#define LA_SYNC 2 // step t with t % k == 0: slow += alpha (p - slow); p = slow, after the update

#define OPTIM_ARGS                                                                                 \
    global float *p, ulong p_off, global const float *g, ulong g_off, global float *m,            \
        ulong m_off, global float *v, ulong v_off, global float *s, ulong s_off, ulong n,         \
        float lr, float mom, float sqr_mom, float eps, float wd, int l2, float debias1,           \
        float debias2, int rect, float v_t, float beta, int la_mode, float la_alpha

// Weight decay before the update: L2 changes the gradient, decoupled decay changes the weight.
inline void optim_decay(float *w, float *gr, float lr, float wd, int l2)
{
    if (wd == 0.0f) return;
    if (l2)
        *gr += wd * *w;
    else
        *w *= 1.0f - lr * wd;
}

// Lookahead after the inner update; w0 is the weight before this step. Returns the live weight.
inline float optim_lookahead(global float *slow, float w0, float w, int la_mode, float la_alpha)
{
    if (la_mode == 0) return w;
    float sw = (la_mode & LA_INIT) ? w0 : *slow;
    if (la_mode & LA_SYNC) {
        sw = sw + la_alpha * (w - sw);
        w = sw;
    }
    *slow = sw;
    return w;
}

// p -= lr g
kernel void optim_sgd(OPTIM_ARGS)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    float w0 = p[p_off + i], w = w0, gr = g[g_off + i];
    optim_decay(&w, &gr, lr, wd, l2);
    w -= lr * gr;
    p[p_off + i] = optim_lookahead(s + s_off + i, w0, w, la_mode, la_alpha);
}

// m = mom m + g (no dampening); p -= lr m
kernel void optim_sgd_mom(OPTIM_ARGS)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    float w0 = p[p_off + i], w = w0, gr = g[g_off + i];
    optim_decay(&w, &gr, lr, wd, l2);
    float ma = mom * m[m_off + i] + gr;
    m[m_off + i] = ma;
    w -= lr * ma;
    p[p_off + i] = optim_lookahead(s + s_off + i, w0, w, la_mode, la_alpha);
}

// Dampened averages of g and g^2; returns them through ma, va (Adam and RAdam share it).
inline void optim_moments(global float *m, global float *v, float gr, float mom, float sqr_mom,
                          float *ma, float *va)
{
    *ma = mom * *m + (1.0f - mom) * gr;
    *va = sqr_mom * *v + (1.0f - sqr_mom) * gr * gr;
    *m = *ma;
    *v = *va;
}

// Adam and RAdam. rect: p -= (lr v_t / debias1) m / softplus_beta(sqrt(v / debias2) + eps);
// else (RAdam warm-up) p -= (lr / debias1) m. Adam is rect = 1, v_t = 1, beta = 0.
// softplus as PyTorch's: (1/beta) log(1 + exp(beta x)), or x where beta x > 20.
kernel void optim_adam(OPTIM_ARGS)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    float w0 = p[p_off + i], w = w0, gr = g[g_off + i], ma, va;
    optim_decay(&w, &gr, lr, wd, l2);
    optim_moments(m + m_off + i, v + v_off + i, gr, mom, sqr_mom, &ma, &va);
    if (rect) {
        float denom = sqrt(va / debias2) + eps;
        if (beta != 0.0f) {
            float bx = beta * denom;
            denom = bx > 20.0f ? denom : log1p(exp(bx)) / beta;
        }
        w -= (lr * v_t / debias1) * ma / denom;
    } else {
        w -= (lr / debias1) * ma;
    }
    p[p_off + i] = optim_lookahead(s + s_off + i, w0, w, la_mode, la_alpha);
}
