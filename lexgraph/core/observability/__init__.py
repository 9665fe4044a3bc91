"""What operators watch: Prometheus series, their exposition, and structured (JSON) logs.

Counters and histograms are defined once in ``metrics``; the code that does the work (the
job runner, the lifecycle sweeper, webhook delivery, the LLM meter, the guard hook, the API's
request middleware) calls one recording function each. Gauges that describe shared state
(queue depths, per-tenant jobs) are read at scrape time by ``collectors``.
"""
