"""A deterministic synthetic warehouse, with known effects planted in it.

:func:`generate_warehouse` builds every table of the data contract
(:mod:`cslib.schemas`) for a fictitious Brazilian SaaS company: accounts in three
segments, their users, monthly MRR per contract, feature usage, support tickets
and a continuous NPS programme with its close-the-loop actions. The same seed
gives identical tables; everything is vectorised with numpy (loops run over
months and survey weeks only): 100,000 accounts x 36 months take a few seconds.

Planted effects
---------------
The generator plants these effects that the kit's analyses must recover. They
are module constants, used by the code below:

1. **One churn model** (:func:`_churn_log_odds`). An account paying in month
   ``t`` churns in ``t + 1`` (account MRR > 0 in ``t``, 0 in ``t + 1``) with

       logit p = logit(BASE_CHURN[segment]) + sum of size * term

   every term read from what the tables show at the end of ``t`` (the quarter
   is the months ``t - 2 .. t``):

   ================  ==========================================  ===============
   term              definition                                  planted size
   ================  ==========================================  ===============
   ``key_adopter``   active users in >= 2 of the 3                log(0.5) (odds
                     :data:`KEY_FEATURES` in ``t`` (``usage``)    ratio 0.5)
   ``account_nps``   mean of +1 promoter / 0 passive / -1         -1.0
                     detractor over the account's answers of
                     the quarter (by ``responded_at``); 0 if none
   ``fcr_centred``   share of the quarter's tickets (by           -1.5
                     ``opened_at``) with ``contacts == 1``, minus
                     0.70 (:data:`FCR_CENTRE`); 0 if none
   ``loop_missed``   1 if a detractor or passive answer of the    +0.5
                     quarter has no ``call`` within 3 days
                     (:data:`LOOP_SLA_DAYS`): late or never
   ================  ==========================================  ===============

   The sales funnel and onboarding (:mod:`cslib.demo_journey`) add two more
   terms to the same logit: a sale closed in under 30 days multiplies the
   monthly churn odds by 1.8, and no value reached by day 90 by 2.0 from the
   4th month of life on (:func:`cslib.demo_journey.churn_log_odds`).
   Nothing else enters the churn logit (segment is the intercept), so a logistic
   regression of next-month churn on these terms with segment dummies
   recovers every size (:data:`PLANTED_CHURN_TERMS`;
   :data:`PLANTED_ADOPTION_ODDS_RATIO` ``= 0.5``). The NPS programme runs over the
   last ``nps_start_months`` only; before it the NPS and loop terms are 0. The
   ``extra`` keyword of :func:`_churn_log_odds` (``extra_terms`` of
   ``_simulate``) adds further per-account terms to the same model.
2. :data:`PLANTED_SEGMENT_NPS` ``= {"SMB": 10, "Mid-Market": 25,
   "Enterprise": 40}``: the expected NPS (-100..100) of a segment's answers,
   from the category probabilities :data:`NPS_CATEGORY_PROBS`. (Answers after
   a closed loop, effect 3, lift the observed NPS by about one point.)
3. :data:`PLANTED_LOOP_LIFT` ``= 0.20``: when a user's previous answer was a
   detractor and its loop (a call) was done within :data:`LOOP_SLA_DAYS`
   days, the chance that the user's next answer is a detractor drops by 20
   percentage points (the 20 points go to passive). Late or missing loops
   give no lift.

Close-the-loop actions follow the playbook: a call for detractors and
passives, an e-mail for promoters (80% within the SLA, 12% late, 8% never).
A share :data:`P_MEETING` ``= 0.25`` of detractor calls escalate to a
``meeting`` 2-10 days after the call (a second action on the same answer).
The meeting always comes after the call, so it changes neither when a loop
was closed (:func:`cslib.nps.loop_closure` counts a meeting as a call and
takes the first action) nor the planted lift; its draws come from a stream of
their own, so the other tables do not depend on it.

Other things the tables contain on purpose: every MRR movement (new,
expansion, contraction, contract-level churn of one product while the account
keeps paying, account churn, reactivation after 1-6 months), a few explicit
``mrr == 0`` rows in the month a contract stops (a missing row means the same),
comments with e-mail addresses or phone numbers (to test masking), tickets
still open at the end, and accounts that churned before the window.

Examples
--------
>>> from cslib.demo import generate_warehouse
>>> wh = generate_warehouse(50, n_months=6, seed=1)
>>> sorted(wh)  # doctest: +NORMALIZE_WHITESPACE
['accounts', 'loop_actions', 'mrr', 'nps_invitations', 'nps_responses',
 'onboarding_milestones', 'opportunities', 'opportunity_stages', 'tickets', 'usage',
 'users']
>>> wh["accounts"].columns.tolist()  # doctest: +NORMALIZE_WHITESPACE
['account_id', 'name', 'segment', 'plan', 'region', 'signup_date', 'csm', 'cac',
 'employees']
"""

from __future__ import annotations

import datetime
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from .adoption import KEY_FEATURES
from .exceptions import ParamsError

__all__ = [
    "KEY_FEATURES",
    "OTHER_FEATURES",
    "PLANTED_ADOPTION_ODDS_RATIO",
    "PLANTED_SEGMENT_NPS",
    "PLANTED_LOOP_LIFT",
    "PLANTED_NPS_CHURN_LOG_ODDS",
    "PLANTED_FCR_CHURN_LOG_ODDS",
    "PLANTED_LOOP_CHURN_LOG_ODDS",
    "PLANTED_CHURN_TERMS",
    "FCR_CENTRE",
    "generate_warehouse",
    "assign_waves",
    "write_duckdb",
    "write_demo_data",
]

# --- the planted effects --------------------------------------------------------------------

