"""Every recipient concern: clients, their status (one writer), import and export, lists,
tags, fields, segments, consent, subscribe and unsubscribe, privacy, suppression."""
