"""The catalog: a searchable site of every automation, generated at build time.

`model` gathers metadata, README, CHANGELOG and Git history into typed records (one pass
each); `pages.generate` turns them into Markdown pages whose contributor text is already
escaped or sanitized HTML; `build` runs the gathering (in worker processes for large
repositories, with the metadata cache) and renders automation pages beside it;
`data.catalog_json` is the machine-readable twin. None of these import MkDocs: only
`plugin` does, so another site engine could use the same pages.
"""
