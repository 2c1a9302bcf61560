"""Bulk import of accounts, contacts and transactions from CSV or Excel (issue 3).

The life of an import (``ImportJob``): upload (the file is sniffed: CSV in UTF-8 / UTF-8 with BOM /
GB18030 with its delimiter, or xlsx; anything else is refused before a row is stored) → mapping
(target field → source column, pre-filled from the headers, with a preview) → a Celery task runs
``import_run``:

* the file is **streamed** (csv.reader over a text wrapper; openpyxl in read-only mode), never
  loaded whole, and processed in batches of ``IMPORT_BATCH_SIZE`` rows;
* every row is checked with the **same rules as the services**: each value goes through its model
  field's own ``clean()`` (choices, lengths, the USCC check character, the phone and email
  validators, numbers, dates), and the cross-row rules (external ids unique in the file and the
  tenant, accounts referenced by external id and visible to the importer, the owner an active
  member, parents in the tenant or in the same file) are checked per batch with a few set-based
  queries;
* valid rows are written per batch by one ``INSERT … ON CONFLICT (tenant_id, external_id) DO
  UPDATE … WHERE (cols) IS DISTINCT FROM (EXCLUDED cols)``: only the mapped columns are updated and
  only rows that differ are written, so importing the same file twice changes nothing;
* the whole import is **one database transaction**: a crash leaves nothing half-done. In
  ``all_or_nothing`` mode a first streaming pass validates everything and any failure rejects the
  file before anything is written; in ``valid_only`` mode the valid rows are written and the failed
  ones are listed in a downloadable CSV (the original columns plus an ``errors`` column).

Progress is written through a **second, autocommit database connection** (``_SideConnection``):
an UPDATE on the import transaction's own connection would stay invisible to the page polling it
until the very end. The job row is the single source of truth for the page, so no Redis key has to
be kept in step with it, and the same session holds the advisory lock that keeps two deliveries of
one task from running at once.

The package has the shape of every unit — ``models`` (ImportJob), ``services`` (create a job,
start it), ``selectors`` (the jobs an actor may see), ``views``, ``forms``, ``urls``, ``tasks`` —
and the import engine: ``specs`` (what each kind can import and the suggested mapping), ``files``
(sniffing and streaming CSV / xlsx files), ``rows`` (the failed-rows report, the row and its field
cleaners), ``batcher`` (validating and upserting one batch) and ``run`` (``import_run`` itself and
the benchmark entry point). This module imports nothing (Django loads ``models`` through it).
"""
