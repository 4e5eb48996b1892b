"""Deterministic generator of the embedded corpus: fictional 10-K tables and FinQA-style items.

Run ``python -m finbehave.data.generate [--out DIR] [--seed N]``; the default output is the
package's ``embedded`` directory, which ``tests/test_dataset.py`` checks is reproduced byte for
byte. The modules, in the order data flows through them:

- ``schema``: the tables as data (XBRL-style table names, column-name variants and labels);
- ``world``: industries, the companies, and the simulation of their statements;
- ``questions``: the gold-SQL builder and phrasing the templates share;
- ``single_table`` / ``multi_table``: the templates of the ``finqa`` / ``finqa_reasoning`` tasks;
- ``assembly``: drafting items to quota, computing gold answers in DuckDB, and writing.
"""
