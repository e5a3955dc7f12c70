"""Billing-system adapters: CLI, staff upload, push API and scheduled pull all bring an
lk-billing/1 package to the same core importer (lk_core.billing.services)."""
