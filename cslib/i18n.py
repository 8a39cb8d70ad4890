"""The kit's fixed text in every report language: one catalogue for the reports
(:mod:`cslib.report`) and the month's overview (:mod:`cslib.pages`).

Kept apart from :mod:`cslib.report` so that the batch can write the overview
without importing pandas.
"""

from __future__ import annotations

__all__ = ["LOCALES", "TEXT", "text"]

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
