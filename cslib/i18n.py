"""The kit's fixed text in every report language: one catalogue for the reports
(:mod:`cslib.report`), the month's overview and digest (:mod:`cslib.pages`), the
notebooks' prose (:data:`SECTIONS`, shown by :func:`cslib.report.section`), the
kit's caveats (:data:`WARNINGS`, the keys of :class:`cslib.exceptions.CslibWarning`),
table values (``value.<column>.<value>``), the review's classes and reasons
(:func:`reason_text`).

Kept apart from :mod:`cslib.report` so that the batch can write the overview
without importing pandas.
"""

from __future__ import annotations

__all__ = ["LOCALES", "REASON_PHRASES", "SECTIONS", "TEXT", "WARNINGS", "reason_text", "text"]

#: Report languages.
LOCALES = ("en", "pt-BR")

#: key -> (English, Portuguese). Keys starting with "col." are table headers.
TEXT: dict[str, tuple[str, str]] = {
    # context.py
    "no_accounts": ("Segment {segment} has no accounts: there is nothing to report.",
                    "O segmento {segment} não tem contas: não há o que relatar."),
    "no_data": ("No account in {segment} paid in {month}: there is nothing to report.",
                "Nenhuma conta de {segment} pagou em {month}: não há o que relatar."),
    # general
    "not_estimated": ("Not estimated for this segment and month: {reason}",
                      "Não estimado para este segmento e mês: {reason}"),
    "n/a": ("n/a", "n/d"),
    "yes": ("yes", "sim"),
    "no": ("no", "não"),
    "ci": ("{level} CI {low} to {high}", "IC {level} {low} a {high}"),
    "ci_na": ("{level} CI {na}", "IC {level} {na}"),
    "range": ("{low} to {high}", "{low} a {high}"),
    "significant": ("significant at 5%", "significativo a 5%"),
    "holm_note": ("Significance is corrected for {n} comparisons on this page (Holm); the "
                  "p-value column is uncorrected.",
                  "A significância é corrigida para {n} comparações nesta página (Holm); a "
                  "coluna valor-p não tem correção."),
    "holm_note.one": ("Significance is tested once on this page: no correction needed.",
                      "A significância é testada uma vez nesta página: não há correção."),
    "not significant": ("not significant at 5%", "não significativo a 5%"),
    "previous_window": ("the previous {days} days", "nos {days} dias anteriores"),
    "window_to": ("the {days} days to {end}", "os {days} dias até {end}"),
    "rows_shown": ("Showing {shown} of {total} rows.", "Mostrando {shown} de {total} linhas."),
    "no_rows": ("No rows.", "Nenhuma linha."),
    "definitions": ("How each figure is counted, and over which period: docs/metrics.md in "
                    "the analysis kit.",
                    "Como cada número é contado, e em qual período: docs/metrics.md no kit "
                    "de análise."),
    "no_caveats": ("No caveats: every estimate rests on enough data.",
                   "Sem ressalvas: todas as estimativas têm dados suficientes."),
    "no_comments": ("No comments in the window.", "Nenhum comentário no período."),
    "pii_masked": ("E-mail addresses and phone numbers are masked.",
                   "Endereços de e-mail e telefones estão mascarados."),
    "pii_shown": ("E-mail addresses and phone numbers are shown as written (mask_pii is off).",
                  "Endereços de e-mail e telefones aparecem como escritos (mask_pii "
                  "desligado)."),
    "score": ("score {score}", "nota {score}"),
    # NPS sentence
    "nps_none": ("No NPS answers in the window.", "Nenhuma resposta de NPS no período."),
    "nps_head": ("NPS {nps} ({ci}, {n} answers)", "NPS {nps} ({ci}, {n} respostas)"),
    "nps_window": (" in the {days} days to {end}", " nos {days} dias até {end}"),
    "nps_no_previous": ("; no answers in {period} to compare with.",
                        "; sem respostas {period} para comparar."),
    "points.one": ("{d} point", "{d} ponto"),
    "points.many": ("{d} points", "{d} pontos"),
    "nps_above": (", {d} above {period} ({ci}); {sig}.",
                  ", {d} acima do NPS {period} ({ci}); {sig}."),
    "nps_below": (", {d} below {period} ({ci}); {sig}.",
                  ", {d} abaixo do NPS {period} ({ci}); {sig}."),
    "nps_same": (", the same as {period} ({ci}); {sig}.",
                 ", igual ao NPS {period} ({ci}); {sig}."),
    "nps_small": (" Fewer answers than the minimum in a window: read the intervals, "
                  "not the point values.",
                  " Menos respostas que o mínimo em uma janela: leia os intervalos, "
                  "não os valores pontuais."),
    # revenue
    "bridge_none": ("No revenue bridge for the month.", "Sem ponte de receita para o mês."),
    "bridge_month": ("In {period}, NRR was **{nrr}** and GRR {grr}; net revenue churn "
                     "{nrc} and logo churn {logo} ({lost} of {accounts} paying accounts "
                     "lost; {logo_ci}).",
                     "Em {period}, o NRR foi **{nrr}** e o GRR {grr}; churn líquido de "
                     "receita {nrc} e churn de logos {logo} ({lost} de {accounts} contas "
                     "pagantes perdidas; {logo_ci})."),
    "bridge_census": (" NRR, GRR and net revenue churn count all accounts, not a sample, so "
                      "they carry no sampling interval; the interval on logo churn shows how "
                      "far a churn rate could move by chance with this many accounts.",
                      " NRR, GRR e churn líquido de receita contam todas as contas, não uma "
                      "amostra, e por isso não têm intervalo amostral; o intervalo do churn "
                      "de logos mostra quanto uma taxa de churn poderia variar por acaso com "
                      "esse número de contas."),
    "bridge_mrr": (" MRR went from {start} to {end} (new business {new}, reactivations "
                   "{react}, which are not part of NRR or GRR).",
                   " O MRR foi de {start} para {end} (novos negócios {new}, reativações "
                   "{react}, que não entram no NRR nem no GRR)."),
    "bridge_change_up": (" NRR was {d} above the previous month ({prev}).",
                         " O NRR ficou {d} acima do mês anterior ({prev})."),
    "bridge_change_down": (" NRR was {d} below the previous month ({prev}).",
                           " O NRR ficou {d} abaixo do mês anterior ({prev})."),
    "bridge_change_same": (" NRR was the same as the previous month ({prev}).",
                           " O NRR ficou igual ao do mês anterior ({prev})."),
    "bridge_trailing": (" Over the {months} months from {start} to {end}, NRR was {nrr} "
                        "and GRR {grr}.",
                        " Nos {months} meses de {start} a {end}, o NRR foi {nrr} "
                        "e o GRR {grr}."),
    # adoption
    "odds": ("Accounts using at least {k} of the {m} key features had **{or_} times the odds** "
             "of churning the next month ({ci}; {p}), holding the model's other variables "
             "fixed, over {n} account-months with {events} churns.",
             "Contas que usam pelo menos {k} dos {m} recursos-chave tiveram **{or_} vezes a "
             "chance** de churn no mês seguinte ({ci}; {p}), mantidas fixas as demais "
             "variáveis do modelo, em {n} contas-mês com {events} churns."),
    "odds_crosses": (" The interval includes 1, so the data are also compatible with no "
                     "association.",
                     " O intervalo inclui 1: os dados também são compatíveis com nenhuma "
                     "associação."),
    "odds_auc": (" The model's AUC is {auc}.", " A AUC do modelo é {auc}."),
    "association": (" This is an association, not proof of cause.",
                    " É uma associação, não prova de causa."),
    "odds_none": ("The model could not estimate an odds ratio for key-feature adoption.",
                  "O modelo não conseguiu estimar a razão de chances da adoção dos "
                  "recursos-chave."),
    "odds_unfitted": ("The churn model could not be fitted for this segment and month: "
                      "{reason}; instead of an adjusted odds ratio, the report shows the share "
                      "of accounts using each feature and the survival curves by adoption "
                      "band, which do not adjust for segment, plan, size or tenure.",
                      "O modelo de churn não pôde ser ajustado para este segmento e mês: "
                      "{reason}; em vez de uma razão de chances ajustada, o relatório mostra a "
                      "parcela de contas que usa cada recurso e as curvas de sobrevivência por "
                      "faixa de adoção, que não ajustam por segmento, plano, porte ou tempo de "
                      "casa."),
    # survival
    "logrank_one": ("Only one group: there is nothing to compare.",
                    "Só um grupo: não há o que comparar."),
    "logrank_nan": ("No churn events: the curves cannot be compared.",
                    "Sem eventos de churn: as curvas não podem ser comparadas."),
    "logrank_differ": ("The survival curves of the {k} groups differ by more than chance "
                       "would readily explain (log-rank chi² = {stat}, df = {df}, {p}).",
                       "As curvas de sobrevivência dos {k} grupos diferem mais do que o "
                       "acaso explicaria (log-rank qui² = {stat}, gl = {df}, {p})."),
    "logrank_same": ("The survival curves of the {k} groups do not differ by more than "
                     "chance would explain (log-rank chi² = {stat}, df = {df}, {p}).",
                     "As curvas de sobrevivência dos {k} grupos não diferem mais do que o "
                     "acaso explicaria (log-rank qui² = {stat}, gl = {df}, {p})."),
    # loops
    "corr_few": ("Too few weeks with answers ({n}) to relate weekly NPS and loop closure.",
                 "Poucas semanas com respostas ({n}) para relacionar o NPS semanal e o "
                 "fechamento de loops."),
    "corr_together": ("Weekly NPS and the share of loops closed within the SLA moved "
                      "together (Pearson r = {r} over {n} weeks, {p}).",
                      "O NPS semanal e a parcela de loops fechados no SLA andaram juntos "
                      "(r de Pearson = {r} em {n} semanas, {p})."),
    "corr_opposite": ("Weekly NPS and the share of loops closed within the SLA moved in "
                      "opposite directions (Pearson r = {r} over {n} weeks, {p}).",
                      "O NPS semanal e a parcela de loops fechados no SLA andaram em "
                      "direções opostas (r de Pearson = {r} em {n} semanas, {p})."),
    "corr_none": ("Weekly NPS and the share of loops closed within the SLA show no clear "
                  "relationship (Pearson r = {r} over {n} weeks, {p}).",
                  "O NPS semanal e a parcela de loops fechados no SLA não mostram relação "
                  "clara (r de Pearson = {r} em {n} semanas, {p})."),
    "correlation": (" A correlation is not proof that one drives the other.",
                    " Correlação não prova que um cause o outro."),
    # survey
    "survey_none": ("No invitations were sent in the window.",
                    "Nenhum convite foi enviado no período."),
    "survey": ("{sent} invitations in {waves} waves; {responded} answered within 30 days, a "
               "response rate of **{rate}** ({ci}).",
               "{sent} convites em {waves} ondas; {responded} respondidos em até 30 dias, "
               "taxa de resposta de **{rate}** ({ci})."),
    "survey_month": ("Response rate for {month}: of the {sent} invitations whose 30-day "
                     "response window closed in the month (sent {sent_from} to {sent_to}), "
                     "{responded} were answered: **{rate}** ({ci}).",
                     "Taxa de resposta de {month}: dos {sent} convites cuja janela de "
                     "resposta de 30 dias fechou no mês (enviados de {sent_from} a "
                     "{sent_to}), {responded} foram respondidos: **{rate}** ({ci})."),
    "survey_month_none": ("No invitation's 30-day response window closed in {month}.",
                          "Nenhum convite teve a janela de resposta de 30 dias fechada em "
                          "{month}."),
    "survey_provisional": (" Still collecting at the month's end (provisional, not in the "
                           "rate): {sent} invitations sent {sent_from} to {sent_to}, "
                           "{responded} answered so far.",
                           " Ainda recebendo respostas no fim do mês (provisório, fora da "
                           "taxa): {sent} convites enviados de {sent_from} a {sent_to}, "
                           "{responded} respondidos até agora."),
    # loops
    "loops_month": ("Of the {due} answers of {month} whose {sla}-day SLA had elapsed by the "
                    "month's end, **{met}** had their loop closed in time ({rate}) and "
                    "{missed} did not.",
                    "Das {due} respostas de {month} cujo SLA de {sla} dias venceu até o fim "
                    "do mês, **{met}** tiveram o loop fechado a tempo ({rate}) e {missed} "
                    "não."),
    "loops_pending": (" {pending} more were still inside their SLA at the month's end: "
                      "pending, neither met nor missed.",
                      " Outras {pending} ainda estavam dentro do SLA no fim do mês: "
                      "pendentes, nem cumpridas nem perdidas."),
    "loops_none": ("No NPS answers in {month}.", "Nenhuma resposta de NPS em {month}."),
    # headline names on the overview: the figure and its period
    "headline.period": ("{name}, {period}", "{name}, {period}"),
    "headline.days": ("{days} days", "{days} dias"),
    "headline.nrr": ("NRR", "NRR"),
    "headline.grr": ("GRR", "GRR"),
    "headline.net_revenue_churn": ("Net revenue churn", "Churn líquido de receita"),
    "headline.logo_churn": ("Logo churn", "Churn de logos"),
    "headline.loops": ("Loops closed in SLA", "Loops fechados no SLA"),
    "headline.churn_risk": ("Churn risk accounts", "Contas em risco de churn"),
    "headline.adoption_odds": ("Odds ratio of next-month churn, key-feature adopters",
                               "Razão de chances de churn no mês seguinte, quem adota os "
                               "recursos-chave"),
    "survey_mix": (" The largest gap between a wave's user-type mix and the whole base is "
                   "{gap} points.",
                   " A maior diferença entre o mix de tipos de usuário de uma onda e a base "
                   "toda é de {gap} pontos."),
    # review
    "review": ("Of {total} paying accounts, **{risk}** ({risk_pct}) look like churn risks and "
               "{attention} ({attention_pct}) need more meetings; {expand} ({expand_pct}) "
               "have room to expand.",
               "Das {total} contas pagantes, **{risk}** ({risk_pct}) parecem risco de churn e "
               "{attention} ({attention_pct}) precisam de mais reuniões; {expand} "
               "({expand_pct}) têm espaço para expandir."),
    "review_ltv": (" LTV/CAC: {items}.", " LTV/CAC: {items}."),
    "review_fcr": (" First-contact resolution is {rate} ({ci}, {n} resolved tickets).",
                   " A resolução no primeiro contato é de {rate} ({ci}, {n} tickets "
                   "resolvidos)."),
    "review_fcr_month": (" First-contact resolution over the {n} tickets resolved in {month} "
                         "is {rate} ({ci}).",
                         " A resolução no primeiro contato dos {n} tickets resolvidos em "
                         "{month} é de {rate} ({ci})."),
    "in": ("{value} in {group}", "{value} em {group}"),
    # plots
    "axis.nps": ("NPS", "NPS"),
    "axis.share": ("Share", "Parcela"),
    "axis.survival": ("Share still paying", "Parcela ainda pagante"),
    "axis.days_signup": ("Days since sign-up", "Dias desde a assinatura"),
    "axis.not_at_value": ("Share not yet at value", "Parcela ainda sem valor"),
    "title.ttv_curve": ("Share of accounts not yet at value (Kaplan-Meier, 95% CI)",
                        "Parcela de contas ainda sem valor (Kaplan-Meier, IC 95%)"),
    "axis.months": ("Months since first payment", "Meses desde o primeiro pagamento"),
    "axis.loops": ("Loops closed in SLA", "Loops fechados no SLA"),
    "axis.answers": ("answers", "respostas"),
    "axis.small": ("small sample", "amostra pequena"),
    "ci_band": ("95% CI", "IC 95%"),
    "axis.week_end": ("Week ending", "Semana até"),
    "axis.window_end": ("End of the rolling window", "Fim da janela móvel"),
    "axis.signup": ("Signup cohort", "Coorte de entrada"),
    "axis.answered": ("Period of the answer", "Período da resposta"),
    "axis.movement": ("Movement", "Movimento"),
    "axis.share_of_wave": ("Share of the wave's invitations",
                           "Parcela dos convites da onda"),
    "title.nps_trend": ("Rolling NPS with its 95% CI", "NPS móvel com IC 95%"),
    "title.nps_by_group": ("NPS by {group} with 95% CI", "NPS por {group} com IC 95%"),
    "title.cohort": ("NPS by signup cohort and period of the answer",
                     "NPS por coorte de entrada e período da resposta"),
    "title.waterfall": ("Revenue bridge: {period}", "Ponte de receita: {period}"),
    "title.rates": ("{rates} by {period}", "{rates} por {period}"),
    "title.survival": ("Share of accounts still paying (Kaplan-Meier, 95% CI)",
                       "Parcela de contas ainda pagantes (Kaplan-Meier, IC 95%)"),
    "title.forest": ("{estimate}s with 95% CI", "{estimate} com IC 95%"),
    "title.bar_rates": ("{y} by {x}", "{y} por {x}"),
    "title.loops": ("Weekly NPS and loops closed in SLA",
                    "NPS semanal e loops fechados no SLA"),
    "title.mix": ("User-type mix of each survey wave", "Mix de tipos de usuário de cada onda"),
    # table headers
    "col.ci": ("95% CI", "IC 95%"),
    "col.n": ("Answers", "Respostas"),
    "col.answers": ("Answers", "Respostas"),
    "col.nps": ("NPS", "NPS"),
    "col.ci_low": ("95% CI low", "IC 95% inferior"),
    "col.ci_high": ("95% CI high", "IC 95% superior"),
    "col.rest_n": ("Answers (rest)", "Respostas (demais)"),
    "col.rest_nps": ("NPS (rest)", "NPS (demais)"),
    "col.difference": ("Difference", "Diferença"),
    "col.p_value": ("p-value", "valor-p"),
    "col.p_value_holm": ("p-value (Holm)", "valor-p (Holm)"),
    "col.significant": ("Significant", "Significativo"),
    "col.small_sample": ("Small sample", "Amostra pequena"),
    "col.user_type": ("User type", "Tipo de usuário"),
    "col.segment": ("Segment", "Segmento"),
    "col.plan": ("Plan", "Plano"),
    "col.region": ("Region", "Região"),
    "col.feature": ("Feature", "Recurso"),
    "col.wave": ("Wave", "Onda"),
    "col.cohort": ("Signup cohort", "Coorte de entrada"),
    "col.term": ("Term", "Termo"),
    "col.category": ("Category", "Categoria"),
    "col.done": ("Loops closed", "Loops fechados"),
    "col.pending": ("Pending (SLA not yet elapsed)", "Pendentes (SLA ainda não venceu)"),
    "col.due": ("Due by the month's end", "Vencidas até o fim do mês"),
    "col.missed": ("Missed", "Perdidas"),
    "col.within_sla": ("Closed within SLA", "Fechados no SLA"),
    "col.share_done": ("Share closed", "Parcela fechada"),
    "col.share_within_sla": ("Closed in SLA, of those due", "No SLA, das vencidas"),
    "col.period": ("Period", "Período"),
    "col.start_mrr": ("Start MRR", "MRR inicial"),
    "col.new": ("New", "Novos"),
    "col.expansion": ("Expansion", "Expansão"),
    "col.contraction": ("Contraction", "Contração"),
    "col.churn": ("Churn", "Churn"),
    "col.reactivation": ("Reactivation", "Reativação"),
    "col.end_mrr": ("End MRR", "MRR final"),
    "col.grr": ("GRR", "GRR"),
    "col.nrr": ("NRR", "NRR"),
    "col.net_revenue_churn": ("Net revenue churn", "Churn líquido de receita"),
    "col.logo_churn": ("Logo churn", "Churn de logos"),
    "col.accounts_start": ("Paying accounts at start", "Contas pagantes no início"),
    "col.accounts_churned": ("Accounts lost", "Contas perdidas"),
    # the contract view counts contracts, the account view accounts (compare_views)
    "col.view_start": ("Paying at start (contracts or accounts, per view)",
                       "Pagantes no início (contratos ou contas, conforme a visão)"),
    "col.view_lost": ("Lost (contracts or accounts, per view)",
                      "Perdidos (contratos ou contas, conforme a visão)"),
    "col.view_logo_churn": ("Churn by count (lost / paying at start)",
                            "Churn por contagem (perdidos / pagantes no início)"),
    # LTV sums months: an account paying all year counts 12 times
    "col.account_months": ("Paying account-months", "Contas-mês pagantes"),
    "col.start_account_months": ("Account-months paying at start",
                                 "Contas-mês pagantes no início"),
    "col.churned_account_months": ("Account-months lost", "Contas-mês perdidas"),
    "col.view": ("View", "Visão"),
    "col.component": ("Component", "Componente"),
    "col.effect": ("Effect on NRR", "Efeito no NRR"),
    "col.base": ("From", "De"),
    "col.current": ("To", "Para"),
    "col.name": ("Account", "Conta"),
    "col.account_id": ("Account ID", "ID da conta"),
    "col.movement": ("Movement", "Movimento"),
    "col.previous_mrr": ("Previous MRR", "MRR anterior"),
    "col.mrr": ("MRR", "MRR"),
    "col.change": ("Change", "Variação"),
    "col.class": ("Class", "Classe"),
    "col.label": ("Review class", "Classe da revisão"),
    "col.accounts": ("Accounts", "Contas"),
    "col.share": ("Share", "Parcela"),
    "col.rule": ("Why", "Motivo"),
    "col.rate": ("Rate", "Taxa"),
    "col.response_rate": ("Response rate", "Taxa de resposta"),
    "col.sent": ("Sent", "Enviados"),
    "col.responded": ("Answered", "Respondidos"),
    "col.active_accounts": ("Active accounts", "Contas ativas"),
    "col.paying_accounts": ("Paying accounts (denominator)", "Contas pagantes (denominador)"),
    "col.fcr_n": ("Resolved tickets", "Chamados resolvidos"),
    "col.fcr": ("Resolved at first contact", "Resolvidos no primeiro contato"),
    "col.coef": ("Coefficient", "Coeficiente"),
    "col.se": ("Std. error", "Erro padrão"),
    "col.odds_ratio": ("Odds ratio", "Razão de chances"),
    "col.hazard_ratio": ("Hazard ratio", "Razão de riscos"),
    "col.arpa": ("ARPA", "ARPA"),
    "col.churn_rate": ("Monthly churn", "Churn mensal"),
    "col.ltv": ("LTV", "LTV"),
    "col.avg_cac": ("Mean CAC", "CAC médio"),
    "col.ltv_cac": ("LTV/CAC", "LTV/CAC"),
    # the page around a report (cslib.pages.render_html and its template)
    "page.overview": ("overview", "visão geral"),
    "page.segment": ("Segment", "Segmento"),
    "page.month": ("Month", "Mês"),
    "page.data_as_of": ("Data as of", "Dados até"),
    "page.contents": ("Contents", "Conteúdo"),
    "page.provenance": ("Provenance", "Proveniência"),
    "page.status": ("Status", "Status"),
    "page.notebook": ("Notebook", "Notebook"),
    "page.fingerprint": ("Data fingerprint", "Impressão dos dados"),
    "page.kit": ("Kit version", "Versão do kit"),
    "page.commit": ("Git commit", "Commit Git"),
    "page.parameters": ("Parameters", "Parâmetros"),
    "page.failing_cell": ("Go to the failing cell", "Ir para a célula que falhou"),
    "page.stopped": ("The run stopped at the next cell.",
                     "A execução parou na próxima célula."),
    "page.unknown": ("unknown", "desconhecida"),
    "page.status.no_data": ("Nothing to report.", "Nada a relatar."),
    "page.status.failed": ("This run failed.", "Esta execução falhou."),
    "page.status.timed_out": ("This run timed out.", "Esta execução excedeu o tempo."),
    "page.status.kernel_died": ("The kernel died during this run.",
                                "O kernel morreu durante esta execução."),
    "page.status.other": ("This run ended: {status}.", "Esta execução terminou: {status}."),
    # the month's overview (cslib.pages.render_index)
    "index.title": ("Customer Success reports", "Relatórios de Customer Success"),
    "index.month": ("Month", "Mês"),
    "index.data_as_of": ("Data as of", "Dados até"),
    "index.summary": ("{n} reports, {bad} not rendered cleanly",
                      "{n} relatórios, {bad} com problemas"),
    "index.not_finished": ("{n} run(s) did not finish.",
                           "{n} execução(ões) não terminaram."),
    "index.executed_notebook": ("executed notebook", "notebook executado"),
    "index.segment": ("Segment", "Segmento"),
    "index.notebook": ("Notebook", "Notebook"),
    "index.status": ("Status", "Status"),
    "index.report": ("Report", "Relatório"),
    "index.report_link": ("report", "relatório"),
    "index.notebook_link": ("notebook", "notebook"),
    "index.runs": ("Runs", "Execuções"),
    "index.runs_intro": ("Every run listed in manifest.json, with how it ended.",
                         "Todas as execuções registradas no manifest.json e como terminaram."),
    "index.duration": ("Duration", "Duração"),
    "index.seconds": ("{s} s", "{s} s"),
    "index.fingerprint": ("Data fingerprint", "Impressão dos dados"),
    "index.error": ("Error", "Erro"),
    "index.provenance": ("Provenance", "Proveniência"),
    "index.kit": ("Kit version", "Versão do kit"),
    "index.kit_code": ("Kit code (sha256)", "Código do kit (sha256)"),
    "index.commit": ("Git commit", "Commit Git"),
    "index.details": ("Details", "Detalhes"),
    "index.details_text": ("manifest.json beside this page lists every run's params, status "
                           "and package versions.",
                           "O manifest.json ao lado desta página lista os parâmetros, o status "
                           "e as versões dos pacotes de cada execução."),
    "status.ok": ("ok", "ok"),
    "status.no_data": ("no data", "sem dados"),
    "status.failed": ("failed", "falhou"),
    "status.timed_out": ("timed out", "tempo esgotado"),
    "status.kernel_died": ("kernel died", "kernel morreu"),
    # plots.py: chart legends, readable model terms and alt text
    "plot.collecting": ("still collecting answers", "ainda recebendo respostas"),
    "plot.partial": ("partial week", "semana parcial"),
    "plot.hidden_small": ("small sample (not shown)", "amostra pequena (não mostrada)"),
    "plot.intercept": ("Intercept", "Intercepto"),
    "plot.key_adopter": ("Uses {n}+ key features", "Usa {n}+ recursos-chave"),
    "plot.key_adopter_any": ("Uses the key features", "Usa os recursos-chave"),
    "plot.key_features": ("Key features used", "Recursos-chave usados"),
    "plot.alt.latest": ("latest {when}: {value}", "último {when}: {value}"),
    "plot.alt.range": ("highest {high}; lowest {low}", "maior {high}; menor {low}"),
    "plot.alt.cells": ("{rows} cohorts by {cols} periods; {small} cells with a small sample "
                       "hatched, not shown",
                       "{rows} coortes por {cols} períodos; {small} células com amostra "
                       "pequena hachuradas, sem valor"),
    "plot.alt.bridge": ("from {start} to {end}", "de {start} a {end}"),
    "plot.alt.waves": ("{n} waves", "{n} ondas"),
    "plot.alt.none": ("no data", "sem dados"),
    # report.table_html: the CSV download under every table
    "table.csv_link": ("Download the data (CSV)", "Baixar os dados (CSV)"),
    "table.csv_file": ("table", "tabela"),
    # journey (issue 17)
    "journey.ttv_median": ("Median time to value (accounts signed up to {month})",
                           "Mediana do tempo até o valor (contas até {month})"),
    "journey.ttv_share90": ("Share reaching value within 90 days (signed up to {month})",
                            "Parcela que chega ao valor em 90 dias (contas até {month})"),
    "journey.ttv_sentence": (
        "Half the accounts reach value within {median} days; {share} reach it within 90 "
        "days (95% interval {low} to {high}; Kaplan-Meier, accounts not there yet counted "
        "as still on their way).",
        "Metade das contas chega ao valor em até {median} dias; {share} chegam em 90 dias "
        "(intervalo de 95% de {low} a {high}; Kaplan-Meier, contas que ainda não chegaram "
        "contadas como a caminho)."),
    "journey.ttv_none": ("Fewer than half the accounts have reached value yet, so the median "
                         "time to value is not known.",
                         "Menos da metade das contas chegou ao valor até agora: a mediana "
                         "do tempo até o valor ainda não é conhecida."),
    "journey.hazard": (
        "Among accounts still paying at {landmark} months, {term} churn at {ratio} times the "
        "monthly rate of the others (95% interval {low} to {high}).",
        "Entre as contas que ainda pagavam aos {landmark} meses, {term} cancelam a {ratio} "
        "vezes a taxa mensal das demais (intervalo de 95% de {low} a {high})."),
    "journey.term.slow": ("accounts without value by day 90", "as contas sem valor até o dia 90"),
    "journey.term.hurried": ("accounts sold in under 30 days", "as contas vendidas em menos de 30 dias"),
    # health_review (report.health_summary, health_headlines, backtest_sentence and
    # health.tuned_sentence)
    "health.backtest": (
        "Of the accounts classed as {label} in {month}, {rate} {verb} by {until}, against "
        "{others} of the others: {ratio} times the rate.",
        "Das contas classificadas como {label} em {month}, {rate} {verb} até {until}, "
        "contra {others} das demais: {ratio} vezes a taxa."),
    "health.backtest_empty": ("No account was classed as {label} in {month}.",
                              "Nenhuma conta foi classificada como {label} em {month}."),
    "health.verb.churned": ("churned", "cancelaram"),
    "health.verb.contracted": ("contracted", "reduziram"),
    "health.verb.expanded": ("expanded", "expandiram"),
    "health.verb.stayed": ("stayed flat", "ficaram estáveis"),
    "health.score": (
        "The health score, fitted on {train} and tested on {test} only, ranks accounts with "
        "an AUC of {auc} ({ci}, resampled by account); calibration slope {slope} (1 is "
        "ideal), intercept {intercept}, Brier score {brier}; its top decile churns {lift} "
        "times the base rate of {base}.",
        "O score de saúde, ajustado em {train} e testado apenas em {test}, ordena as contas "
        "com AUC de {auc} ({ci}, reamostrado por conta); inclinação de calibração {slope} (o "
        "ideal é 1), intercepto {intercept}, Brier score {brier}; seu decil superior cancela "
        "{lift} vezes a taxa base de {base}."),
    "health.missing": ("Not enough history for the {name}: {why}",
                       "Histórico insuficiente para {name}: {why}"),
    "health.part.backtest": ("backtest", "o backtest"),
    "health.part.score validation": ("score validation", "a validação do score"),
    "health.part.loop effect": ("loop effect", "o efeito do loop"),
    "health.part.loop effect on passives": ("loop effect on passives",
                                            "o efeito do loop nos neutros"),
    "health.part.FCR driver": ("FCR driver", "o FCR como fator"),
    "health.loop": (
        "A call within the SLA {word} a change of {points} points ({ci}) in the chance that "
        "a detractor's next answer is a detractor again{how}",
        "Uma ligação dentro do SLA {word} uma variação de {points} pontos ({ci}) na chance "
        "de a próxima resposta de um detrator voltar a ser de detrator{how}"),
    "health.loop.association": ("is associated with", "está associada a"),
    "health.loop.causes": ("causes", "causa"),
    "health.loop.how_association": (
        " (an association: the calls were not assigned at random).",
        " (uma associação: as ligações não foram atribuídas ao acaso)."),
    "health.loop.how_holdout": (" (measured against a random holdout).",
                                " (medida contra um grupo de controle aleatório)."),
    "health.headline.auc": ("Health score AUC, out of time ({test})",
                            "AUC do score de saúde, fora do tempo ({test})"),
    "health.headline.lift": ("Churn-risk lift, {horizon} months ({months})",
                             "Lift do risco de churn, {horizon} meses ({months})"),
    "health.tuned": (
        "Thresholds ({thresholds}) chosen on {chosen_on} on the review months {train_start} "
        "to {train_end} to {objective}: recall {train_recall} calling {train_called} there; "
        "on the later months {test_start} to {test_end}, recall {test_recall} calling "
        "{test_called}.",
        "Limiares ({thresholds}) escolhidos em {chosen_on} nos meses de revisão de "
        "{train_start} a {train_end} para {objective}: recall de {train_recall} contatando "
        "{train_called} ali; nos meses seguintes, de {test_start} a {test_end}, recall de "
        "{test_recall} contatando {test_called}."),
    "health.tuned_objective": (
        "maximise recall of churn within {horizon} months among accounts classed as churn "
        "risk, calling at most {share} of accounts; ties by precision",
        "maximizar o recall do churn em até {horizon} meses entre as contas classificadas "
        "como risco de churn, contatando no máximo {share} das contas; empates pela "
        "precisão"),
    # the health score's components (health.COMPONENTS, the weights table's descriptions)
    "value.description.account NPS over the quarter's answers, -1..1 (0 without answers)": (
        "account NPS over the quarter's answers, -1..1 (0 without answers)",
        "NPS da conta nas respostas do trimestre, -1..1 (0 sem respostas)"),
    "value.description.no NPS answer in the quarter": (
        "no NPS answer in the quarter", "nenhuma resposta de NPS no trimestre"),
    "value.description.share of key features used in the month": (
        "share of key features used in the month",
        "parcela dos recursos-chave usados no mês"),
    "value.description.share of users active on the most-used key feature": (
        "share of users active on the most-used key feature",
        "parcela de usuários ativos no recurso-chave mais usado"),
    "value.description.at least 2 key features used in the month": (
        "at least 2 key features used in the month",
        "pelo menos 2 recursos-chave usados no mês"),
    "value.description.MRR change over 3 months, -1..1": (
        "MRR change over 3 months, -1..1", "variação do MRR em 3 meses, -1..1"),
    "value.description.FCR over the quarter's tickets, minus 0.70 (0 without tickets)": (
        "FCR over the quarter's tickets, minus 0.70 (0 without tickets)",
        "FCR dos tickets do trimestre, menos 0,70 (0 sem tickets)"),
    "value.description.log(1 + tickets opened in the quarter)": (
        "log(1 + tickets opened in the quarter)",
        "log(1 + tickets abertos no trimestre)"),
    "value.description.a detractor or passive answer of the quarter not called within the SLA": (
        "a detractor or passive answer of the quarter not called within the SLA",
        "uma resposta de detrator ou neutro do trimestre sem ligação dentro do SLA"),
    # brief.py and the account_brief notebook
    "brief.title": ("Quarterly review brief: {name}", "Resumo da revisão trimestral: {name}"),
    "brief.header": ("{account_id} · segment {segment} · plan {plan} · CSM {csm} · {month}",
                     "{account_id} · segmento {segment} · plano {plan} · CSM {csm} · {month}"),
    "brief.class": ("Proposed review class: **{cls} {label}**, because {rule}.",
                    "Classe proposta na revisão: **{cls} {label}**, porque {rule}."),
    "brief.evidence": ("MRR {mrr} ({change} over 3 months) · NPS {nps} on {answers} answers "
                       "in 90 days · adoption {adoption} of the key features · {tickets} "
                       "tickets in 3 months, FCR {fcr}.",
                       "MRR {mrr} ({change} em 3 meses) · NPS {nps} em {answers} respostas "
                       "em 90 dias · adoção de {adoption} dos recursos-chave · {tickets} "
                       "chamados em 3 meses, FCR {fcr}."),
    "brief.headroom": ("Headroom: {what}. Seats: {seats}.", "Espaço para crescer: {what}. "
                       "Licenças: {seats}."),
    "brief.products": ("Products held: {products}.", "Produtos contratados: {products}."),
    "brief.answers": ("{n} NPS answers in the last 180 days: {promoter} promoters, {passive} "
                      "passives, {detractor} detractors.",
                      "{n} respostas de NPS nos últimos 180 dias: {promoter} promotores, "
                      "{passive} neutros, {detractor} detratores."),
    "brief.products_not_held": ("products not held: {products}",
                                "produtos não contratados: {products}"),
    "brief.higher_plan": ("a higher plan", "um plano superior"),
    "brief.no_headroom": ("every product held", "todos os produtos contratados"),
    "brief.seats": ("{used} of {seats} in use", "{used} de {seats} em uso"),
    "brief.loops": ("Loops closed: {closed} of {answers} NPS answers followed up; {sla} within "
                    "the SLA.", "Ciclos fechados: {closed} de {answers} respostas de NPS com "
                    "retorno; {sla} dentro do SLA."),
    "brief.no_answers": ("No NPS answers in the last 180 days.",
                         "Nenhuma resposta de NPS nos últimos 180 dias."),
    "brief.no_verbatims": ("No comments.", "Nenhum comentário."),
    "brief.h.revenue": ("Revenue and products", "Receita e produtos"),
    "brief.h.nps": ("NPS and comments", "NPS e comentários"),
    "brief.h.usage": ("Feature usage against the segment", "Uso dos recursos frente ao segmento"),
    "brief.h.agenda": ("Suggested agenda", "Agenda sugerida"),
    "brief.agenda.risk": ("Open with the risk: {rule}. Agree a recovery plan with owners and "
                          "dates.", "Começar pelo risco: {rule}. Combinar um plano de "
                          "recuperação com responsáveis e datas."),
    "brief.agenda.attention": ("Review what needs attention: {rule}.",
                               "Revisar o que pede atenção: {rule}."),
    "brief.agenda.expand": ("Present the room to expand: {what}.",
                            "Apresentar o espaço para crescer: {what}."),
    "brief.agenda.mature": ("Confirm the value delivered and ask for a reference or a case "
                            "study.", "Confirmar o valor entregue e pedir uma referência ou "
                            "um caso de sucesso."),
    "brief.agenda.detractors": ("Go through the {n} detractor answers and what was done "
                                "about each.", "Repassar as {n} respostas detratoras e o que "
                                "foi feito em cada uma."),
    "brief.agenda.detractors.one": ("Go through the detractor answer and what was done "
                                    "about it.", "Repassar a resposta detratora e o que foi "
                                    "feito."),
    "brief.agenda.adoption": ("Plan the adoption of the key features not yet in use ({share} "
                              "in use).", "Planejar a adoção dos recursos-chave ainda não "
                              "usados ({share} em uso)."),
    "brief.agenda.mrr_down": ("Discuss the MRR change of {change} over 3 months.",
                              "Discutir a variação de MRR de {change} em 3 meses."),
    "brief.agenda.support": ("Review the {n} support tickets of the last 3 months (FCR "
                             "{fcr}).", "Revisar os {n} chamados dos últimos 3 meses (FCR "
                             "{fcr})."),
    "brief.agenda.next": ("Agree the next steps and the date of the next review.",
                          "Combinar os próximos passos e a data da próxima revisão."),
    "col.account_users": ("Account's users", "Usuários da conta"),
    "col.median_users": ("Segment median", "Mediana do segmento"),
    "col.segment_share": ("Segment accounts using", "Contas do segmento que usam"),
    "col.product": ("Product", "Produto"),
    "col.month": ("Month", "Mês"),
    "col.score": ("Score", "Nota"),
    "col.answered_at": ("Answered on", "Respondido em"),
    "col.comment": ("Comment", "Comentário"),
    "index.briefs": ("Account briefs by CSM", "Resumos de contas por CSM"),
    "index.briefs_count": ("{n} briefs", "{n} resumos"),
    "index.briefs_by_csm": ("{n} briefs, by CSM", "{n} resumos, por CSM"),
    "index.no_csm": ("No CSM", "Sem CSM"),
    "index.account": ("Account", "Conta"),
    "index.back": ("Back to the month's overview", "Voltar à visão geral do mês"),
}

