"""``python -m finbehave.data.generate [--out DIR] [--seed N]``: write the embedded dataset."""

from finbehave.data.generate.assembly import main

main()
