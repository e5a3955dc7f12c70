"""SMS gateway adapters implementing lk_core.notifications.gateways.SmsGateway."""