#: The notebooks' prose: ``<notebook>.<section>`` -> (English, Portuguese) Markdown, a
#: heading and its paragraphs, shown by one :func:`cslib.report.section` call per section
#: (``<notebook>.title``: the notebook's title, an H1, and its introduction).
SECTIONS: dict[str, tuple[str, str]] = {
    # cohort_nps
    "cohort_nps.title": (
        "# Cohort NPS\n\nThe segment's Net Promoter Score for the month, its trend, where it "
        "differs (user type, plan, signup cohort), how the survey programme is running and "
        "whether loops are being closed. Every number below comes from `cslib`; the "
        "intervals are 95% confidence intervals.",
        "# NPS por coorte\n\nO Net Promoter Score do segmento no mês, sua tendência, onde ele "
        "difere (tipo de usuário, plano, coorte de entrada), como anda o programa de pesquisa "
        "e se os loops estão sendo fechados. Todos os números abaixo vêm do `cslib`; os "
        "intervalos são intervalos de confiança de 95%."),
    "cohort_nps.summary": ("## Summary", "## Resumo"),
    "cohort_nps.trend": (
        "## Rolling 90-day trend\n\nEach point is the NPS of the answers in the 90 days up "
        "to that week; a user who answered twice in a window counts once (the latest "
        "answer).",
        "## Tendência móvel de 90 dias\n\nCada ponto é o NPS das respostas dos 90 dias até "
        "aquela semana; um usuário que respondeu duas vezes em uma janela conta uma vez (a "
        "resposta mais recente)."),
    "cohort_nps.groups": (
        "## By user type and by plan\n\nThe answers of the same 90 days, each user's latest "
        "one, so the groups add up to the summary's answers. Each group is compared with the "
        "rest of the segment; \"significant\" means the difference would rarely arise by "
        "chance (5% level, corrected for every comparison on this page). Groups with fewer "
        "than 30 answers are drawn hollow: read them with care.",
        "## Por tipo de usuário e por plano\n\nAs respostas dos mesmos 90 dias, a mais "
        "recente de cada usuário, de modo que os grupos somam as respostas do resumo. Cada "
        "grupo é comparado com o restante do segmento; \"significativo\" quer dizer que a "
        "diferença raramente surgiria por acaso (nível de 5%, corrigido para todas as "
        "comparações desta página). Grupos com menos de 30 respostas aparecem vazados: "
        "leia-os com cuidado."),
    "cohort_nps.cohorts": (
        "## NPS by signup cohort\n\nRows are the quarter the account signed up, columns the "
        "quarter of the answer. Blank cells have no answers.",
        "## NPS por coorte de entrada\n\nAs linhas são o trimestre em que a conta entrou, as "
        "colunas o trimestre da resposta. Células em branco não têm respostas."),
    "cohort_nps.survey": (
        "## Survey programme health\n\nThe base is split into 12 waves with the same mix of "
        "user types; one wave is asked each week. An answer counts for its send when it "
        "arrives within 30 days, so the month's response rate is over the sends whose 30-day "
        "window closed in the month; sends still collecting answers are shown apart. The "
        "chart shows the waves sent in the last 90 days.",
        "## Saúde do programa de pesquisa\n\nA base é dividida em 12 ondas com o mesmo mix "
        "de tipos de usuário; uma onda é consultada por semana. Uma resposta conta para o seu "
        "envio quando chega em até 30 dias, então a taxa de resposta do mês é calculada sobre "
        "os envios cuja janela de 30 dias fechou no mês; envios que ainda recebem respostas "
        "aparecem à parte. O gráfico mostra as ondas enviadas nos últimos 90 dias."),
    "cohort_nps.mix": (
        "### The stratum mix of each wave\n\nEach bar is one wave's invitations split by "
        "user type. Waves built as designed have the same proportions as each other and as "
        "the whole base; the sentence above gives the largest gap.",
        "### O mix de estratos de cada onda\n\nCada barra são os convites de uma onda "
        "divididos por tipo de usuário. Ondas montadas como planejado têm as mesmas "
        "proporções entre si e em relação à base toda; a frase acima dá a maior diferença."),
    "cohort_nps.loops": (
        "## Closing the loop\n\nDetractors and passives should get a call, promoters an "
        "e-mail, within the SLA. The table counts the month's answers: an answer whose SLA "
        "had not run out by the month's end is pending, neither met nor missed. The chart "
        "follows weekly NPS against the share of loops closed in time; a last week that the "
        "month's end cuts short is left out of the correlation. The two moving together is "
        "an association, not proof that one drives the other.",
        "## Fechamento do loop\n\nDetratores e neutros devem receber uma ligação, promotores "
        "um e-mail, dentro do SLA. A tabela conta as respostas do mês: uma resposta cujo SLA "
        "não tinha vencido no fim do mês está pendente, nem cumprida nem perdida. O gráfico "
        "acompanha o NPS semanal contra a parcela de loops fechados a tempo; uma última "
        "semana cortada pelo fim do mês fica fora da correlação. Os dois andarem juntos é "
        "uma associação, não prova de que um cause o outro."),
    "cohort_nps.verbatims": (
        "## What detractors said\n\nThe most recent detractor comments in the window.",
        "## O que disseram os detratores\n\nOs comentários mais recentes de detratores no "
        "período."),
    "cohort_nps.caveats": ("## Caveats", "## Ressalvas"),
    # churn_decomposition
    "churn_decomposition.title": (
        "# Churn decomposition\n\nWhere recurring revenue came from and where it went: the "
        "revenue bridge for the month and the trailing 12 months, retention rates and their "
        "trends, the contract view against the account view, and which accounts moved most. "
        "Net Revenue Churn = (churn + contraction - expansion) / starting MRR; NRR = 1 - Net "
        "Revenue Churn; new business and reactivations are kept out of GRR and NRR "
        "(docs/metrics.md).",
        "# Decomposição do churn\n\nDe onde veio e para onde foi a receita recorrente: a "
        "ponte de receita do mês e dos últimos 12 meses, as taxas de retenção e suas "
        "tendências, a visão por contrato contra a visão por conta, e quais contas mais se "
        "moveram. Churn líquido de receita = (churn + contração - expansão) / MRR inicial; "
        "NRR = 1 - churn líquido de receita; novos negócios e reativações ficam fora do GRR "
        "e do NRR (docs/metrics.md)."),
    "churn_decomposition.summary": ("## Summary", "## Resumo"),
    "churn_decomposition.bridge": (
        "## The month's revenue bridge\n\nFrom the MRR at the start of the month to the MRR "
        "at its end. Churn and contraction are losses; new business and reactivations are "
        "shown but are not part of the retention rates.",
        "## A ponte de receita do mês\n\nDo MRR no início do mês ao MRR no fim dele. Churn e "
        "contração são perdas; novos negócios e reativações aparecem, mas não entram nas "
        "taxas de retenção."),
    "churn_decomposition.trailing": (
        "## The trailing 12 months\n\nThe accounts paying at the start of the 12 months, and "
        "what became of them: churn, contraction and expansion by their end. An account that "
        "churned in the window is lost even if it came back; what it pays again, and the MRR "
        "of accounts new in the window, are shown at the end as reactivation and new "
        "business, outside the retention rates. The rates in the summary are these bars' "
        "rates.",
        "## Os últimos 12 meses\n\nAs contas pagantes no início dos 12 meses e o que "
        "aconteceu com elas: churn, contração e expansão até o fim. Uma conta que deu churn "
        "na janela está perdida mesmo que tenha voltado; o que ela volta a pagar, e o MRR das "
        "contas novas na janela, aparecem no fim como reativação e novos negócios, fora das "
        "taxas de retenção. As taxas do resumo são as destas barras."),
    "churn_decomposition.rates": (
        "## Retention rates over time\n\nGross and net revenue retention per month, and logo "
        "churn (the share of paying accounts lost).",
        "## Taxas de retenção ao longo do tempo\n\nRetenção bruta e líquida de receita por "
        "mês, e churn de logos (a parcela de contas pagantes perdidas)."),
    "churn_decomposition.views": (
        "## Contract view against account view\n\nLosing one of two products is churn for "
        "that contract but contraction for the account, so the contract view shows more "
        "churn and less contraction.",
        "## Visão por contrato contra visão por conta\n\nPerder um de dois produtos é churn "
        "para aquele contrato, mas contração para a conta; por isso a visão por contrato "
        "mostra mais churn e menos contração."),
    "churn_decomposition.groups": ("## By plan and by region", "## Por plano e por região"),
    "churn_decomposition.decomposition": (
        "## What changed NRR\n\nThe change in NRR from the previous month, split into the "
        "part due to a different segment mix and the part due to each segment's own "
        "retention. The parts add up to the total change.",
        "## O que mudou o NRR\n\nA variação do NRR em relação ao mês anterior, dividida na "
        "parte devida a um mix diferente de segmentos e na parte devida à retenção de cada "
        "segmento. As partes somam a variação total."),
    "churn_decomposition.movers": ("## Accounts that churned or contracted most",
                                   "## Contas com maior churn ou contração"),
    # adoption_retention
    "adoption_retention.title": (
        "# Adoption and retention\n\nWhich features accounts use, and whether accounts that "
        "use the key features are retained better, after allowing for segment, plan, size "
        "and tenure. These are associations in observational data: they show where to look, "
        "not what causes churn.",
        "# Adoção e retenção\n\nQuais recursos as contas usam e se as contas que usam os "
        "recursos-chave são mais retidas, levando em conta segmento, plano, porte e tempo de "
        "casa. São associações em dados observacionais: mostram onde olhar, não o que causa "
        "o churn."),
    "adoption_retention.summary": ("## Summary", "## Resumo"),
    "adoption_retention.features": (
        "## Adoption per feature\n\nThe share of the accounts paying in the month that used "
        "each feature in it, with 95% intervals; paying accounts with no usage at all count "
        "as non-users (they are the ones to call).",
        "## Adoção por recurso\n\nA parcela das contas pagantes no mês que usou cada recurso "
        "nele, com intervalos de 95%; contas pagantes sem nenhum uso contam como não "
        "usuárias (são elas que devem receber uma ligação)."),
    "adoption_retention.survival": (
        "## Survival by adoption band\n\nKaplan-Meier curves: the share of accounts still "
        "paying after each month of life, by how many key features they used in the month. "
        "The log-rank test asks whether the curves differ by more than chance.",
        "## Sobrevivência por faixa de adoção\n\nCurvas de Kaplan-Meier: a parcela de contas "
        "ainda pagantes após cada mês de vida, por quantos recursos-chave usaram no mês. O "
        "teste log-rank verifica se as curvas diferem mais do que o acaso explicaria."),
    "adoption_retention.logit": (
        "## Logistic regression: churn next month\n\nOdds ratios below 1 mean lower odds of "
        "churning next month for accounts with that attribute, holding the others fixed. "
        "Bars are 95% intervals; an interval that crosses 1 is compatible with no "
        "association.",
        "## Regressão logística: churn no mês seguinte\n\nRazões de chances abaixo de 1 "
        "indicam menor chance de churn no mês seguinte para contas com aquele atributo, "
        "mantidos fixos os demais. As barras são intervalos de 95%; um intervalo que cruza 1 "
        "é compatível com nenhuma associação."),
    "adoption_retention.cox": (
        "## Cox model: hazard of churn\n\nThe same question as a survival model: hazard "
        "ratios below 1 mean a lower monthly risk of churn.",
        "## Modelo de Cox: risco de churn\n\nA mesma pergunta como modelo de sobrevivência: "
        "razões de riscos abaixo de 1 indicam menor risco mensal de churn."),
    "adoption_retention.honesty": (
        "## Reading this honestly\n\nAccounts that adopt the key features may differ in ways "
        "the model does not see (budget, the champion's energy, fit with the product). The "
        "association is a reason to encourage adoption and to watch low-adoption accounts; "
        "it is not proof that adoption alone prevents churn.",
        "## Lendo com honestidade\n\nContas que adotam os recursos-chave podem diferir de "
        "formas que o modelo não vê (orçamento, a energia do patrocinador, aderência ao "
        "produto). A associação é um motivo para incentivar a adoção e acompanhar as contas "
        "de baixa adoção; não é prova de que a adoção sozinha evita o churn."),
    "adoption_retention.caveats": ("## Caveats", "## Ressalvas"),
    # account_review
    "account_review.title": (
        "# Account review\n\nThe quarterly success review (RTS): a proposed class for every "
        "paying account, with the rule that placed it and its evidence, for the CS team to "
        "confirm. Then the economics (LTV against CAC) and support (first-contact "
        "resolution).",
        "# Revisão de contas\n\nA revisão trimestral de sucesso (RTS): uma classe proposta "
        "para cada conta pagante, com a regra que a definiu e sua evidência, para o time de "
        "CS confirmar. Depois, a economia (LTV contra CAC) e o suporte (resolução no "
        "primeiro contato)."),
    "account_review.summary": ("## Summary", "## Resumo"),
    "account_review.classes": ("## Proposed review classes", "## Classes de revisão propostas"),
    "account_review.risk": (
        "## Accounts at risk of churn and needing attention\n\nThe accounts in classes 4 and "
        "3, largest MRR first, with the rule that placed them. Account-level NPS marks a "
        "churn risk only when it rests on at least 3 answers; detractors with fewer answers "
        "still put the account here as needing attention, and the reason says so.",
        "## Contas em risco de churn e que precisam de atenção\n\nAs contas das classes 4 e "
        "3, maior MRR primeiro, com a regra que as definiu. O NPS da conta só indica risco de "
        "churn quando se apoia em pelo menos 3 respostas; detratores com menos respostas "
        "ainda colocam a conta aqui como precisando de atenção, e o motivo diz isso."),
    "account_review.expand": ("## Accounts with room to expand",
                              "## Contas com espaço para expandir"),
    "account_review.economics": (
        "## LTV and CAC\n\nLTV = ARPA x gross margin / monthly churn rate, with the churn "
        "rate's 95% interval carried through. CAC is the mean acquisition cost of accounts "
        "that signed up in the window.",
        "## LTV e CAC\n\nLTV = ARPA x margem bruta / taxa mensal de churn, com o intervalo de "
        "95% da taxa de churn propagado. O CAC é o custo médio de aquisição das contas que "
        "entraram na janela."),
    "account_review.fcr": (
        "## First-contact resolution\n\nThe share of the tickets resolved in the month that "
        "were solved at the first contact, overall and by plan (whenever they were opened).",
        "## Resolução no primeiro contato\n\nA parcela dos tickets resolvidos no mês que "
        "foram solucionados no primeiro contato, no total e por plano (qualquer que seja a "
        "data de abertura)."),
    "account_review.caveats": ("## Caveats", "## Ressalvas"),
    # journey
    "journey.title": (
        "# Before and after the sale: the sales funnel and time to value\n\nHow "
        "opportunities move through the sales stages, which are stalled, how long new "
        "customers take to reach value (go-live), and whether customers sold in a hurry or "
        "slow to value churn more. These are associations in observational data: they show "
        "where to look, not what causes churn.",
        "# Antes e depois da venda: o funil de vendas e o tempo até o valor\n\nComo as "
        "oportunidades avançam pelas etapas de venda, quais estão paradas, quanto tempo os "
        "novos clientes levam para chegar ao valor (go-live) e se os clientes vendidos às "
        "pressas ou lentos para chegar ao valor cancelam mais. São associações em dados "
        "observacionais: mostram onde olhar, não o que causa o churn."),
    "journey.summary": ("## Summary", "## Resumo"),
    "journey.funnel": (
        "## The sales funnel\n\nThe whole company's funnel (an opportunity belongs to no "
        "segment until it is won). Conversion from each stage to the next, among the "
        "opportunities decided there; those still open in a stage are counted apart, not as "
        "losses. Bars are 95% Wilson intervals.",
        "## O funil de vendas\n\nO funil da empresa inteira (uma oportunidade não pertence a "
        "nenhum segmento até ser ganha). A conversão de cada etapa para a seguinte, entre as "
        "oportunidades decididas ali; as que seguem abertas em uma etapa são contadas à "
        "parte, não como perdas. As barras são intervalos de Wilson de 95%."),
    "journey.in_stage": (
        "## Time in stage\n\nDays in each stage: median and 90th percentile, with "
        "opportunities still in a stage counted as \"still there\" (Kaplan-Meier), not "
        "dropped.",
        "## Tempo na etapa\n\nDias em cada etapa: mediana e percentil 90, com as "
        "oportunidades que ainda estão em uma etapa contadas como \"ainda lá\" "
        "(Kaplan-Meier), não descartadas."),
    "journey.stalled": (
        "## Stalled opportunities\n\nOpen opportunities in their stage longer than that "
        "stage's 90th percentile (or `stall_days`), longest first, and the load of open "
        "opportunities per seller.",
        "## Oportunidades paradas\n\nOportunidades abertas há mais tempo em sua etapa do que "
        "o percentil 90 daquela etapa (ou `stall_days`), as mais longas primeiro, e a carga "
        "de oportunidades abertas por vendedor."),
    "journey.ttv": (
        "## Time to value\n\nThe share of accounts that reached value after each day since "
        "sign-up (Kaplan-Meier: accounts not there yet count as on their way), and the share "
        "within 30, 60 and 90 days by plan and channel.",
        "## Tempo até o valor\n\nA parcela de contas que chegou ao valor após cada dia desde "
        "a entrada (Kaplan-Meier: contas que ainda não chegaram contam como a caminho), e a "
        "parcela em 30, 60 e 90 dias por plano e canal."),
    "journey.ttv_churn": (
        "## Time to value against churn\n\nFrom a landmark: accounts still paying at "
        "`landmark_months` months, banded by whether they had reached value by then, "
        "followed from there. Starting the clock at the landmark keeps accounts that churned "
        "before they could reach value out of the \"slow\" band (immortal-time bias).",
        "## Tempo até o valor contra churn\n\nA partir de um marco: as contas que ainda "
        "pagavam aos `landmark_months` meses, divididas em faixas conforme já tivessem ou não "
        "chegado ao valor, acompanhadas dali em diante. Começar a contagem no marco mantém "
        "fora da faixa \"lenta\" as contas que cancelaram antes de poder chegar ao valor "
        "(viés de tempo imortal)."),
    "journey.hurried": (
        "## Sold in a hurry against churn\n\nAccounts whose won opportunity closed in under "
        "30 days, against the others (from sign-up: the sales cycle is known then).",
        "## Vendas às pressas contra churn\n\nContas cuja oportunidade ganha fechou em menos "
        "de 30 dias, contra as demais (a partir da entrada: o ciclo de vendas já é conhecido "
        "nesse momento)."),
    "journey.honesty": (
        "## Reading this honestly\n\nSales cycle, time to value and churn all differ by "
        "segment; the Cox model holds the channel fixed but not everything else. A band with "
        "few accounts gives a wide interval: read the intervals, not only the point "
        "estimates.",
        "## Lendo com honestidade\n\nCiclo de vendas, tempo até o valor e churn variam todos "
        "por segmento; o modelo de Cox mantém o canal fixo, mas não todo o resto. Uma faixa "
        "com poucas contas dá um intervalo largo: leia os intervalos, não só as estimativas "
        "pontuais."),
    # health_review
    "health_review.title": (
        "# Health review\n\nDoes the success review work? Each past month's review classes "
        "against what happened next (churn, contraction, expansion); a health score from 0 "
        "to 100 validated out of time; the close-the-loop effect; FCR as a driver of NPS and "
        "churn. Every month is read with what was known at its end.",
        "# Revisão de saúde\n\nA revisão de sucesso funciona? As classes da revisão de cada "
        "mês passado contra o que aconteceu depois (churn, contração, expansão); um score de "
        "saúde de 0 a 100 validado fora do tempo; o efeito de fechar o loop; o FCR como "
        "fator do NPS e do churn. Cada mês é lido com o que se sabia no fim dele."),
    "health_review.summary": ("## Summary", "## Resumo"),
    "health_review.classes": (
        "## The review's classes against what happened\n\nPooled over the review months: of "
        "the accounts in each class, the share that churned within the horizon (Wilson 95% "
        "interval), the lift over the base rate and the ratio to the other classes. "
        "Account-months are pooled, so an account counts once per month.",
        "## As classes da revisão contra o que aconteceu\n\nSomando os meses de revisão: das "
        "contas em cada classe, a parcela que cancelou dentro do horizonte (intervalo de "
        "Wilson de 95%), o lift sobre a taxa base e a razão em relação às outras classes. Os "
        "meses-conta são somados, então uma conta conta uma vez por mês."),
    "health_review.churn_risk": (
        "### The churn-risk class as a prediction\n\nPrecision (churned among those flagged) "
        "and recall (flagged among those who churned), per horizon and segment.",
        "### A classe de risco de churn como previsão\n\nPrecisão (cancelaram entre as "
        "sinalizadas) e recall (sinalizadas entre as que cancelaram), por horizonte e "
        "segmento."),
    "health_review.score": (
        "## The health score, validated out of time\n\nFitted on older months only, "
        "evaluated on later months: discrimination (AUC, interval resampled by account), "
        "calibration (slope and intercept), Brier score and top-decile lift.",
        "## O score de saúde, validado fora do tempo\n\nAjustado só nos meses mais antigos e "
        "avaliado nos meses seguintes: discriminação (AUC, intervalo reamostrado por conta), "
        "calibração (inclinação e intercepto), Brier score e lift do decil superior."),
    "health_review.weights": (
        "### Components and weights\n\nLog-odds of churn per unit of each component "
        "(negative: healthier).",
        "### Componentes e pesos\n\nLog-odds de churn por unidade de cada componente "
        "(negativo: mais saudável)."),
    "health_review.loops": (
        "## Closing the loop\n\nDetractors (then passives) called within the SLA against "
        "late or never: the change in the chance that their next answer is a detractor "
        "(probability), and in churn over the horizon (log-odds), adjusted for the first "
        "score, segment and size. An association unless `loop_actions` has a holdout.",
        "## Fechamento do loop\n\nDetratores (e depois neutros) contatados dentro do SLA "
        "contra tarde ou nunca: a variação na chance de que a próxima resposta seja de "
        "detrator (probabilidade) e no churn dentro do horizonte (log-odds), ajustada pela "
        "primeira nota, pelo segmento e pelo porte. Uma associação, a menos que "
        "`loop_actions` tenha um grupo de controle."),
    "health_review.fcr": (
        "## FCR as a driver\n\nAccounts' first-contact resolution over the quarter against "
        "their next quarter's NPS answers (NPS points per unit of FCR) and their churn "
        "(log-odds), controlling for segment and size.",
        "## O FCR como fator\n\nA resolução no primeiro contato das contas no trimestre "
        "contra as respostas de NPS do trimestre seguinte (pontos de NPS por unidade de FCR) "
        "e o churn (log-odds), controlando por segmento e porte."),
    "health_review.caveats": ("## Caveats", "## Ressalvas"),
    # account_brief
    "account_brief.title": (
        "# Account brief\n\nThe account's page for its quarterly success review (RTS), on "
        "one printed page.",
        "# Resumo da conta\n\nA página da conta para a revisão trimestral de sucesso (RTS), "
        "em uma única página impressa."),
    "account_brief.summary": ("## Summary", "## Resumo"),
}
TEXT.update(SECTIONS)

