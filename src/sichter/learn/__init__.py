"""Learning from reviewers and measured recall: statistics, QA samples, trained relevance
models, continuous active learning. Pure decisions live in ``stats``, ``labels`` and
``features``; services reach the store only through ``sichter.store``."""
