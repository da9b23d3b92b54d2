"""The booking-system API under /api/v1/: API keys per clinic, appointments in (each gets
its reminders like one entered in admin), calls out, RFC 9457 problem details for every
error, OpenAPI 3 at /api/schema/ and docs at /api/docs/."""
