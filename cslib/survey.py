"""The continuous NPS programme's health: waves sent, response rates, stratum mix.

The programme (docs/metrics.md) splits the base into 12 waves with the same mix of
user types and surveys one wave a week. This module checks, from the sends
(``nps_invitations``) and the answers, that it runs as designed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

__all__ = ["RESPONSE_DAYS", "SurveyHealth", "survey_health"]

#: Days after a send during which an answer counts for it.
RESPONSE_DAYS = 30


@dataclass
class SurveyHealth:
    """Result of :func:`survey_health`.

    Attributes
    ----------
    waves : DataFrame
        Per wave: sent, responded, response_rate, ci_low, ci_high (fractions),
        first_sent, complete (every send's response window had closed by the
        cut; a wave still collecting answers reads low and is provisional).
    mix : DataFrame
        Per wave and stratum (every stratum of the sends in every wave, 0
        when the wave has none of it): sent and share of the wave's sends.
    overall : dict
        sent, responded, response_rate, ci_low, ci_high, waves (how many),
        max_mix_gap (the largest distance, as a fraction, between a wave's
        stratum share and the stratum's share of all sends; a stratum absent
        from a wave counts with share 0). With a report ``month``, the rate is
        over the sends whose response window closed in that month, and
        ``sent_from``/``sent_to`` give their first and last send dates.
    provisional : dict
        With a report ``month``: the sends still collecting answers at its
        end (sent, responded so far, response_rate, sent_from, sent_to);
        empty otherwise.
    table : DataFrame
        Same as ``waves``: one row per wave.
    summary : DataFrame
        ``overall`` as a one-row table.
    """

    waves: pd.DataFrame
    mix: pd.DataFrame
    overall: dict
    provisional: dict = field(default_factory=dict)

    @property
    def table(self) -> pd.DataFrame:
        """One row per wave: the ``waves`` table."""
        return self.waves

    @property
    def summary(self) -> pd.DataFrame:
        """The ``overall`` figures as a one-row table."""
        return pd.DataFrame([self.overall])


def survey_health(
    invitations: pd.DataFrame,
    responses: pd.DataFrame,
    users: pd.DataFrame,
    *,
    window: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    strata: str = "user_type",
    user: str = "user_id",
    wave: str = "wave",
    sent: str = "sent_at",
    responded: str = "responded_at",
    confidence: float = 0.95,
    month=None,
    response_days: int = RESPONSE_DAYS,
) -> SurveyHealth:
    """Sends, response rates and stratum mix per survey wave.

    A send counts as answered when the same user answered with the same wave
    number within ``response_days`` (30) days after it. A send's rate is
    known only once that window has closed: with a report ``month``, the
    headline rate is over the sends whose window closed in the month, the
    sends still collecting at its end are shown apart (``provisional``), and
    answers after the month's end are not counted.

    Parameters
    ----------
    invitations : pandas.DataFrame
        The ``nps_invitations`` table: one row per send, with ``user``,
        ``wave`` and ``sent``. Not modified.
    responses : pandas.DataFrame
        The ``nps_responses`` table, with ``user``, ``wave`` and
        ``responded``; answers with no wave number match no send. Not modified.
    users : pandas.DataFrame
        The ``users`` table, with ``user`` and ``strata``; a send whose user
        is not there (or has no stratum) falls in the stratum "unknown". Not
        modified.
    window : (start, end), optional
        Only sends with ``start <= sent < end``; default every send.
    strata : str, default "user_type"
        Column of ``users`` the waves are stratified on.
    user : str, default "user_id"
        User id column of the three tables.
    wave : str, default "wave"
        Wave number column of ``invitations`` and ``responses``.
    sent : str, default "sent_at"
        Send time column of ``invitations``.
    responded : str, default "responded_at"
        Answer time column of ``responses``.
    confidence : float, default 0.95
        Level of the Wilson intervals of the response rates.
    month : str or Timestamp, optional
        The report month (see above). ``window`` then defaults to every send
        before the month's end.
    response_days : int, default 30
        Days an answer counts for its send.

    Returns
    -------
    SurveyHealth
        ``waves``, ``mix`` and ``overall`` (see :class:`SurveyHealth`).

    Examples
    --------
    >>> import pandas as pd
    >>> inv = pd.DataFrame({"user_id": ["U1", "U2", "U3", "U4"], "wave": [1, 1, 2, 2],
    ...     "sent_at": pd.to_datetime(["2026-10-01"] * 2 + ["2026-10-08"] * 2)})
    >>> resp = pd.DataFrame({"user_id": ["U1"], "wave": [1],
    ...     "responded_at": pd.to_datetime(["2026-10-02"])})
    >>> users = pd.DataFrame({"user_id": ["U1", "U2", "U3", "U4"],
    ...     "user_type": ["admin", "end user", "admin", "end user"]})
    >>> health = survey_health(inv, resp, users)
    >>> health.waves[["wave", "sent", "responded", "response_rate"]]
       wave  sent  responded  response_rate
    0     1     2          1            0.5
    1     2     2          0            0.0
    >>> health.overall["max_mix_gap"]  # both waves: 1 admin, 1 end user
    0.0

    Seen at the end of October, wave 1's window closed on 31 October, so its
    sends make the month's rate; wave 2's (to 7 November) is still open, so
    its sends are provisional.

    >>> oct = survey_health(inv, resp, users, month="2026-10")
    >>> oct.overall["sent"], oct.overall["response_rate"], oct.provisional["sent"]
    (2, 0.5, 2)
    """
    as_of = None
    if month is not None:
        from .periods import as_month, month_end

        as_of, month_start = month_end(month), as_month(month)
        if window is None:
            window = (pd.Timestamp.min, as_of)
    inv = invitations[[user, wave, sent]].copy()
    if window is not None:
        inv = inv[(inv[sent] >= window[0]) & (inv[sent] < window[1])]
    inv = inv.merge(users[[user, strata]], on=user, how="left")
    inv[strata] = inv[strata].astype(object).where(inv[strata].notna(), "unknown")
    resp = responses[[user, wave, responded]].dropna(subset=[wave])
    if as_of is not None:
        resp = resp.loc[resp[responded] < as_of]
    matched = inv.merge(resp, on=[user, wave], how="left")
    lag = matched[responded] - matched[sent]
    matched["answered"] = (lag >= pd.Timedelta(0)) & (lag <= pd.Timedelta(days=response_days))
    answered = matched.groupby([user, wave, sent], as_index=False)["answered"].any()
    inv = inv.merge(answered, on=[user, wave, sent], how="left")
    closes = inv[sent] + pd.Timedelta(days=response_days)
    inv["_closed"] = True if as_of is None else (closes < as_of)

    waves = inv.groupby(wave).agg(sent=(user, "size"), responded=("answered", "sum"),
                                  first_sent=(sent, "min"), complete=("_closed", "all"))
    waves = waves.reset_index()
    waves["responded"] = waves["responded"].astype(int)
    waves["response_rate"], waves["ci_low"], waves["ci_high"] = _rate(
        waves["responded"], waves["sent"], confidence)
    waves = waves[[wave, "sent", "responded", "response_rate", "ci_low", "ci_high",
                   "first_sent", "complete"]]

    # Every stratum in every wave: a stratum a wave has no sends of has share 0 there.
    counts = inv.groupby([wave, strata]).size().unstack(strata, fill_value=0)
    mix = counts.stack().rename("sent").reset_index()
    mix["sent"] = mix["sent"].astype("int64")
    mix["share"] = mix["sent"] / mix.groupby(wave)["sent"].transform("sum")
    total_share = inv[strata].value_counts(normalize=True)
    gap = (mix["share"] - mix[strata].map(total_share)).abs()
    provisional: dict = {}
    if as_of is None:
        counted = inv
    else:
        counted = inv.loc[inv["_closed"] & (closes >= month_start)]
        still = inv.loc[~inv["_closed"]]
        provisional = _totals(still, sent, confidence)
    overall = {**_totals(counted, sent, confidence),
               "waves": int(waves.shape[0]),
               "max_mix_gap": float(gap.max()) if len(gap) else np.nan}
    return SurveyHealth(waves=waves, mix=mix, overall=overall, provisional=provisional)


def _totals(sends: pd.DataFrame, sent: str, confidence: float) -> dict:
    n_sent, n_resp = int(len(sends)), int(sends["answered"].sum())
    rate, low, high = _rate(pd.Series([n_resp]), pd.Series([n_sent]), confidence)
    dates = sends[sent]
    return {"sent": n_sent, "responded": n_resp, "response_rate": float(rate.iloc[0]),
            "ci_low": float(low.iloc[0]), "ci_high": float(high.iloc[0]),
            "sent_from": dates.min() if n_sent else pd.NaT,
            "sent_to": dates.max() if n_sent else pd.NaT}


def _rate(successes: pd.Series, n: pd.Series, confidence: float):
    successes = successes.astype(float)
    n = n.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = successes / n
    low, high = proportion_confint(successes, n.where(n > 0, np.nan), alpha=1 - confidence,
                                   method="wilson")
    # Wilson's bounds at 0 or n successes come out a rounding error off the rate (0 answers
    # gave a lower bound of 1e-17 above a rate of 0): no bound on the wrong side of it.
    low = np.fmin(np.asarray(low, dtype="float64"), rate.to_numpy(dtype="float64"))
    high = np.fmax(np.asarray(high, dtype="float64"), rate.to_numpy(dtype="float64"))
    return rate, pd.Series(low, index=n.index), pd.Series(high, index=n.index)
