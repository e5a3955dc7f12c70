"""The lk-billing/1 importer: one core used by every adapter (CLI, upload, push, pull).

Flow: open the package (directory or zip) -> COPY each CSV into a temporary staging table
as raw text with its line number -> check formats, duplicates, references and the money
identities in SQL over the staging tables -> if nothing is wrong, upsert into the tenant's
tables with set-based SQL, all in one transaction under a per-tenant advisory lock."""
