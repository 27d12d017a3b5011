"""The catalog: a searchable site of every automation, generated at build time.

`model.collect` gathers metadata, README, CHANGELOG and Git history (one pass each);
`pages.generate` turns that into Markdown pages whose contributor text is already
escaped or sanitized HTML; `data.catalog_json` is the machine-readable twin. None of these
import MkDocs: only `plugin` does, so another site engine could use the same pages.
"""