#: Odds ratio of next-month account churn for key adopters vs non-adopters.
PLANTED_ADOPTION_ODDS_RATIO = 0.5
#: Expected NPS (-100..100) of each segment's answers.
PLANTED_SEGMENT_NPS = {"SMB": 10.0, "Mid-Market": 25.0, "Enterprise": 40.0}
#: Drop (absolute) in the detractor probability of a user's next answer after a
#: detractor answer whose loop was closed within the SLA.
PLANTED_LOOP_LIFT = 0.20
#: Log-odds of next-month churn per unit of the account's NPS over the quarter's answers
#: (-1..1: all detractors -1, all promoters +1; 0 when it gave no answer).
PLANTED_NPS_CHURN_LOG_ODDS = -1.0
#: Log-odds of next-month churn per unit of the account's FCR over the quarter's tickets,
#: centred on :data:`FCR_CENTRE` (0 when it opened no ticket).
PLANTED_FCR_CHURN_LOG_ODDS = -1.5
#: Log-odds of next-month churn when a detractor or passive answer of the quarter did
#: not get its call within the SLA (late or never).
PLANTED_LOOP_CHURN_LOG_ODDS = 0.5
#: Every planted term of the churn model, by the name :func:`_churn_log_odds` gives it.
PLANTED_CHURN_TERMS = {
    "key_adopter": float(np.log(PLANTED_ADOPTION_ODDS_RATIO)),
    "account_nps": PLANTED_NPS_CHURN_LOG_ODDS,
    "fcr_centred": PLANTED_FCR_CHURN_LOG_ODDS,
    "loop_missed": PLANTED_LOOP_CHURN_LOG_ODDS,
}

# --- the rest of the world ------------------------------------------------------------------

# KEY_FEATURES, the features whose adoption matters, is the kit's default
# (``cslib.adoption.KEY_FEATURES``): the generator follows the metric code, never the
# other way round.
OTHER_FEATURES = ("reports", "mobile_app", "api")
FEATURES = KEY_FEATURES + OTHER_FEATURES

SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
SEGMENT_SHARES = (0.60, 0.28, 0.12)
#: Monthly churn probability of an account that is not a key adopter.
BASE_CHURN = {"SMB": 0.035, "Mid-Market": 0.025, "Enterprise": 0.02}
#: Share of detractors per segment; promoters = detractors + NPS / 100.
DETRACTOR_SHARE = {"SMB": 0.30, "Mid-Market": 0.27, "Enterprise": 0.25}
#: (detractor, passive, promoter) probabilities per segment.
NPS_CATEGORY_PROBS = {
    s: (d, 1 - 2 * d - PLANTED_SEGMENT_NPS[s] / 100, d + PLANTED_SEGMENT_NPS[s] / 100)
    for s, d in DETRACTOR_SHARE.items()
}
#: Accounts with a persistently worse experience (more detractors, more tickets);
#: the others are shifted the other way so each segment's mean stays planted.
UNHAPPY_SHARE = 0.20
UNHAPPY_SHIFT = 0.10

PLANS = ("Starter", "Growth", "Pro", "Enterprise")
PLAN_MIX = {
    "SMB": (0.55, 0.35, 0.10, 0.00),
    "Mid-Market": (0.10, 0.45, 0.40, 0.05),
    "Enterprise": (0.00, 0.10, 0.40, 0.50),
}
REGIONS = ("Sudeste", "Sul", "Nordeste", "Centro-Oeste", "Norte")
REGION_SHARES = (0.50, 0.20, 0.15, 0.10, 0.05)
PRODUCTS = ("CRM", "Analytics", "Automation")
USER_TYPES = ("admin", "end user", "executive")
USER_TYPE_SHARES = (0.20, 0.65, 0.15)

#: Monthly CRM list price (R$) per plan; other products are a fraction of it.
PLAN_PRICE = {"Starter": 290.0, "Growth": 790.0, "Pro": 1890.0, "Enterprise": 4900.0}
PRODUCT_PRICE_FACTOR = (1.0, 0.45, 0.35)
SEGMENT_PRICE_FACTOR = (1.0, 2.2, 5.5)
#: Probabilities of 1, 2 or 3 products at signup, per segment.
PRODUCT_COUNT_MIX = ((0.70, 0.22, 0.08), (0.50, 0.35, 0.15), (0.30, 0.40, 0.30))
#: Monthly probabilities of each movement for an account that keeps paying.
P_EXPANSION, P_CROSS_SELL, P_CONTRACTION, P_CONTRACT_CHURN = 0.03, 0.01, 0.015, 0.012
#: Share of churned accounts that come back, after 1-6 months.
P_REACTIVATION = 0.30
#: Share of contract-churn months written as an explicit ``mrr == 0`` row.
P_ZERO_ROW = 0.30

#: Adoption is a persistent monthly Markov chain per account and feature.
ADOPTION_START = (0.35, 0.20, 0.15, 0.40, 0.15, 0.10)  # at signup
ADOPTION_ON = (0.06, 0.045, 0.04, 0.08, 0.03, 0.02)  # monthly, if not using
ADOPTION_OFF = 0.03  # monthly, if using
ADOPTION_SEGMENT_FACTOR = (0.85, 1.0, 1.25)
ACTIVE_SHARE = (0.6, 0.35, 0.25, 0.5, 0.3, 0.1)  # of the account's users, if used
EVENTS_PER_USER = (25, 40, 60, 10, 15, 200)

USERS_RANGE = ((2, 5), (3, 7), (4, 8))  # per segment, inclusive

N_WAVES = 12
CYCLE_WEEKS = N_WAVES + 1  # a pause week after wave 12: 91 days between two asks
RESPONSE_RATE = 0.30
COMMENT_RATE = 0.40
PII_RATE = 0.03
LOOP_SLA_DAYS = 3
LOOP_SHARES = (0.80, 0.12, 0.08)  # within the SLA, late (4-15 days), never
#: Share of detractor calls that escalate to a meeting, held 2-10 days after the call.
P_MEETING = 0.25
MEETING_DAYS = (2.0, 10.0)
DETRACTOR_SCORES = (0.03, 0.03, 0.05, 0.08, 0.12, 0.27, 0.42)  # P(0..6)

TICKET_RATE = (0.25, 0.6, 1.5)  # per account and month, per segment; x2 if unhappy
P_FIRST_CONTACT = 0.70
#: The FCR the churn model's FCR term is centred on (the programme's mean).
FCR_CENTRE = P_FIRST_CONTACT

HISTORY_MONTHS = 48  # signups spread over the last four years