#: Caveats raised inside the kit (:class:`cslib.exceptions.CslibWarning` keys).
WARNINGS: dict[str, tuple[str, str]] = {
    "warn.nps_small": ("Fewer than {min_n} answers in {where}: read the interval, not the "
                       "point NPS, or pool groups.",
                       "Menos de {min_n} respostas em {where}: leia o intervalo, não o NPS "
                       "pontual, ou agrupe grupos."),
    "warn.nps_small_all": ("Fewer than {min_n} answers in all ({n}): read the interval, not "
                           "the point NPS.",
                           "Menos de {min_n} respostas no total ({n}): leia o intervalo, não "
                           "o NPS pontual."),
    "warn.nps_groups_small": ("Fewer than {min_n} answers in {where}: their differences are "
                              "not called significant.",
                              "Menos de {min_n} respostas em {where}: suas diferenças não são "
                              "consideradas significativas."),
    "warn.nps_windows_small": ("Fewer than {min_n} answers in {windows}: read the intervals, "
                               "not the point change.",
                               "Menos de {min_n} respostas em {windows}: leia os intervalos, "
                               "não a variação pontual."),
    "warn.window.current": ("the current window, {start} to {end} ({n} answers)",
                            "a janela atual, de {start} a {end} ({n} respostas)"),
    "warn.window.previous": ("the previous window, {start} to {end} ({n} answers)",
                             "a janela anterior, de {start} a {end} ({n} respostas)"),
    "warn.and": (" and ", " e "),
    "warn.nps_points_small": ("{k} of {total} points rest on fewer than {min_n} answers: read "
                              "their intervals, not the points.",
                              "{k} de {total} pontos se apoiam em menos de {min_n} respostas: "
                              "leia seus intervalos, não os pontos."),
    "warn.cohort_small": ("{k} of {total} cohort cells have fewer than {min_n} answers.",
                          "{k} de {total} células de coorte têm menos de {min_n} respostas."),
    "warn.ltv_no_churn": ("No churn observed in {groups} over {months} months ending {last}: "
                          "their LTV is undefined and its upper bound infinite. Use a longer "
                          "window or pool segments.",
                          "Nenhum churn observado em {groups} nos {months} meses até {last}: "
                          "o LTV é indefinido e seu limite superior, infinito. Use uma janela "
                          "maior ou agrupe segmentos."),
    "warn.fcr_small": ("Fewer than {min_n} resolved tickets in {where}: read the interval, "
                       "not the point rate, or pool groups.",
                       "Menos de {min_n} tickets resolvidos em {where}: leia o intervalo, não "
                       "a taxa pontual, ou agrupe grupos."),
    "warn.fcr_small_all": ("Fewer than {min_n} resolved tickets in all ({n}): read the "
                           "interval, not the point rate.",
                           "Menos de {min_n} tickets resolvidos no total ({n}): leia o "
                           "intervalo, não a taxa pontual."),
    "warn.review_thin_class_3": ("{accounts} account(s) placed in class 3 on fewer than {k} "
                                 "NPS answers in {days} days: their detractor answers are an "
                                 "attention signal, but their NPS is not used for churn risk.",
                                 "{accounts} conta(s) na classe 3 com menos de {k} respostas "
                                 "de NPS em {days} dias: as respostas de detratores são um "
                                 "sinal de atenção, mas o NPS não é usado para risco de "
                                 "churn."),
    "warn.review_nps_180": ("{accounts} account(s) classified on NPS over {days} days (fewer "
                            "than {k} answers in the {window} days to the month's end).",
                            "{accounts} conta(s) classificada(s) pelo NPS de {days} dias "
                            "(menos de {k} respostas nos {window} dias até o fim do mês)."),
    # values shown in tables: value.<column>.<value>
    "value.movement.new": ("new", "novo"),
    "value.movement.expansion": ("expansion", "expansão"),
    "value.movement.contraction": ("contraction", "contração"),
    "value.movement.churn": ("churn", "churn"),
    "value.movement.reactivation": ("reactivation", "reativação"),
    "value.movement.flat": ("flat", "estável"),
    "value.category.promoter": ("promoter", "promotor"),
    "value.category.passive": ("passive", "neutro"),
    "value.category.detractor": ("detractor", "detrator"),
    "value.view.contracts": ("contracts", "contratos"),
    "value.view.accounts": ("accounts", "contas"),
    "value.component.mix": ("mix", "mix"),
    "value.component.total": ("total", "total"),
    # review classes (cslib.review.LABELS reads them)
    "review.class.1": ("Mature, no room to grow", "Maduro, sem espaço para crescer"),
    "review.class.2": ("Mature, room to expand MRR", "Maduro, com espaço para expandir"),
    "review.class.3": ("Not satisfied: more meetings", "Insatisfeito: mais reuniões"),
    "review.class.4": ("Churn risk", "Risco de churn"),
    # the overview's changes and digest (cslib.pages, cslib.changes)
    "index.change": ("Change from {prev}", "Variação desde {prev}"),
    "index.figure": ("Figure", "Indicador"),
    "index.value": ("Value", "Valor"),
    "index.ci": ("95% CI", "IC 95%"),
    "index.reports": ("Reports", "Relatórios"),
    "index.trend": ("12 months", "12 meses"),
    "index.noise": ("within noise", "dentro do ruído"),
    "index.no_previous": ("no previous month", "sem mês anterior"),
    "index.not_monthly": ("not compared (all months to date)",
                          "sem comparação (todos os meses até aqui)"),
    "index.trend_label": ("{name}, {start} to {end}: from {low} to {high}",
                          "{name}, de {start} a {end}: entre {low} e {high}"),
    "index.movements": ("The month's biggest movements", "Os maiores movimentos do mês"),
    "index.movement_up": ("{name} in {segment} rose {d} to {value} ({ci}).",
                          "{name} em {segment} subiu {d}, para {value} ({ci})."),
    "index.movement_down": ("{name} in {segment} fell {d} to {value} ({ci}).",
                            "{name} em {segment} caiu {d}, para {value} ({ci})."),
    "index.no_movements": ("No figure moved beyond noise from the previous month.",
                           "Nenhum número variou além do ruído em relação ao mês anterior."),
    "index.interval": ("95% CI {low} to {high}", "IC 95% {low} a {high}"),
    "index.pp": ("{d} pp", "{d} p.p."),
    "index.pts": ("{d} pts", "{d} pts"),
    "index.digest": ("Digest (text and e-mail)", "Resumo (texto e e-mail)"),
    "index.run_log": ("Run log", "Registro de execuções"),
    "digest.title": ("Customer Success, {month}", "Customer Success, {month}"),
    "digest.segment": ("Segment {segment}", "Segmento {segment}"),
    "digest.link": ("Reports: {href}", "Relatórios: {href}"),
}
TEXT.update(WARNINGS)

