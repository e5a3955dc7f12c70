"""Payment acquirer adapters: Stripe, YooKassa, the built-in sandbox and "none"."""