_CSMS = (
    "Ana Lima", "Bruno Costa", "Carla Mendes", "Diego Rocha", "Eduarda Alves",
    "Felipe Nunes", "Gabriela Pires", "Henrique Dias", "Isabela Moura", "João Teixeira",
    "Larissa Campos", "Marcos Ribeiro",
)
_NAME_PREFIX = (
    "Padaria", "Mercado", "Construtora", "Clínica", "Transportadora", "Farmácia",
    "Auto Peças", "Escola", "Restaurante", "Agência", "Tecnologia", "Distribuidora",
    "Comercial", "Indústria", "Consultoria", "Laboratório", "Ótica", "Papelaria", "Hotel",
    "Academia",
)
_NAME_CORE = (
    "São João", "Boa Vista", "Horizonte", "Aurora", "Ipê", "Jacarandá", "Três Irmãos",
    "Bom Jesus", "Estrela", "Primavera", "Alvorada", "Santa Luzia", "Nova Era", "Pioneira",
    "Paraná", "Atlântico", "Cerrado", "Maré", "Serra Azul", "Açaí", "Acme", "Vale Verde",
    "Guanabara", "Itapuã",
)
_NAME_SUFFIX = ("Ltda", "S.A.", "ME", "EIRELI", "& Cia", "Ltda", "Ltda")
_FIRST = (
    "maria", "joao", "ana", "pedro", "juliana", "lucas", "fernanda", "rafael", "camila",
    "gustavo", "patricia", "thiago", "aline", "rodrigo", "beatriz", "marcelo", "leticia",
    "andre", "vanessa", "carlos", "priscila", "daniel", "renata",
)
_LAST = (
    "souza", "silva", "santos", "oliveira", "pereira", "lima", "carvalho", "ferreira",
    "rodrigues", "almeida", "costa", "gomes", "martins", "araujo", "barbosa", "ribeiro",
)
_COMMENTS = (
    (  # detractors
        "O sistema trava toda hora.", "Suporte demora muito para responder.",
        "Muito caro para o que entrega.", "Faltam integrações com o nosso ERP.",
        "Too many bugs since the last release.", "Relatórios lentos, difícil de usar.",
        "Support never solved my ticket.", "Pensando em trocar de fornecedor.",
    ),
    (  # passives
        "Bom, mas poderia ser mais simples.", "Atende, mas o preço subiu.",
        "Good product, onboarding was slow.", "Gostaria de mais relatórios.",
        "It works, the mobile app needs work.", "Razoável, o suporte ajuda.",
    ),
    (  # promoters
        "Excelente! A equipe de CS é ótima.", "Facilitou muito o nosso dia a dia.",
        "Great product, the dashboards are amazing.", "Recomendo, automações salvam horas.",
        "Love the integrations.", "Atendimento nota 10.", "Very easy to use.",
    ),
)
_AREA_CODES = ("11", "21", "31", "41", "51", "61", "71", "81", "85", "92", "47", "19")
_CONTACT_LEADS = (" Meu contato: ", " Liga pra mim: ", " Call me: ", " Fale comigo: ")


def _churn_log_odds(segment_logit, *, key_adopter, account_nps=0.0, fcr_centred=0.0,
                    loop_missed=0.0, extra=None) -> np.ndarray:
    """The demo's one churn model: log-odds that an account paying in ``t`` churns in ``t+1``.

    ``segment_logit + sum of PLANTED_CHURN_TERMS[name] * term``, the terms read at
    the end of month ``t`` (the quarter is ``t - 2 .. t``):

    - ``key_adopter``: active users in at least 2 of the 3 key features in ``t``;
    - ``account_nps``: mean of +1 / 0 / -1 over the account's answers of the
      quarter (by answer date), 0 without answers;
    - ``fcr_centred``: share of the quarter's tickets (opened while paying) solved
      at the first contact, minus :data:`FCR_CENTRE`; 0 without tickets;
    - ``loop_missed``: 1 if a detractor or passive answer of the quarter did not get
      its call within :data:`LOOP_SLA_DAYS` days (late or never), else 0.

    Parameters
    ----------
    segment_logit : array (n,)
        ``logit(BASE_CHURN[segment])`` per account.
    key_adopter, account_nps, fcr_centred, loop_missed : array (n,) or float
        The terms above.
    extra : mapping of str to array (n,), optional
        Further per-account log-odds terms (already multiplied by their sizes), added
        as they are: the hook for models that plant more (e.g. sales-cycle terms).

    Returns
    -------
    numpy.ndarray
        The log-odds, one per account.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(_churn_log_odds(np.array([0.0]), key_adopter=np.array([True]))[0]), 4)
    -0.6931
    >>> float(_churn_log_odds(np.zeros(1), key_adopter=np.zeros(1), extra={"x": 0.25})[0])
    0.25
    """
    t = PLANTED_CHURN_TERMS
    out = (np.asarray(segment_logit, dtype=float)
           + t["key_adopter"] * np.asarray(key_adopter, dtype=float)
           + t["account_nps"] * np.asarray(account_nps, dtype=float)
           + t["fcr_centred"] * np.asarray(fcr_centred, dtype=float)
           + t["loop_missed"] * np.asarray(loop_missed, dtype=float))
    for term in (extra or {}).values():
        out = out + np.asarray(term, dtype=float)
    return out


