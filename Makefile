# Waymark: two commands.
#   make run    set everything up and run Waymark (web + worker) on http://127.0.0.1:8000
#   make test   run the whole test suite (lint, import contracts, SQLite, and PostgreSQL when reachable)
.PHONY: run test
run:
	@bash scripts/run.sh
test:
	@bash scripts/test.sh
