"""English dates for residents of Russian utilities (settings.FORMAT_MODULE_PATH; names not
set here are Django's English ones): day, month name and year, never the American
month/day order a reader abroad could take the other way round, and 24-hour times as the
utility's dispatch service and the Russian pages give them. Russian keeps Django's
`10.11.2026` and `10.11.2026 12:05`."""

SHORT_DATE_FORMAT = "j M Y"  # 10 Nov 2026, 1 Nov 2026
SHORT_DATETIME_FORMAT = "j M Y H:i"  # 10 Nov 2026 12:05
DATE_FORMAT = "j F Y"  # 10 November 2026
DATETIME_FORMAT = "j F Y, H:i"
TIME_FORMAT = "H:i"