def _ascii_slug(text: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _take(labels, idx: np.ndarray) -> pd.Series:
    """``labels[idx]`` as a string Series (pyarrow take, fast for millions of rows)."""
    lookup = pd.Series(np.asarray(labels, dtype=object), dtype="str")
    return pd.Series(lookup.array.take(np.asarray(idx, dtype=np.int64)))


def _ids(prefix: str, n: int, width: int) -> pd.Series:
    return prefix + pd.Series(np.arange(1, n + 1)).astype("str").str.zfill(width)


def _choice(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row of ``probs`` (rows sum to 1), vectorised."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None]
    return np.minimum((u >= cum).sum(axis=1), probs.shape[1] - 1)


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_params(n_accounts, n_months, end_month, nps_start_months) -> np.datetime64:
    if not _is_int(n_accounts) or n_accounts < 1:
        raise ParamsError(f"`n_accounts` must be a positive integer, got {n_accounts!r}.")
    if not _is_int(n_months) or n_months < 2:
        raise ParamsError(f"`n_months` must be an integer >= 2 (months of MRR history), "
                          f"got {n_months!r}.")
    text = str(end_month)
    if isinstance(end_month, (pd.Timestamp, pd.Period, datetime.date)):
        text = pd.Timestamp(str(end_month)).strftime("%Y-%m")
    try:
        if not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", text):
            raise ValueError(text)
        end = np.datetime64(text[:7], "M")
    except ValueError as err:
        raise ParamsError(f"`end_month` must be a month like '2026-10', got {end_month!r}."
                          ) from err
    if not _is_int(nps_start_months) or nps_start_months < 1:
        raise ParamsError(f"`nps_start_months` must be a positive integer, "
                          f"got {nps_start_months!r}.")
    return end


def assign_waves(
    data: pd.DataFrame, *, by: str = "user_type", n_waves: int = N_WAVES, seed: int = 0
) -> pd.Series:
    """Split rows into survey waves with the same mix of ``by`` in every wave.

    Within each stratum (a value of ``by``) the rows are shuffled with ``seed``
    and dealt round robin, each stratum starting where the previous one
    stopped, so every stratum's count, and the wave sizes, differ by at most
    one between waves.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per user. It is not modified.
    by : str
        Column to stratify on.
    n_waves : int
        Number of waves.
    seed : int
        Seed of the shuffle.

    Returns
    -------
    pandas.Series
        ``wave`` (Int64, 1..n_waves), aligned with ``data``.

    Examples
    --------
    >>> import pandas as pd
    >>> users = pd.DataFrame({"user_type": ["admin"] * 3 + ["end user"] * 3})
    >>> assign_waves(users, n_waves=3, seed=1).value_counts().sort_index().tolist()
    [2, 2, 2]
    """
    if by not in data.columns:
        raise ParamsError(f"column `{by}` not found; available: {list(data.columns)}.")
    if n_waves < 1:
        raise ParamsError(f"`n_waves` must be >= 1, got {n_waves}.")
    codes, _ = pd.factorize(data[by], sort=True, use_na_sentinel=False)
    n = len(codes)
    perm = np.random.default_rng(seed).permutation(n)
    order = perm[np.argsort(codes[perm], kind="stable")]
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]]) if n else []
    first = np.zeros(n, dtype=np.int64)
    if n:
        first[starts] = starts
        first = np.maximum.accumulate(first)
    rank = np.arange(n) - first  # position within its stratum
    # start each stratum where the previous left off -> wave sizes also balanced
    offset = first % n_waves
    wave = np.empty(n, dtype=np.int64)
    wave[order] = (rank + offset) % n_waves + 1
    return pd.Series(wave, index=data.index, name="wave", dtype="Int64")


def generate_warehouse(
    n_accounts: int = 2000,
    *,
    n_months: int = 24,
    end_month: str = "2026-10",
    seed: int = 1,
    nps_start_months: int = 12,
) -> dict[str, pd.DataFrame]:
    """Generate the synthetic demo warehouse.

    Parameters
    ----------
    n_accounts : int
        Number of accounts (some churned before the window and have no MRR in it).
    n_months : int
        Months of MRR, usage and ticket history, ending at ``end_month``.
    end_month : str
        Last month, ``"YYYY-MM"``. Fixed (not today) so the data is reproducible.
    seed : int
        Random seed; the same seed gives identical tables. Users' survey waves
        are ``assign_waves(users, seed=seed)``.
    nps_start_months : int
        The NPS programme runs over the last ``nps_start_months`` months (at
        most ``n_months``).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``accounts``, ``users``, ``mrr``, ``nps_responses``, ``usage``,
        ``tickets``, ``loop_actions`` and ``nps_invitations``, with the
        columns and types of :mod:`cslib.schemas`.

    Raises
    ------
    ParamsError
        If an argument is out of range.

    Examples
    --------
    >>> wh = generate_warehouse(100, n_months=12, seed=3)
    >>> wh["mrr"].head(3)  # doctest: +SKIP
      contract_id account_id product      month     mrr
    0   C000001-1    A000001     CRM 2025-11-01  812.44
    1   C000001-1    A000001     CRM 2025-12-01  812.44
    2   C000001-1    A000001     CRM 2026-01-01  812.44
    """
    end = _check_params(n_accounts, n_months, end_month, nps_start_months)
    n = int(n_accounts)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]
    rng_acc, rng_sim, rng_users, rng_usage, rng_nps, rng_tix, rng_meet, rng_text = streams

    n_hist = max(HISTORY_MONTHS, n_months)
    t0 = end - (n_hist - 1)  # first month of the simulated timeline
    w0 = n_hist - n_months  # index of the first output month in the timeline
    window = (t0 + w0 + np.arange(n_months)).astype("datetime64[D]")
    end_ts = (end + 1).astype("datetime64[s]") - np.timedelta64(1, "s")

    acc = _accounts(rng_acc, n, t0, end)
    seg = acc.pop("_seg")
    # the sales funnel and onboarding (cslib.demo_journey) plant their own churn terms
    from .demo_journey import churn_log_odds, journey_tables

    journey, journey_per_account = journey_tables(
        pd.DataFrame({k: acc[k] for k in ("account_id", "segment", "signup_date")}),
        end=pd.Timestamp(end_ts), seed=seed)
    users, u_acc, n_users = _users(rng_users, acc, seg)
    waves = assign_waves(users, by="user_type", seed=seed)
    # tickets and answers are made month by month inside the simulation, because the
    # churn model reads them (FCR, account NPS, missed loops) at each month's end
    draws = _ticket_draws(rng_tix, acc, seg, window)
    programme = _Programme(rng_nps, acc, seg, u_acc, waves.to_numpy(dtype=np.int64), window,
                           n_months - min(nps_start_months, n_months), end_ts)
    sim = _simulate(rng_sim, acc, seg, n_hist, w0, tickets=draws, programme=programme,
                    extra_terms=lambda life: {
                        "journey": churn_log_odds(journey_per_account, life)})
    usage = _usage(rng_usage, acc, sim, n_users, window)
    mrr = _mrr(acc, sim, window)
    tickets = _tickets(draws, acc, sim, window, end_ts)
    responses, invitations, loops = programme.tables(rng_text, users)
    loops = _meetings(rng_meet, loops, responses, end_ts)
    accounts = pd.DataFrame({k: v for k, v in acc.items() if not k.startswith("_")})
    return {
        "accounts": accounts,
        "users": users,
        "mrr": mrr,
        "nps_responses": responses,
        "usage": usage,
        "tickets": tickets,
        "loop_actions": loops,
        "nps_invitations": invitations,
        **journey,  # journey hook (issue 17)
    }


