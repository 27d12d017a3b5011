"""The run ledger: every real run, from every laptop and every Actions job, shared in Git.

`record` is one run as the ledger keeps it (and the checks on records others wrote),
`branch` reads and writes the ledger branch, `settings` is its part of `[tool.autokit]`,
`summary` turns records into the figures the catalog and `autokit report` show, and
`sharing` sends the local history's records (`autokit runs push`, `share_runs`).
"""
