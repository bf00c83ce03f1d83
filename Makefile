# ansinh — the two set-up commands are `make demo` and `make test`.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DEMO_PEOPLE ?= 60000
ADDR ?= 127.0.0.1:8000

.PHONY: install demo test serve clean

# The demo is a demo installation: demo helpers on, its own random key made once in var/secret_key.
# A real site sets SECRET_KEY (and never ANSINH_DEMO) in its environment instead.
demo serve: export ANSINH_DEMO = 1

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

# Creates .venv, installs, migrates the embedded database, loads reference and demo data,
# starts the site at http://$(ADDR) and prints the demo logins after the server's banner (so they stay in view)
# ANSINH_DEMO=1: the demo helpers (a fabricated provider result file) exist in this installation only.
demo: install
	@echo "Khởi tạo cơ sở dữ liệu và danh mục đơn vị hành chính…"
	@$(BIN)/ansinh init
	@echo "Tạo dữ liệu dùng thử ($(DEMO_PEOPLE) đối tượng)…"
	@ANSINH_DEMO=1 $(BIN)/ansinh demo setup --people $(DEMO_PEOPLE) --no-logins
	@ANSINH_DEMO=1 $(BIN)/ansinh serve --addr $(ADDR) --logins

# The whole suite on SQLite, then on PostgreSQL when one answers (DATABASE_URL or 127.0.0.1:5432).
test: install
	$(BIN)/python scripts/run_tests.py

serve: install
	ANSINH_DEMO=1 $(BIN)/ansinh serve --addr $(ADDR)

clean:
	rm -rf $(VENV) var