def _accounts(rng, n, t0, end) -> dict:
    seg = rng.choice(3, size=n, p=SEGMENT_SHARES)
    plan = _choice(rng, np.array([PLAN_MIX[s] for s in SEGMENTS])[seg])
    region = rng.choice(len(REGIONS), size=n, p=REGION_SHARES)
    first_day = t0.astype("datetime64[D]")
    n_days = int(((end + 1).astype("datetime64[D]") - first_day).astype(int))
    signup = first_day + rng.integers(0, n_days, size=n).astype("timedelta64[D]")
    prefix = rng.integers(len(_NAME_PREFIX), size=n)
    core = rng.integers(len(_NAME_CORE), size=n)
    suffix = rng.integers(len(_NAME_SUFFIX), size=n)
    name = (_take(_NAME_PREFIX, prefix) + " " + _take(_NAME_CORE, core) + " "
            + _take(_NAME_SUFFIX, suffix))
    csm_pool = np.array([[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 6, 7], [10, 11, 10, 11, 10, 11]])
    csm = csm_pool[seg, rng.integers(6, size=n)]
    cac_median = np.array([1500.0, 9000.0, 45000.0])[seg]
    cac = np.round(cac_median * rng.lognormal(0.0, 0.35, size=n), 2)
    emp_median = np.array([12.0, 150.0, 1500.0])[seg]
    employees = np.maximum(1, np.round(emp_median * rng.lognormal(0.0, 0.6, size=n)))
    ids = _ids("A", n, 6)
    return {
        "account_id": ids,
        "name": name,
        "segment": _take(SEGMENTS, seg),
        "plan": _take(PLANS, plan),
        "region": _take(REGIONS, region),
        "signup_date": pd.Series(signup.astype("datetime64[ns]")),
        "csm": _take(_CSMS, csm),
        "cac": pd.Series(cac),
        "employees": pd.Series(employees.astype(np.int64), dtype="Int64"),
        "_seg": seg,
        "_plan": plan,
        "_signup_m": (signup.astype("datetime64[M]") - t0).astype(int),
        "_signup": signup.astype("datetime64[s]"),
        "_unhappy": rng.random(n) < UNHAPPY_SHARE,
        "_domain": (_take([_ascii_slug(c) for c in _NAME_CORE], core) + "-"
                    + pd.Series(np.arange(1, n + 1)).astype("str") + ".com.br"),
    }


def _simulate(rng, acc, seg, n_hist, w0, *, tickets=None, programme=None,
              extra_terms=None) -> dict:
    """Month by month, vectorised over accounts: MRR per contract and adoption.

    ``tickets`` (from :func:`_ticket_draws`) and ``programme`` (a :class:`_Programme`)
    feed the churn model each month; ``extra_terms`` is passed to
    :func:`_churn_log_odds` as its ``extra`` hook: a mapping, or a function of each
    account's month of life giving one (the journey's terms change with age).
    """
    n = len(seg)
    n_out = n_hist - w0
    signup_m = acc["_signup_m"]
    plan_price = np.array([PLAN_PRICE[p] for p in PLANS])[acc["_plan"]]
    list_price = (plan_price[:, None] * np.array(SEGMENT_PRICE_FACTOR)[seg][:, None]
                  * np.array(PRODUCT_PRICE_FACTOR)[None, :]
                  * rng.lognormal(0.0, 0.2, size=(n, 3)))
    list_price = np.round(list_price, 2)
    n_init = _choice(rng, np.array(PRODUCT_COUNT_MIX)[seg]) + 1
    rank = np.argsort(np.argsort(-(rng.random((n, 3)) + [0.6, 0.0, 0.0]), axis=1), axis=1)
    init_held = rank < n_init[:, None]

    base_logit = np.log([BASE_CHURN[s] / (1 - BASE_CHURN[s]) for s in SEGMENTS])[seg]
    p_on = np.array(ADOPTION_ON)[None, :] * np.array(ADOPTION_SEGMENT_FACTOR)[seg][:, None]
    p_start = (np.array(ADOPTION_START)[None, :]
               * np.array(ADOPTION_SEGMENT_FACTOR)[seg][:, None])

    price = np.zeros((n, 3))
    saved = np.zeros((n, 3))
    active = np.zeros(n, dtype=bool)
    adopt = np.zeros((n, len(FEATURES)), dtype=bool)
    return_m = np.full(n, -1)
    out_price = np.zeros((n, n_out, 3))
    out_zero = np.zeros((n, n_out, 3), dtype=bool)
    out_active = np.zeros((n, n_out), dtype=bool)
    out_adopt = np.zeros((n, n_out, len(FEATURES)), dtype=bool)

    for m in range(n_hist):
        # every draw is made for every account, so the stream never depends on the state
        u_churn, u_back, u_event, u_pct, u_zero = rng.random((5, n))
        delay = rng.integers(1, 7, size=n)
        r_pick = rng.random((n, 3))
        u_adopt = rng.random((n, len(FEATURES)))

        was_active = active.copy()
        key_adopter = adopt[:, : len(KEY_FEATURES)].sum(axis=1) >= 2
        # what is known at the end of month m - 1 (window index kt), over its quarter
        kt = m - 1 - w0
        quarter = _quarter_terms(tickets, programme, kt, n)
        p_churn = 1.0 / (1.0 + np.exp(-_churn_log_odds(
            base_logit, key_adopter=key_adopter, **quarter,
            extra=extra_terms(m - signup_m) if callable(extra_terms) else extra_terms)))
        churn = was_active & (u_churn < p_churn)
        saved[churn] = price[churn]
        price[churn] = 0.0
        active[churn] = False
        return_m[churn] = np.where(u_back[churn] < P_REACTIVATION, m + delay[churn], -1)

        back = ~active & (return_m == m)
        price[back] = saved[back]
        active[back] = True
        return_m[back] = -1

        new = signup_m == m
        price[new] = np.where(init_held[new], list_price[new], 0.0)
        active[new] = True

        keep = was_active & active & ~back
        held = price > 0
        n_held = held.sum(axis=1)
        pick_held = np.argmax(np.where(held, r_pick, -1.0), axis=1)
        pick_free = np.argmax(np.where(held, -1.0, r_pick), axis=1)
        c1 = P_EXPANSION
        c2 = c1 + P_CROSS_SELL
        c3 = c2 + P_CONTRACTION
        c4 = c3 + P_CONTRACT_CHURN
        expand = keep & (u_event < c1)
        cross = keep & (u_event >= c1) & (u_event < c2) & (n_held < 3)
        shrink = keep & (u_event >= c2) & (u_event < c3)
        drop = keep & (u_event >= c3) & (u_event < c4) & (n_held >= 2)
        rows = np.flatnonzero(expand)
        price[rows, pick_held[rows]] *= 1 + 0.08 + 0.32 * u_pct[rows]
        rows = np.flatnonzero(cross)
        price[rows, pick_free[rows]] = list_price[rows, pick_free[rows]]
        rows = np.flatnonzero(shrink)
        price[rows, pick_held[rows]] *= 1 - 0.10 - 0.25 * u_pct[rows]
        rows = np.flatnonzero(drop)
        price[rows, pick_held[rows]] = 0.0
        price = np.round(price, 2)

        # adoption: started at signup, then a persistent Markov chain while paying
        adopt[new] = u_adopt[new] < p_start[new]
        step = active & ~new
        adopt[step] = np.where(adopt[step], u_adopt[step] >= ADOPTION_OFF,
                               u_adopt[step] < p_on[step])

        if m >= w0:
            k = m - w0
            if tickets is not None:
                tickets["open"][k] = active
            if programme is not None:
                programme.run_month(k, active)
            out_price[:, k] = price
            out_active[:, k] = active
            out_adopt[:, k] = adopt & active[:, None]
            rows = np.flatnonzero(drop & (u_zero < P_ZERO_ROW))
            out_zero[rows, k, pick_held[rows]] = True
    return {"price": out_price, "zero": out_zero, "active": out_active, "adopt": out_adopt}


