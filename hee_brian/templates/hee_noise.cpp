{# USES_VARIABLES { N, t_in_timesteps, run_seed } #}
{% extends 'common_group.cpp' %}
{% block extra_headers %}
#include <algorithm>
#include <cstdint>
namespace {
// Philox4x32-10 (Salmon et al., SC'11, "Parallel random numbers: as easy as
// 1, 2, 3"): counter-based, so the value at (key, counter) is the same
// however the counters are split between threads.  Written out so that the
// loops over counters vectorise; hee_brian.noise.philox4x32 is the NumPy
// reference, checked against Random123's known-answer vectors.
static inline void _hee_philox(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3,
                               uint32_t k0, uint32_t k1, uint32_t* __restrict out)
{
    for (int _r = 0; _r < 10; _r++)
    {
        if (_r > 0) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
        const uint64_t _p0 = (uint64_t)0xD2511F53u * c0;
        const uint64_t _p1 = (uint64_t)0xCD9E8D57u * c2;
        const uint32_t _n0 = (uint32_t)(_p1 >> 32) ^ c1 ^ k0;
        const uint32_t _n2 = (uint32_t)(_p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)_p1;
        c3 = (uint32_t)_p0;
        c0 = _n0;
        c2 = _n2;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

// u = (k + 1/2) 2^-32: strictly inside (0, 1), and 1 - u is exact.
static inline double _hee_uniform(uint32_t k)
{
    return ((double)k + 0.5) * 2.3283064365386963e-10;
}

// log(x) for x in (0, 1], branch-free so that it vectorises:
// x = 2^e m with m in [sqrt(1/2), sqrt(2)), log m = 2 atanh(f), f = (m-1)/(m+1),
// |f| <= 0.172, series to f^17 (relative error below 1e-15).
// The bits move by memcpy (a union kept GCC from vectorising the loop) and
// the exponent goes through int32, which AVX2 converts to double (it has no
// int64 conversion): the loop then runs 4.2x faster on AVX2, with the same
// value for every one of the 2^32 inputs (docs/performance.md section 1).
static inline double _hee_log(double x)
{
    uint64_t _u;
    __builtin_memcpy(&_u, &x, sizeof _u);
    double _e = (double)(int32_t)((uint32_t)(_u >> 52) & 0x7ffu) - 1023.0;
    _u = (_u & 0x000fffffffffffffull) | 0x3ff0000000000000ull;  // m in [1, 2)
    double _m;
    __builtin_memcpy(&_m, &_u, sizeof _m);
    const bool _big = _m > 1.4142135623730951;
    _m = _big ? 0.5 * _m : _m;
    _e = _big ? _e + 1.0 : _e;
    const double _f = (_m - 1.0) / (_m + 1.0), _f2 = _f * _f;
    const double _s = 1.0 + _f2 * (1.0 / 3 + _f2 * (1.0 / 5 + _f2 * (1.0 / 7 + _f2 * (1.0 / 9
        + _f2 * (1.0 / 11 + _f2 * (1.0 / 13 + _f2 * (1.0 / 15 + _f2 * (1.0 / 17))))))));
    return _e * 0.6931471805599453 + 2.0 * _f * _s;
}

// Standard normal quantile of u in (0, 1): Acklam's rational approximation
// (relative error below 1.15e-9).  Both branches are computed, and one
// division serves whichever applies, so that the loop vectorises;
// hee_brian.noise.normal_quantile is the NumPy reference.
static inline double _hee_normal(double u)
{
    const double _q = u - 0.5, _r = _q * _q;
    const double _cnum = (((((-3.969683028665376e+01 * _r + 2.209460984245205e+02) * _r
        - 2.759285104469687e+02) * _r + 1.383577518672690e+02) * _r
        - 3.066479806614716e+01) * _r + 2.506628277459239e+00) * _q;
    const double _cden = ((((-5.447609879822406e+01 * _r + 1.615858368580409e+02) * _r
        - 1.556989798598866e+02) * _r + 6.680131188771972e+01) * _r
        - 1.328068155288572e+01) * _r + 1.0;
    const double _p = _q < 0 ? u : 1.0 - u;  // the nearer tail, in (0, 1/2]
    const double _t = std::sqrt(-2.0 * _hee_log(_p));
    const double _tnum = (((((-7.784894002430293e-03 * _t - 3.223964580411365e-01) * _t
        - 2.400758277161838e+00) * _t - 2.549732539343734e+00) * _t
        + 4.374664141464968e+00) * _t + 2.938163982698783e+00) * (_q < 0 ? 1.0 : -1.0);
    const double _tden = (((7.784695709041462e-03 * _t + 3.224671290700398e-01) * _t
        + 2.445134137142996e+00) * _t + 3.754408661907416e+00) * _t + 1.0;
    const bool _tail = _p < 0.02425;
    return (_tail ? _tnum : _cnum) / (_tail ? _tden : _cden);
}
}
{% endblock %}
{% block maincode %}
    // Bulk noise (hee_brian.noise): every noise variable of this group gets
    // this step's values in one pass.  Value k of variable v is word k / nb of
    // the Philox block (key = (seed, stream id of v), counter = (k % nb, 0,
    // step low, step high)), nb = ceil(N / 4) blocks.  The four words go to
    // four buffers of their own (no aliasing for the vectoriser), and each
    // is turned into the values w*nb .. w*nb + nb - 1.
    const int _N = {{constant_or_scalar('N', variables['N'])}};
    const int _nb = (_N + 3) / 4;
    const uint32_t _seed = (uint32_t){{get_array_name(variables['run_seed'])}}[0];
    const uint64_t _step = (uint64_t){{get_array_name(variables['t_in_timesteps'])}}[0];
    static std::vector<uint32_t> _w0buf(_nb), _w1buf(_nb), _w2buf(_nb), _w3buf(_nb);
    uint32_t* __restrict _w0 = _w0buf.data();
    uint32_t* __restrict _w1 = _w1buf.data();
    uint32_t* __restrict _w2 = _w2buf.data();
    uint32_t* __restrict _w3 = _w3buf.data();
    {{openmp_pragma('parallel')}}
    {
        {% for name, kind, stream_id in fills %}
        {
            {{openmp_pragma('static')}}
            for (int _b = 0; _b < _nb; _b++)
            {
                uint32_t _w[4];
                _hee_philox((uint32_t)_b, 0u, (uint32_t)_step, (uint32_t)(_step >> 32),
                            _seed, {{stream_id}}u, _w);
                _w0[_b] = _w[0];
                _w1[_b] = _w[1];
                _w2[_b] = _w[2];
                _w3[_b] = _w[3];
            }
            // (the loop's barrier: every word is drawn before any is used)
            double* __restrict _dst = {{get_array_name(variables[name])}};
            const uint32_t* __restrict _words[4] = {_w0, _w1, _w2, _w3};
            for (int _word = 0; _word < 4; _word++)
            {
                const uint32_t* __restrict _src = _words[_word];
                double* __restrict _out = _dst + (size_t)_word * _nb;
                const int _n = std::max(0, std::min(_nb, _N - _word * _nb));
                {{openmp_pragma('static')}}
                for (int _b = 0; _b < _n; _b++)
                {
                    {% if kind == 'normal' %}
                    _out[_b] = _hee_normal(_hee_uniform(_src[_b]));
                    {% else %}
                    _out[_b] = _hee_uniform(_src[_b]);
                    {% endif %}
                }
            }
        }
        {% endfor %}
    }
{% endblock %}
