{# USES_VARIABLES { N, t_in_timesteps } #}
{% extends 'common_group.cpp' %}
{% block extra_headers %}
{% if streams > 1 %}
#include <algorithm>
#include <cblas.h>
{% endif %}
{% endblock %}
{% block maincode %}
    // Fused dense projection (hee_brian.dense): td_pre, lik_post and the
    // plasticity of W in one pass over a contiguous W[i*n_post + j], shared
    // by the B streams (stream s owns neurons s*n + k of each group).
    const int _n_pre = {{n_pre}};
    const int _n_post = {{n_post}};
    const int _B = {{streams}};
    typedef {{wtype}} _real;
    _real* __restrict _W = {{get_array_name(variables['w'])}};
    double* __restrict _td = {{get_array_name(variables['td_pre'])}};
    static std::vector<_real> _phibuf((size_t)_B * _n_post), _errbuf((size_t)_B * _n_pre);
    _real* __restrict _phi_v = _phibuf.data();
    _real* __restrict _err_v = _errbuf.data();
    {
        // phi(x_post): Brian2 code for `_phi = phix_post`.  Synapse j (< n_post)
        // joins pre 0 to post j; for stream s >= 1 the index synapses
        // _base(s) + j join pre s*n_pre to post s*n_post + j.
        const size_t _vectorisation_idx = -1;
        {{scalar_code['post']|autoindent}}
        for (int _s = 0; _s < _B; _s++)
        {
            const size_t _first = _s == 0 ? 0 : (size_t)_n_pre * _n_post + (size_t)(_s - 1) * (_n_pre + _n_post);
            for (int _jj = 0; _jj < _n_post; _jj++)
            {
                const size_t _idx = _first + _jj;
                const size_t _vectorisation_idx = _idx;
                {{vector_code['post']|autoindent}}
                _phi_v[(size_t)_s * _n_post + _jj] = _phi;
            }
        }
    }
    {% set error_code %}
    {% if likelihood or plastic %}
    {
        // err = x_pre - epsbar_pre: Brian2 code; synapse i*n_post joins pre i
        // (stream 0); index synapse _base(s) + n_post + i joins pre s*n_pre + i.
        const size_t _vectorisation_idx = -1;
        {{scalar_code['pre']|autoindent}}
        for (int _s = 0; _s < _B; _s++)
        {
            for (int _i = 0; _i < _n_pre; _i++)
            {
                const size_t _idx = _s == 0 ? (size_t)_i * _n_post
                    : (size_t)_n_pre * _n_post + (size_t)(_s - 1) * (_n_pre + _n_post) + _n_post + _i;
                const size_t _vectorisation_idx = _idx;
                {{vector_code['pre']|autoindent}}
                _err_v[(size_t)_s * _n_pre + _i] = _err;
            }
        }
    }
    {% endif %}
    {% endset %}
    {% if (likelihood or plastic) and not td_first %}
    {{ error_code }}
    {% endif %}
    {% if plastic %}
    const int64_t _step = {{get_array_name(variables['t_in_timesteps'])}}[0];
    const bool _plastic_now = (_step % {{plasticity_steps}}) == 0;
    const _real _rate = (_real)({{get_array_name(variables['eta_w'])}}[0] * {{plasticity_dt}});
    {% else %}
    const bool _plastic_now = false;
    const _real _rate = 0;
    {% endif %}
    {% if likelihood %}
    double* __restrict _lik = {{get_array_name(variables['lik_post'])}};
    static std::vector<_real> _likbuf((size_t)_B * _n_post);
    _real* _lik_v = _likbuf.data();
    {% endif %}
    {% if streams == 1 and td_first %}
    // One stream, the layer below in closed form: td first (its epsbar reads
    // it), then the error, then a second pass for lik and the update.
    for (int _i = 0; _i < _n_pre; _i++)
    {
        const _real* __restrict _row = _W + (size_t)_i * _n_post;
        _real _acc = 0;
        for (int _j = 0; _j < _n_post; _j++) _acc += _row[_j] * _phi_v[_j];
        _td[_i] = _acc;
    }
    {% if likelihood or plastic %}
    {{ error_code }}
    {% endif %}
    {% if likelihood %}
    for (int _j = 0; _j < _n_post; _j++) _lik_v[_j] = 0;
    {% endif %}
    for (int _i = 0; _i < _n_pre; _i++)
    {
        _real* __restrict _row = _W + (size_t)_i * _n_post;
        {% if likelihood or plastic %}
        const _real _e = _err_v[_i];
        {% else %}
        const _real _e = 0;
        {% endif %}
        if (_plastic_now)
        {
            const _real _c = _rate * _e;
            #pragma GCC ivdep
            for (int _j = 0; _j < _n_post; _j++)
            {
                const _real _w = _row[_j];
                {% if likelihood %}_lik_v[_j] += _w * _e;{% endif %}
                _row[_j] = _w + _c * _phi_v[_j];
            }
        }
        {% if likelihood %}
        else
        {
            #pragma GCC ivdep
            for (int _j = 0; _j < _n_post; _j++) _lik_v[_j] += _row[_j] * _e;
        }
        {% endif %}
    }
    {% elif streams == 1 %}
    // One stream: one pass over W reads each weight once for both sums and
    // writes it once with its update.
    {% if likelihood %}
    for (int _j = 0; _j < _n_post; _j++) _lik_v[_j] = 0;
    {% endif %}
    for (int _i = 0; _i < _n_pre; _i++)
    {
        _real* __restrict _row = _W + (size_t)_i * _n_post;
        _real _acc = 0;
        {% if likelihood or plastic %}
        const _real _e = _err_v[_i];
        {% else %}
        const _real _e = 0;
        {% endif %}
        if (_plastic_now)
        {
            const _real _c = _rate * _e;
            #pragma GCC ivdep
            for (int _j = 0; _j < _n_post; _j++)
            {
                const _real _w = _row[_j];
                _acc += _w * _phi_v[_j];
                {% if likelihood %}_lik_v[_j] += _w * _e;{% endif %}
                _row[_j] = _w + _c * _phi_v[_j];
            }
        }
        else
        {
            #pragma GCC ivdep
            for (int _j = 0; _j < _n_post; _j++)
            {
                const _real _w = _row[_j];
                _acc += _w * _phi_v[_j];
                {% if likelihood %}_lik_v[_j] += _w * _e;{% endif %}
            }
        }
        _td[_i] = _acc;
    }
    {% else %}
    // Several streams: three matrix products, by the OpenBLAS of the
    // scipy-openblas32 wheel (linked by hee_brian.devices.standalone):
    // td = phi W^T (B x n_pre) and lik = err W (B x n_post), both from W at
    // the start of the step, then W += rate err^T phi (the B local updates
    // summed).  The products are cut into fixed blocks of 16 streams (the
    // sums) and of 16 rows of W (the update), which the OpenMP threads share
    // while OpenBLAS itself runs single-threaded: the blocks, and so every
    // rounding, are the same whatever the number of threads.
    {% set gemm = 'scipy_cblas_sgemm' if wtype == 'float' else 'scipy_cblas_dgemm' %}
    static const bool _one_blas_thread = (scipy_openblas_set_num_threads(1), true);
    (void)_one_blas_thread;
    const int _block = 16;
    const int _stream_blocks = (_B + _block - 1) / _block;
    const int _row_blocks = (_n_pre + _block - 1) / _block;
    {% if wtype == 'double' %}
    double* _td_v = _td;  // written in place
    {% if likelihood %}
    _lik_v = _lik;
    {% endif %}
    {% else %}
    static std::vector<_real> _tdbuf((size_t)_B * _n_pre);
    _real* _td_v = _tdbuf.data();
    {% endif %}
    // td for every stream, then (the layer below in closed form: its epsbar
    // reads this step's td) the error, then lik
    {{ openmp_pragma('parallel-static') }}
    for (int _sb = 0; _sb < _stream_blocks; _sb++)
    {
        const int _s0 = _sb * _block, _ns = std::min(_block, _B - _s0);
        {{gemm}}(CblasRowMajor, CblasNoTrans, CblasTrans, _ns, _n_pre, _n_post,
                 1, _phi_v + (size_t)_s0 * _n_post, _n_post, _W, _n_post,
                 0, _td_v + (size_t)_s0 * _n_pre, _n_pre);
    }
    {% if td_first %}
    {% if wtype == 'float' %}
    for (size_t _k = 0; _k < (size_t)_B * _n_pre; _k++) _td[_k] = _td_v[_k];
    {% endif %}
    {% if likelihood or plastic %}
    {{ error_code }}
    {% endif %}
    {% endif %}
    {% if likelihood %}
    {{ openmp_pragma('parallel-static') }}
    for (int _sb = 0; _sb < _stream_blocks; _sb++)
    {
        const int _s0 = _sb * _block, _ns = std::min(_block, _B - _s0);
        {{gemm}}(CblasRowMajor, CblasNoTrans, CblasNoTrans, _ns, _n_post, _n_pre,
                 1, _err_v + (size_t)_s0 * _n_pre, _n_pre, _W, _n_post,
                 0, _lik_v + (size_t)_s0 * _n_post, _n_post);
    }
    {% endif %}
    if (_plastic_now)
    {
        {{ openmp_pragma('parallel-static') }}
        for (int _rb = 0; _rb < _row_blocks; _rb++)
        {
            const int _i0 = _rb * _block, _ni = std::min(_block, _n_pre - _i0);
            {{gemm}}(CblasRowMajor, CblasTrans, CblasNoTrans, _ni, _n_post, _B,
                     _rate, _err_v + _i0, _n_pre, _phi_v, _n_post, 1,
                     _W + (size_t)_i0 * _n_post, _n_post);
        }
    }
    {% if wtype == 'float' and not td_first %}
    for (size_t _k = 0; _k < (size_t)_B * _n_pre; _k++) _td[_k] = _td_v[_k];
    {% endif %}
    {% endif %}
    {% if likelihood and (streams == 1 or wtype == 'float') %}
    for (size_t _k = 0; _k < (size_t)_B * _n_post; _k++) _lik[_k] = _lik_v[_k];
    {% endif %}
{% endblock %}