def _users(rng, acc, seg):
    lo = np.array([r[0] for r in USERS_RANGE])[seg]
    hi = np.array([r[1] for r in USERS_RANGE])[seg]
    n_users = rng.integers(lo, hi + 1)
    u_acc = np.repeat(np.arange(len(seg)), n_users)
    m = len(u_acc)
    within = np.arange(m) - np.repeat(np.cumsum(n_users) - n_users, n_users)
    first = (rng.integers(len(_FIRST), size=len(seg))[u_acc] + 7 * within) % len(_FIRST)
    last = rng.integers(len(_LAST), size=m)
    utype = rng.choice(len(USER_TYPES), size=m, p=USER_TYPE_SHARES)
    domain = pd.Series(acc["_domain"].array.take(u_acc))
    email = _take(_FIRST, first) + "." + _take(_LAST, last) + "@" + domain
    users = pd.DataFrame({
        "user_id": _ids("U", m, 7),
        "account_id": pd.Series(acc["account_id"].array.take(u_acc)),
        "user_type": _take(USER_TYPES, utype),
        "email": email,
    })
    return users, u_acc, n_users


def _usage(rng, acc, sim, n_users, window) -> pd.DataFrame:
    a, k, f = np.nonzero(sim["adopt"])
    share = np.array(ACTIVE_SHARE)[f]
    active_users = 1 + rng.binomial(n_users[a] - 1, share)
    events = active_users + rng.poisson(active_users * np.array(EVENTS_PER_USER)[f])
    return pd.DataFrame({
        "account_id": pd.Series(acc["account_id"].array.take(a)),
        "feature": _take(FEATURES, f),
        "month": pd.Series(window[k].astype("datetime64[ns]")),
        "active_users": pd.Series(active_users, dtype="Int64"),
        "events": pd.Series(events, dtype="Int64"),
    })


def _mrr(acc, sim, window) -> pd.DataFrame:
    price = sim["price"]
    a, p, k = np.nonzero(((price > 0) | sim["zero"]).transpose(0, 2, 1))
    contract = (pd.Series(acc["account_id"].array.take(np.repeat(np.arange(len(price)), 3)))
                .str.replace("A", "C", n=1) + "-"
                + pd.Series(np.tile(np.arange(1, 4), len(price))).astype("str"))
    return pd.DataFrame({
        "contract_id": pd.Series(contract.array.take(a * 3 + p)),
        "account_id": pd.Series(acc["account_id"].array.take(a)),
        "product": _take(PRODUCTS, p),
        "month": pd.Series(window[k].astype("datetime64[ns]")),
        "mrr": price[a, k, p],
    })


def _ticket_draws(rng, acc, seg, window) -> dict:
    """Every ticket an account would open in each window month if it paid then.

    The simulation masks them by who pays (``open``, filled month by month) and reads
    each month's tickets and first-contact resolutions for the churn model.
    """
    n, n_months = len(seg), len(window)
    rate = np.array(TICKET_RATE)[seg] * np.where(acc["_unhappy"], 2.0, 1.0)
    counts = rng.poisson(np.repeat(rate[:, None], n_months, axis=1))
    a, k = np.nonzero(counts)
    reps = counts[a, k]
    a, k = np.repeat(a, reps), np.repeat(k, reps)
    start = window[k].astype("datetime64[s]")
    month_secs = ((window[k].astype("datetime64[M]") + 1).astype("datetime64[s]")
                  - start).astype(np.int64)
    opened = start + (rng.random(len(a)) * month_secs).astype("timedelta64[s]")
    opened = np.maximum(opened, acc["_signup"][a] + np.timedelta64(9, "h"))
    contacts = np.where(rng.random(len(a)) < P_FIRST_CONTACT, 1, rng.integers(2, 6, len(a)))
    hours = rng.lognormal(np.log(np.where(contacts == 1, 5.0, 30.0 * contacts)), 0.8)
    first = np.bincount(k * n + a, weights=(contacts == 1).astype(float),
                        minlength=n * n_months).reshape(n_months, n)
    # month-major (window month, account), like the programme's counts
    return {"a": a, "k": k, "opened": opened, "contacts": contacts, "hours": hours,
            "count": np.ascontiguousarray(counts.T, dtype=float), "first": first,
            "open": np.zeros((n_months, n), dtype=bool)}


def _tickets(draws, acc, sim, window, end_ts) -> pd.DataFrame:
    keep = sim["active"][draws["a"], draws["k"]]
    a, opened = draws["a"][keep], draws["opened"][keep]
    contacts, hours = draws["contacts"][keep], draws["hours"][keep]
    resolved = opened + (hours * 3600).astype("timedelta64[s]")
    resolved = np.where(resolved <= end_ts, resolved, np.datetime64("NaT"))
    order = np.lexsort((a, opened))
    return pd.DataFrame({
        "ticket_id": _ids("T", len(a), 7),
        "account_id": pd.Series(acc["account_id"].array.take(a[order])),
        "opened_at": pd.Series(opened[order].astype("datetime64[ns]")),
        "resolved_at": pd.Series(resolved[order].astype("datetime64[ns]")),
        "contacts": pd.Series(contacts[order], dtype="Int64"),
    })


