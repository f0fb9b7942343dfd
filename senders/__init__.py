"""Who a mailing comes from: sender addresses, domains with their DNS checks, and the
DKIM keys that sign each email."""
