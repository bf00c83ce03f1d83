"""Vietnamese number formats: Django's `vi` locale leaves NUMBER_GROUPING unset, so `intcomma`
grouped nothing (46693750000 đồng). Amounts read 46.693.750.000 đ, counts 60.723."""
from django.conf.locale.vi.formats import *  # noqa: F403

DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