#: The review's reasons, English phrase -> Portuguese, applied longest first to the
#: ``rule`` texts :func:`cslib.review.success_review` writes (numbers keep their
#: order; :func:`reason_text` also swaps the decimal point).
REASON_PHRASES: dict[str, str] = {
    "NPS not used for risk": "NPS não usado para risco",
    "no risk or attention signal": "nenhum sinal de risco ou de atenção",
    "room to expand": "espaço para expandir",
    "no room": "sem espaço",
    "products not held": "produtos não contratados",
    "every product": "todos os produtos",
    "plan unknown": "plano desconhecido",
    "on top plan": "no plano mais alto",
    "no plan above": "nenhum plano acima de",
    "higher plan": "plano superior",
    "held by": "contratado por",
    "its segment": "seu segmento",
    "resolved tickets": "tickets resolvidos",
    "detractors": "detratores",
    "detractor": "detrator",
    "answers": "respostas",
    "answer": "resposta",
    "products": "produtos",
    "adoption": "adoção",
    "MRR down": "MRR caiu",
    "MRR up": "MRR subiu",
    "over 180 days": "em 180 dias",
    "seats": "assentos",
    "in use": "em uso",
    "days": "dias",
    "plan": "plano",
    "and": "e",
    "of": "de",
    "in": "em",
    "on": "em",
}


