"""Learning from reviewers and measured recall: statistics, QA samples, trained relevance
models, continuous active learning. Pure decisions live in ``stats``, ``labels``, ``metrics``
and ``features``; services reach the store only through ``sichter.store``.

How other stages use it (all functions take a session or session factory and a case id):

- AI triage's ``sichter rescore``: ``learn.active.relevance_scores(session, case_id)`` ->
  {content_id: probability} from the promoted model, None when none is promoted; raises
  ``registry.UnloadableModel`` (a UsageError) when it cannot be loaded safely;
  ``learn.active.category_suggestions`` likewise for categories; ``learn.active.active_version``
  for the provenance to record.
- Review workspace, after each committed decision: ``learn.active_learning.after_decision(
  sessions, case_id, every=K)`` (returns at once; re-ranks in a background thread every K
  decisions). Order the unreviewed queue by ``learned_priority.score`` where present, else
  triage priority / 100 — ``learn.ranking.case_ranking`` gives exactly that.
- Review workspace, QA queue: ``learn.qa.qa_queue(session, case_id)`` -> content ids of the
  newest QA sample still to review, in draw order; decide them with source "qa".
- Reports: ``sichter.report.pdf.case_figures`` collects what the case report states.
"""
