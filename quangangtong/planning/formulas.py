"""Classic queueing formulas for the hall: Erlang B/C (M/M/c), Allen–Cunneen (G/G/c), Erlang A (M/M/c+M), staffing.

Notation follows `reference/queueing.md` §1: `load` a = λ·E[S] in Erlangs, `servers` c, `mean_service` E[S].
Waiting times come back in the unit of `mean_service` (give minutes, get minutes). Only the standard library is
used, so the planner's quick answers work without NumPy and this module imports without Django settings.

Overloaded systems (a ≥ c with no abandonment) have no steady state: the queue grows without bound. The
functions say so in numbers rather than raising: P(wait) = 1, mean wait = inf, service level = 0.
"""

import math
import numbers
from dataclasses import dataclass
from itertools import count

# Relative size below which the rest of an Erlang A tail sum is dropped (below double precision).
_TAIL_TOLERANCE = 1e-17


# --- argument checks -----------------------------------------------------------------------------------------


def _servers(value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"servers（服务台数 c）：请填写不小于 1 的整数，收到 {value!r}。")
    return int(value)


def _real(value, name, label):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name}（{label}）：请填写有限的数字，收到 {value!r}。")
    return float(value)


def _non_negative(value, name, label):
    number = _real(value, name, label)
    if number < 0:
        raise ValueError(f"{name}（{label}）：不能为负数，请填写不小于 0 的数字，收到 {value!r}。")
    return number


def _positive(value, name, label):
    number = _real(value, name, label)
    if number <= 0:
        raise ValueError(f"{name}（{label}）：必须大于 0，收到 {value!r}。")
    return number


def _load(value):
    return _non_negative(value, "load", "负荷 a，单位爱尔兰，即到达率 × 平均服务时长")


def _mean_service(value):
    return _positive(value, "mean_service", "平均服务时长 E[S]")


def _within(value):
    return _non_negative(value, "within", "等待时限 t，与 mean_service 同一时间单位")


def _cv(value, name):
    return _non_negative(value, name, "变异系数 CV，标准差 ÷ 均值；泊松到达或指数服务为 1")


# --- Erlang B and C (M/M/c) -----------------------------------------------------------------------------------


def _erlang_c_from_b(servers, load, blocking):
    # C = c·B / (c − a(1 − B)), queueing.md §1.2; defined only for a < c.
    if load >= servers:
        return 1.0
    return servers * blocking / (servers - load * (1.0 - blocking))


def _mean_wait(servers, load, wait_probability, mean_service, variability=1.0):
    if load >= servers:
        return math.inf
    return wait_probability * mean_service * variability / (servers - load)


def _service_level(servers, load, wait_probability, mean_service, within, variability=1.0):
    if load >= servers:
        return 0.0
    if variability == 0:
        return 1.0
    return 1.0 - wait_probability * math.exp(-(servers - load) * within / (mean_service * variability))


def _variability(arrival_cv, service_cv):
    # Allen–Cunneen's factor (c_a² + c_s²)/2, queueing.md §1.4.
    return (arrival_cv**2 + service_cv**2) / 2


def offered_load(*, arrival_rate, mean_service):
    """Return the offered load a = λ·E[S] in Erlangs (queueing.md §1.1); both in the same time unit."""
    return _non_negative(arrival_rate, "arrival_rate", "到达率 λ，每单位时间到达人数") * _mean_service(mean_service)


def utilisation(*, servers, load):
    """Return the offered utilisation ρ = a/c (queueing.md §1.1); ρ ≥ 1 means the queue grows without bound."""
    return _load(load) / _servers(servers)


def erlang_b(*, servers, load):
    """Return the Erlang B blocking probability B(c, a) by the stable recursion of queueing.md §1.2."""
    servers, load = _servers(servers), _load(load)
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


def erlang_c(*, servers, load):
    """Return P(wait) for M/M/c, Erlang C(c, a), from Erlang B (queueing.md §1.1–1.2); 1 when a ≥ c."""
    servers, load = _servers(servers), _load(load)
    return _erlang_c_from_b(servers, load, erlang_b(servers=servers, load=load))


def mean_wait(*, servers, load, mean_service):
    """Return the M/M/c mean wait in queue W_q = C(c, a)·E[S]/(c − a) (queueing.md §1.1); inf when a ≥ c."""
    servers, load, mean_service = _servers(servers), _load(load), _mean_service(mean_service)
    return _mean_wait(servers, load, erlang_c(servers=servers, load=load), mean_service)


def service_level(*, servers, load, mean_service, within):
    """Return the M/M/c service level P(W_q ≤ t) = 1 − C·e^{−(c−a)t/E[S]} (queueing.md §1.1); 0 when a ≥ c."""
    servers, load, mean_service, within = _servers(servers), _load(load), _mean_service(mean_service), _within(within)
    return _service_level(servers, load, erlang_c(servers=servers, load=load), mean_service, within)


# --- Allen–Cunneen (G/G/c) ------------------------------------------------------------------------------------