def reason_text(reason: str, locale: str) -> str:
    """A review reason in ``locale`` (written in English by :mod:`cslib.review`).

    Examples
    --------
    >>> reason_text("NPS -40 (≤ -30); adoption 12.5% (< 20%)", "pt-BR")
    'NPS -40 (≤ -30); adoção 12,5% (< 20%)'
    >>> reason_text("NPS not used for risk: 1 answer in 180 days (< 3)", "pt-BR")
    'NPS não usado para risco: 1 resposta em 180 dias (< 3)'
    """
    import re

    if locale == "en" or not isinstance(reason, str):
        return reason
    phrases = sorted(REASON_PHRASES, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(p) for p in phrases)
                         + r")(?![\w-])|(\d),(\d)|(\d)\.(\d)")

    def swap(m):
        if m.group(1):
            return REASON_PHRASES[m.group(1)]
        if m.group(2):
            return f"{m.group(2)}.{m.group(3)}"
        return f"{m.group(4)},{m.group(5)}"

    return pattern.sub(swap, reason)


def text(key: str, locale: str, **fields) -> str:
    """The fixed text ``key`` in ``locale`` (one of :data:`LOCALES`), ``fields`` filled in.

    Fields are inserted as given: escape data-derived ones first.

    Raises
    ------
    KeyError
        ``key`` is not in the catalogue.

    Examples
    --------
    >>> text("index.runs", "pt-BR")
    'Execuções'
    >>> text("index.seconds", "en", s="1.5")
    '1.5 s'
    """
    try:
        pair = TEXT[key]
    except KeyError:
        raise KeyError(f"unknown text key {key!r}; add it to cslib.i18n.TEXT "
                       "in both languages.") from None
    value = pair[LOCALES.index(locale)]
    return value.format(**fields) if fields else value