def _quarter_terms(tickets, programme, kt, n) -> dict:
    """The churn model's inputs known at the end of window month ``kt``, over ``kt-2..kt``."""
    zero = np.zeros(n)
    out = {"account_nps": zero, "fcr_centred": zero, "loop_missed": zero}
    if kt < 0:
        return out
    lo = max(kt - 2, 0)
    if tickets is not None:
        paid = tickets["open"][lo:kt + 1]
        count = (tickets["count"][lo:kt + 1] * paid).sum(axis=0)
        first = (tickets["first"][lo:kt + 1] * paid).sum(axis=0)
        out["fcr_centred"] = np.where(count > 0, first / np.maximum(count, 1) - FCR_CENTRE,
                                      0.0)
    if programme is not None:
        answers = programme.answers[lo:kt + 1].sum(axis=0)
        points = programme.points[lo:kt + 1].sum(axis=0)
        out["account_nps"] = np.where(answers > 0, points / np.maximum(answers, 1), 0.0)
        out["loop_missed"] = (programme.missed[lo:kt + 1].sum(axis=0) > 0).astype(float)
    return out


class _Programme:
    """The continuous programme: one wave a week, a pause week, ~30% answer.

    Run month by month from the simulation (:meth:`run_month`, with who pays that
    month), so the churn model can read each account's answers as they come:
    ``answers``, ``points`` (promoter +1, passive 0, detractor -1) and ``missed``
    (detractor or passive answers whose call will not come within the SLA), per
    account and window month of the answer.
    """

    def __init__(self, rng, acc, seg, u_acc, wave, window, first_k, end_ts):
        self.rng, self.u_acc, self.wave, self.window, self.end_ts = rng, u_acc, wave, window, end_ts
        n_users, n = len(u_acc), len(seg)
        unhappy = acc["_unhappy"][u_acc]
        shift = np.where(unhappy, UNHAPPY_SHIFT,
                         -UNHAPPY_SHIFT * UNHAPPY_SHARE / (1 - UNHAPPY_SHARE))
        base = np.array([NPS_CATEGORY_PROBS[s] for s in SEGMENTS])[seg[u_acc]].copy()
        base[:, 0] += shift
        base[:, 2] -= shift
        self.base = base
        self.state = np.zeros(n_users, dtype=np.int8)  # 1: last a detractor, loop in SLA
        self.by_wave = [np.flatnonzero(wave == w) for w in range(1, N_WAVES + 1)]
        self.signup = acc["_signup"][u_acc]
        # month-major (window month, account): the churn model sums three rows a month
        self.answers = np.zeros((len(window), n))
        self.points = np.zeros((len(window), n))
        self.missed = np.zeros((len(window), n))
        self.inv, self.resp = [], []
        # the survey weeks (send day, position in the cycle) of each window month
        start, last_day = window[first_k], end_ts.astype("datetime64[D]")
        self.weeks: dict[int, list] = {}
        week = 0
        while start + 7 * week <= last_day:
            day = start + np.timedelta64(7 * week, "D")
            pos = week % CYCLE_WEEKS
            week += 1
            if pos == N_WAVES:  # pause week
                continue
            k = int((day.astype("datetime64[M]") - window[0].astype("datetime64[M]"))
                    .astype(int))
            self.weeks.setdefault(k, []).append((day, pos))

    def run_month(self, k: int, active: np.ndarray) -> None:
        """Send the surveys of window month ``k`` to users of accounts paying then."""
        rng, u_acc, state, base, end_ts = self.rng, self.u_acc, self.state, self.base, self.end_ts
        month0 = self.window[0].astype("datetime64[M]")
        for day, pos in self.weeks.get(k, ()):
            sent = day.astype("datetime64[s]") + np.timedelta64(10, "h")
            members = self.by_wave[pos]
            asked = members[active[u_acc[members]] & (self.signup[members] <= sent)]
            self.inv.append((asked, np.full(len(asked), sent)))
            n_ask = len(asked)
            answers = rng.random(n_ask) < RESPONSE_RATE
            delay = (rng.random(n_ask) * 7 * 86400).astype("timedelta64[s]")
            u_cat, u_score, u_loop, u_when = rng.random((4, n_ask))
            when = sent + delay
            ok = answers & (when <= end_ts)
            who = asked[ok]
            probs = base[who].copy()
            lifted = state[who] == 1
            cut = np.minimum(probs[lifted, 0], PLANTED_LOOP_LIFT)
            probs[lifted, 0] -= cut
            probs[lifted, 1] += cut
            cat = (u_cat[ok][:, None] >= np.cumsum(probs, axis=1)[:, :2]).sum(axis=1)
            det = np.minimum(np.searchsorted(np.cumsum(DETRACTOR_SCORES),
                                             u_score[ok] * 0.999999, side="right"), 6)
            score = np.select([cat == 0, cat == 1], [det, 7 + (u_score[ok] < 0.5)],
                              9 + (u_score[ok] < 0.45))
            responded = when[ok]
            ul = u_loop[ok]
            in_sla = ul < LOOP_SHARES[0]
            late = ~in_sla & (ul < LOOP_SHARES[0] + LOOP_SHARES[1])
            days = np.where(in_sla, 0.05 + (LOOP_SLA_DAYS - 0.05) * u_when[ok],
                            4 + 11 * u_when[ok])
            done = responded + (days * 86400).astype("timedelta64[s]")
            has_loop = (in_sla | late) & (done <= end_ts)
            state[who] = np.where((cat == 0) & in_sla, 1, 0)
            self.resp.append((who, responded, score, cat, has_loop, done))
            # what the churn model reads: per account and month of the answer
            a = u_acc[who]
            kr = (responded.astype("datetime64[M]") - month0).astype(int)
            np.add.at(self.answers, (kr, a), 1.0)
            np.add.at(self.points, (kr, a), cat - 1.0)
            np.add.at(self.missed, (kr, a), ((cat < 2) & ~in_sla).astype(float))

    def tables(self, rng_text, users):
        """The answers, invitations and loop actions of the whole run."""
        inv, resp, wave = self.inv, self.resp, self.wave
        if inv:
            inv_u = np.concatenate([x[0] for x in inv])
            inv_t = np.concatenate([x[1] for x in inv])
        else:
            inv_u, inv_t = np.zeros(0, dtype=np.int64), np.zeros(0, dtype="datetime64[s]")
        invitations = pd.DataFrame({
            "user_id": pd.Series(users["user_id"].array.take(inv_u)),
            "account_id": pd.Series(users["account_id"].array.take(inv_u)),
            "wave": pd.Series(wave[inv_u], dtype="Int64"),
            "sent_at": pd.Series(inv_t.astype("datetime64[ns]")),
        })

        def cat_(i, dtype=None):
            parts = [r[i] for r in resp]
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        who = cat_(0, np.int64)
        responded = cat_(1, "datetime64[s]")
        score, cat = cat_(2, np.int64), cat_(3, np.int64)
        has_loop, done = cat_(4, bool), cat_(5, "datetime64[s]")
        order = np.argsort(responded, kind="stable")
        who, responded, score, cat = who[order], responded[order], score[order], cat[order]
        has_loop, done = has_loop[order], done[order]
        m = len(who)
        response_id = _ids("R", m, 8)
        comment = _comments(rng_text, cat)
        responses = pd.DataFrame({
            "response_id": response_id,
            "user_id": pd.Series(users["user_id"].array.take(who)),
            "account_id": pd.Series(users["account_id"].array.take(who)),
            "responded_at": pd.Series(responded.astype("datetime64[ns]")),
            "score": pd.Series(score, dtype="Int64"),
            "comment": comment,
            "wave": pd.Series(wave[who], dtype="Int64"),
        })
        rows = np.flatnonzero(has_loop)
        loop_actions = pd.DataFrame({
            "response_id": pd.Series(response_id.array.take(rows)),
            "action": _take(("call", "email"), (cat[rows] == 2).astype(np.int64)),
            "done_at": pd.Series(done[rows].astype("datetime64[ns]")),
        })
        return responses, invitations, loop_actions