def allen_cunneen_mean_wait(*, servers, load, mean_service, service_cv, arrival_cv=1.0):
    """Return the G/G/c mean wait W_q^{M/M/c}·(c_a² + c_s²)/2 of Allen–Cunneen (queueing.md §1.4)."""
    variability = _variability(_cv(arrival_cv, "arrival_cv"), _cv(service_cv, "service_cv"))
    servers, load, mean_service = _servers(servers), _load(load), _mean_service(mean_service)
    return _mean_wait(servers, load, erlang_c(servers=servers, load=load), mean_service, variability)


def allen_cunneen_service_level(*, servers, load, mean_service, within, service_cv, arrival_cv=1.0):
    """Return the heuristic SL 1 − C·exp(−(c−a)t / (E[S]·(c_a² + c_s²)/2)) of queueing.md §1.4."""
    variability = _variability(_cv(arrival_cv, "arrival_cv"), _cv(service_cv, "service_cv"))
    servers, load, mean_service, within = _servers(servers), _load(load), _mean_service(mean_service), _within(within)
    return _service_level(servers, load, erlang_c(servers=servers, load=load), mean_service, within, variability)


# --- Erlang A (M/M/c+M) ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErlangA:
    """Steady-state figures of M/M/c+M; waits in the unit of mean_service."""

    wait_probability: float  # P(W > 0): an arrival finds every server busy
    abandon_probability: float  # P(Ab): an arrival leaves before being served (过号/弃号)
    mean_wait: float  # E[W_q] over all arrivals, those who abandon included
    utilisation: float  # carried load per server, a(1 − P(Ab))/c


def erlang_a(*, servers, load, mean_service, abandonment_rate):
    """Return P(wait), P(abandon) and the mean wait of M/M/c+M (queueing.md §1.5; Garnett et al. 2002)."""
    servers, load, mean_service = _servers(servers), _load(load), _mean_service(mean_service)
    theta = _non_negative(
        abandonment_rate, "abandonment_rate", "放弃率 θ = 1 ÷ 平均耐心时长，与 mean_service 同一时间单位"
    )
    if load == 0:
        return ErlangA(wait_probability=0.0, abandon_probability=0.0, mean_wait=0.0, utilisation=0.0)
    if theta == 0:
        wait_probability = erlang_c(servers=servers, load=load)
        return ErlangA(
            wait_probability=wait_probability,
            abandon_probability=0.0,
            mean_wait=_mean_wait(servers, load, wait_probability, mean_service),
            utilisation=min(load / servers, 1.0),
        )
    blocking = erlang_b(servers=servers, load=load)
    if blocking == 0:  # a ≪ c: B underflowed, P(wait) is below the smallest double
        return ErlangA(wait_probability=0.0, abandon_probability=0.0, mean_wait=0.0, utilisation=load / servers)

    # The stationary distribution of the birth–death chain: for n ≤ c it is the truncated Poisson whose top
    # probability is B(c, a); above c, π(c+n)/π(c) = r_n = x^n / ((y+1)(y+2)…(y+n)) with x = λ/θ, y = cμ/θ.
    # We sum r_n directly rather than through the incomplete gamma function of Garnett–Mandelbaum–Reiman:
    # their closed form for E[Q], (x − y)T + y, cancels catastrophically as θ → 0 (both terms grow like 1/θ
    # while E[Q] stays finite), whereas the direct sum has only positive terms. The sum starts at the
    # largest term (n* = ⌊x − y⌋, placed in log space with lgamma so it cannot overflow), walks outwards
    # with the exact ratios x/(y+n), and stops when a geometric bound on the rest is below double
    # precision. It needs O(√x + 1/(1 − ρ)) terms whatever θ is, never the n* terms before the peak.
    x = load / (theta * mean_service)
    y = servers / (theta * mean_service)
    peak = max(0, math.floor(x - y))
    log_peak = peak * math.log(x) - (math.lgamma(y + peak + 1) - math.lgamma(y + 1)) if peak else 0.0
    total, moment = _weights_around_peak(x, y, peak)
    # P(wait) = B·T / (1 + B(T − 1)) = 1 / (1 + (1 − B)/(B·T)), with T = Σ r_n = e^{log_peak}·total.
    wait_probability = _logistic(math.log1p(-blocking) - math.log(blocking) - log_peak - math.log(total))
    mean_queue = wait_probability * moment / total  # E[Q] = P(N ≥ c)·E[N − c | N ≥ c]
    abandon_probability = min(mean_queue / x, 1.0)  # θ·E[Q]/λ, Little's law on the abandoning stream (§1.5)
    return ErlangA(
        wait_probability=wait_probability,
        abandon_probability=abandon_probability,
        mean_wait=mean_queue * mean_service / load,  # E[Q]/λ
        utilisation=load * (1.0 - abandon_probability) / servers,
    )


