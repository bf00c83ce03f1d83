"""Importing commune lists into the registry.

* ``files.import_file``: one list file, one transaction; ``files.list_files``: a folder's lists.
* ``importer.Importer``: the set-based write of one read list; ``prepare``: one row made ready
  (checks, residence, enrolment, account); ``residence``: addresses to units of both maps;
  ``writer``: inserts without an ORM object per row.

Rules of an import
------------------
* One transaction per file: a file that fails midway leaves nothing behind.
* Idempotent by content: the SHA-256 of the file is unique on ImportBatch. Importing
  the same bytes again changes nothing and returns the earlier batch's report with
  ``"already_imported": true`` (re-applying could silently undo fixes made in the
  review queue since the first import).
* Every source row is accounted for: ``rows == imported + updated + rejected``.
  - imported: a new person;
  - updated: matched to a known person by exact keys, in this order: the 12-digit
    id_number, the 9-digit legacy CMND, (name_key, dob, commune) — the commune being the
    current commune, or the unit as written when the current one is not known yet;
    a stored person with another ID is never matched on name and date of birth.
    (Probabilistic matching comes later.)
  - rejected, with reasons: no name; neither a usable ID nor a date of birth; a second
    row of the same file for the same person (same ID, or same name/dob/commune, or
    matched to the same stored person); a row outside the importing user's scope.
* Set-based: persons are looked up with one query per 2,000 rows per key (ID, CMND, and
  (dob, name_key) pairs joined against a VALUES list); new rows are written by the Writer
  (executemany / multi-row INSERT … RETURNING on SQLite, COPY on PostgreSQL, no ORM object
  per row), changed rows with bulk_update (batch 2,000); history rows (through
  ansinh.registry.history.log_changes) and issues likewise.
  On SQLite the importing connection gets a bigger page cache and fewer WAL checkpoints
  (``files._tune_sqlite``). Measured (bench/import.py, 60,000 people, 194 files, 62,700 rows, shared
  machine at load 5-7, A/B against the previous code): SQLite 26-39 s wall / 21-23 s CPU
  (was 49-63 s / 26-27 s); PostgreSQL ~21.6 s CPU (was 24.7 s), wall dominated by the server.
* A person already registered in another commune keeps their residence (a second list
  does not prove a move); the row is "updated" and gets a DUPLICATE_LISTED warning.

Scope: a commune officer imports only lists of their own commune (the file's commune must
be in their scope) and rows that resolve, or match a person, elsewhere are rejected with
"Ngoài phạm vi của bạn" (outside your scope). The command line imports as
``ansinh.core.roles.OPERATOR`` (everything); ``user=None`` is nobody and is refused.
"""