def _meetings(rng, loops: pd.DataFrame, responses: pd.DataFrame, end_ts) -> pd.DataFrame:
    """Escalate a share of detractor calls to a meeting, after the call.

    Draws come from their own stream (one pair per loop action, whatever the
    outcome), so the other tables are the same as without meetings.
    """
    u_meet, u_days = rng.random((2, len(loops)))
    score = responses["score"].to_numpy(dtype=np.int64)[
        pd.Index(responses["response_id"]).get_indexer(loops["response_id"])]
    days = MEETING_DAYS[0] + (MEETING_DAYS[1] - MEETING_DAYS[0]) * u_days
    when = loops["done_at"].to_numpy() + (days * 86400).astype("timedelta64[s]")
    escalate = ((loops["action"] == "call").to_numpy() & (score <= 6) & (u_meet < P_MEETING)
                & (when <= end_ts))
    meetings = pd.DataFrame({
        "response_id": loops["response_id"][escalate].reset_index(drop=True),
        "action": pd.Series(["meeting"] * int(escalate.sum()), dtype="str"),
        "done_at": pd.Series(when[escalate].astype("datetime64[ns]")),
    })
    both = pd.concat([loops, meetings], ignore_index=True)
    # each response's actions together, in time order (responses are numbered in time order)
    order = np.lexsort((both["done_at"].to_numpy(), both["response_id"].to_numpy()))
    return both.iloc[order].reset_index(drop=True)


def _comments(rng, cat: np.ndarray) -> pd.Series:
    m = len(cat)
    pools = [np.asarray(p, dtype=object) for p in _COMMENTS]
    pick = rng.random(m)
    text = np.empty(m, dtype=object)
    for c, pool in enumerate(pools):
        rows = cat == c
        text[rows] = pool[(pick[rows] * len(pool)).astype(np.int64)]
    has = rng.random(m) < COMMENT_RATE
    pii = has & (rng.random(m) < PII_RATE)
    rows = np.flatnonzero(pii)
    r = len(rows)
    lead = _take(_CONTACT_LEADS, rng.integers(len(_CONTACT_LEADS), size=r))
    email = (_take(_FIRST, rng.integers(len(_FIRST), size=r)) + "."
             + _take(_LAST, rng.integers(len(_LAST), size=r))
             + _take(("@gmail.com", "@hotmail.com", "@empresa.com.br"), rng.integers(3, size=r)))
    phone = ("(" + _take(_AREA_CODES, rng.integers(len(_AREA_CODES), size=r)) + ") 9"
             + pd.Series(rng.integers(1000, 10000, size=r)).astype("str") + "-"
             + pd.Series(rng.integers(1000, 10000, size=r)).astype("str"))
    contact = email.where(rng.random(r) < 0.5, phone)
    out = pd.Series(text, dtype="str").where(has)
    if r:
        out.iloc[rows] = (pd.Series(text[rows], dtype="str") + lead + contact).to_numpy()
    return out


def write_duckdb(tables: dict[str, pd.DataFrame], path: str | os.PathLike) -> Path:
    """Write tables into a DuckDB file, replacing it atomically.

    The tables are written to a temporary file in the same folder, which then
    replaces ``path`` (so a reader never sees a half-written warehouse).
    Types: ``Int64`` columns come back from DuckDB as ``int64`` (``float64``
    if they hold missing values), text as DuckDB ``VARCHAR``.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        Tables by name; each becomes a DuckDB table of that name.
    path : str or path-like
        The DuckDB file. Its folder is created if needed.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import duckdb, tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> p = write_duckdb({"t": pd.DataFrame({"a": [1, 2]})}, os.path.join(folder, "x.duckdb"))
    >>> duckdb.connect(str(p)).execute("SELECT sum(a) FROM t").fetchone()
    (3,)
    """
    import duckdb

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # duckdb wants to create the file itself
    try:
        con = duckdb.connect(str(tmp))
        try:
            for name, frame in tables.items():
                con.register("_frame", frame)
                con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _frame')
                con.unregister("_frame")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, Path(str(tmp) + ".wal")):
            if leftover.exists():
                leftover.unlink()
    return path


def write_demo_data(
    path: str | os.PathLike = "data/demo.duckdb", n_accounts: int = 2000, **kwargs
) -> Path:
    """Generate the demo warehouse and write it to a DuckDB file.

    This is what ``cslib demo-data`` runs.

    Parameters
    ----------
    path : str or path-like
        The DuckDB file to (re)write.
    n_accounts : int
        Number of accounts.
    **kwargs
        Passed to :func:`generate_warehouse` (``n_months``, ``end_month``,
        ``seed``, ``nps_start_months``).

    Returns
    -------
    pathlib.Path
    """
    return write_duckdb(generate_warehouse(n_accounts, **kwargs), path)