def _weights_around_peak(x, y, peak):
    """Return Σ w_n and Σ n·w_n for w_n = r_n / r_peak, summed outwards from the largest term."""
    total, moment = 1.0, float(peak)
    weight, n = 1.0, peak
    while True:  # upwards: ratios x/(y+n+1) fall below 1 and keep falling
        ratio = x / (y + n + 1)
        weight *= ratio
        n += 1
        total += weight
        moment += n * weight
        if ratio < 1 and _tail_negligible(weight, ratio, n, total, moment):
            break
    weight, n = 1.0, peak
    while n > 0:  # downwards: ratios (y+n)/x are at most 1 and keep falling
        ratio = (y + n) / x
        weight *= ratio
        n -= 1
        total += weight
        moment += n * weight
        if ratio < 1 and weight * ratio / (1 - ratio) <= _TAIL_TOLERANCE * total:
            break
    return total, moment


def _tail_negligible(weight, ratio, n, total, moment):
    # The remaining terms are below weight·ratio^k, so Σ w < w·q/(1−q) and Σ n·w < w·q/(1−q)·(n + 1/(1−q)).
    tail = weight * ratio / (1 - ratio)
    return tail <= _TAIL_TOLERANCE * total and tail * (n + 1 / (1 - ratio)) <= _TAIL_TOLERANCE * (moment + total)


def _logistic(z):
    """Return 1 / (1 + e^z) without overflow."""
    if z > 0:
        e = math.exp(-z)
        return e / (1.0 + e)
    return 1.0 / (1.0 + math.exp(z))


# --- staffing -------------------------------------------------------------------------------------------------


def halfin_whitt_wait_probability(*, beta):
    """Return the Halfin–Whitt limit α(β) = [1 + βΦ(β)/φ(β)]⁻¹ of P(wait) under c = a + β√a (queueing.md §1.3)."""
    beta = _real(beta, "beta", "安全系数 β")
    if beta <= 0:  # no safety margin: in the limit everyone waits
        return 1.0
    normal_cdf = 0.5 * (1 + math.erf(beta / math.sqrt(2)))
    normal_pdf = math.exp(-beta * beta / 2) / math.sqrt(2 * math.pi)
    return 1 / (1 + beta * normal_cdf / normal_pdf)


def square_root_staffing(*, load, beta):
    """Return c = ⌈a + β√a⌉, at least 1 — the square-root staffing rule of queueing.md §1.3."""
    load, beta = _load(load), _real(beta, "beta", "安全系数 β")
    # The 1e-9 keeps a + β√a that is an integer up to rounding (a = 9, β = 1 → 12.000000000000002) from
    # gaining a server.
    return max(1, math.ceil(load + beta * math.sqrt(load) - 1e-9))


def servers_for_target(
    *,
    load,
    mean_service,
    service_level=None,
    within=None,
    max_mean_wait=None,
    arrival_cv=1.0,
    service_cv=1.0,
):
    """Return the fewest servers c with P(W_q ≤ within) ≥ service_level and/or W_q ≤ max_mean_wait.

    M/M/c by default (queueing.md §1.1); with CVs other than 1 the Allen–Cunneen corrections of §1.4.
    """
    load, mean_service = _load(load), _mean_service(mean_service)
    variability = _variability(_cv(arrival_cv, "arrival_cv"), _cv(service_cv, "service_cv"))
    if service_level is None and within is not None:
        raise ValueError("service_level（服务水平目标）：给出了时限 within，还须给出在此时限内被叫到的比例，如 0.8。")
    if service_level is None and max_mean_wait is None:
        raise ValueError("service_level / max_mean_wait（目标）：请至少给出一个目标：服务水平及时限，或平均等待上限。")
    if service_level is not None:
        service_level = _real(service_level, "service_level", "服务水平目标，t 内被叫到的比例")
        if not 0 < service_level < 1:
            raise ValueError(
                f"service_level（服务水平目标）：请填写大于 0、小于 1 的比例，如 0.8，收到 {service_level!r}；"
                "只要有人排队，就无法保证 100% 的人在时限内被叫到。"
            )
        if within is None:
            raise ValueError("within（等待时限 t）：给出服务水平目标时必须同时给出时限，如 15 分钟。")
        within = _within(within)
    if max_mean_wait is not None:
        max_mean_wait = _real(max_mean_wait, "max_mean_wait", "平均等待上限，与 mean_service 同一时间单位")
        if max_mean_wait <= 0:
            raise ValueError(
                f"max_mean_wait（平均等待上限）：请填写大于 0 的时长，收到 {max_mean_wait!r}；"
                "只要有人来，平均等待就大于 0。"
            )
    if load == 0:
        return 1

    # One pass of the Erlang B recursion gives B(c, a) for every c in turn, so the search costs O(c).
    blocking = 1.0
    for servers in count(1):
        blocking = load * blocking / (servers + load * blocking)
        if servers <= load:
            continue
        wait_probability = _erlang_c_from_b(servers, load, blocking)
        if service_level is not None and (
            _service_level(servers, load, wait_probability, mean_service, within, variability) < service_level
        ):
            continue
        if max_mean_wait is not None and (
            _mean_wait(servers, load, wait_probability, mean_service, variability) > max_mean_wait
        ):
            continue
        return servers
