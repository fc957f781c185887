{# USES_VARIABLES { N, t_in_timesteps } #}
{% extends 'common_group.cpp' %}
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
    _real* __restrict _lik_v = _likbuf.data();
    for (size_t _k = 0; _k < (size_t)_B * _n_post; _k++) _lik_v[_k] = 0;
    {% endif %}
    {% if streams == 1 %}
    // One stream: one pass over W reads each weight once for both sums and
    // writes it once with its update.
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
    // Several streams: rows in blocks of four, so that each pass over a
    // stream's phi and lik vectors serves four rows of W (register blocking,
    // as in a GEMM kernel); the weight updates follow in a second pass.
    int _i0 = 0;
    {% if likelihood %}
    for (; _i0 + 4 <= _n_pre; _i0 += 4)
    {
        _real* __restrict _r0 = _W + (size_t)_i0 * _n_post;
        _real* __restrict _r1 = _r0 + _n_post;
        _real* __restrict _r2 = _r1 + _n_post;
        _real* __restrict _r3 = _r2 + _n_post;
        // every stream's sums use the rows as they were at the start of the step
        for (int _s = 0; _s < _B; _s++)
        {
            const _real* __restrict _ph = _phi_v + (size_t)_s * _n_post;
            _real* __restrict _lk = _lik_v + (size_t)_s * _n_post;
            const _real* __restrict _es = _err_v + (size_t)_s * _n_pre + _i0;
            const _real _e0 = _es[0], _e1 = _es[1], _e2 = _es[2], _e3 = _es[3];
            _real _a0 = 0, _a1 = 0, _a2 = 0, _a3 = 0;
            #pragma GCC ivdep
            for (int _j = 0; _j < _n_post; _j++)
            {
                const _real _p = _ph[_j];
                const _real _w0 = _r0[_j], _w1 = _r1[_j], _w2 = _r2[_j], _w3 = _r3[_j];
                _a0 += _w0 * _p;
                _a1 += _w1 * _p;
                _a2 += _w2 * _p;
                _a3 += _w3 * _p;
                _lk[_j] += _w0 * _e0 + _w1 * _e1 + _w2 * _e2 + _w3 * _e3;
            }
            double* _t = _td + (size_t)_s * _n_pre + _i0;
            _t[0] = _a0; _t[1] = _a1; _t[2] = _a2; _t[3] = _a3;
        }
        if (_plastic_now)
        {
            // the local updates of the B streams add up in the shared W
            for (int _s = 0; _s < _B; _s++)
            {
                const _real* __restrict _ph = _phi_v + (size_t)_s * _n_post;
                const _real* __restrict _es = _err_v + (size_t)_s * _n_pre + _i0;
                const _real _c0 = _rate * _es[0], _c1 = _rate * _es[1],
                            _c2 = _rate * _es[2], _c3 = _rate * _es[3];
                #pragma GCC ivdep
                for (int _j = 0; _j < _n_post; _j++)
                {
                    const _real _p = _ph[_j];
                    _r0[_j] += _c0 * _p;
                    _r1[_j] += _c1 * _p;
                    _r2[_j] += _c2 * _p;
                    _r3[_j] += _c3 * _p;
                }
            }
        }
    }
    {% endif %}
    // the remaining rows (all rows when there is no likelihood), one at a time
    for (int _i = _i0; _i < _n_pre; _i++)
    {
        _real* __restrict _row = _W + (size_t)_i * _n_post;
        for (int _s = 0; _s < _B; _s++)
        {
            const _real* __restrict _ph = _phi_v + (size_t)_s * _n_post;
            _real _acc = 0;
            {% if likelihood %}
            const _real _e = _err_v[(size_t)_s * _n_pre + _i];
            _real* __restrict _lk = _lik_v + (size_t)_s * _n_post;
            #pragma GCC ivdep
            for (int _j = 0; _j < _n_post; _j++)
            {
                const _real _w = _row[_j];
                _acc += _w * _ph[_j];
                _lk[_j] += _w * _e;
            }
            {% else %}
            #pragma GCC ivdep
            for (int _j = 0; _j < _n_post; _j++) _acc += _row[_j] * _ph[_j];
            {% endif %}
            _td[(size_t)_s * _n_pre + _i] = _acc;
        }
        if (_plastic_now)
        {
            for (int _s = 0; _s < _B; _s++)
            {
                const _real _c = _rate * _err_v[(size_t)_s * _n_pre + _i];
                const _real* __restrict _ph = _phi_v + (size_t)_s * _n_post;
                #pragma GCC ivdep
                for (int _j = 0; _j < _n_post; _j++) _row[_j] += _c * _ph[_j];
            }
        }
    }
    {% endif %}
    {% if likelihood %}
    for (size_t _k = 0; _k < (size_t)_B * _n_post; _k++) _lik[_k] = _lik_v[_k];
    {% endif %}
{% endblock %}
