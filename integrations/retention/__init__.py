"""Nothing kept too long: the retention purge and the erasure of one number.

- ``purge`` (daily by schedule, ``manage.py purge_personal_data [--dry-run]``): raw webhook
  bodies and headers after DELIVERY_RETENTION_DAYS; transcripts, summaries, message texts,
  patient names of past appointments, raw order bodies and every phone number after
  PERSONAL_DATA_RETENTION_DAYS. What the figures need stays: calls with their direction,
  status, times and duration, messages with their status, appointments with their status,
  orders with their items and amount, jobs with their state — numbers masked as
  ``010-****-5678``.
- ``forget`` (``manage.py forget_number 010-1234-5678``): the same for one person now,
  everywhere, raw bodies included.

Both are idempotent (masked values no longer match) and report what they changed.
"""
