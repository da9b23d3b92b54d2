-- The large log bench/admin_pages.py times admin against (:calls is replaced by the count).
-- Shapes follow a busy clinic: 70% inbound, most calls completed, about one in six missed,
-- numbers spread over the whole mobile range, a year of history.
INSERT INTO calls_call (call_id, direction, from_number, to_number, from_raw, to_raw, status,
    status_rank, duration, answered_by, hangup_cause, hangup_source, recording_url,
    started_at, ended_at)
SELECT 'CA' || substr(md5(i::text), 1, 24),
       CASE WHEN inbound THEN 'inbound' ELSE 'outbound' END,
       CASE WHEN inbound THEN customer ELSE clinic END,
       CASE WHEN inbound THEN clinic ELSE customer END,
       '', '', status, 0,
       CASE WHEN status = 'completed' THEN CASE WHEN r5 < 0.03 THEN 0 ELSE (r5 * 900)::int END END,
       CASE WHEN status = 'completed' THEN CASE WHEN r5 < 0.8 THEN 'human' ELSE 'machine' END
            ELSE '' END,
       '', '', '', started, started + interval '2 minutes'
FROM (
    SELECT i, r1 < 0.7 AS inbound,
           '010' || lpad((floor(r2 * 100000000))::bigint::text, 8, '0') AS customer,
           '070523' || lpad((floor(r3 * 5))::int::text, 5, '0') AS clinic,
           CASE WHEN r4 < 0.75 THEN 'completed' WHEN r4 < 0.85 THEN 'no-answer'
                WHEN r4 < 0.90 THEN 'busy' WHEN r4 < 0.93 THEN 'failed'
                WHEN r4 < 0.95 THEN 'rejected' WHEN r4 < 0.96 THEN 'canceled'
                WHEN r4 < 0.98 THEN 'in-progress' ELSE 'ringing' END AS status,
           r5, now() - r6 * interval '365 days' AS started
    FROM (SELECT i, random() r1, random() r2, random() r3, random() r4, random() r5,
                 random() r6 FROM generate_series(1, :calls) i) AS draws
) AS calls;
INSERT INTO calls_webhookdelivery (received_at, scheme, content_type, headers, url, body, kind,
    outcome, error, call_id)
SELECT now() - random() * interval '365 days', 'x-signature',
       'application/x-www-form-urlencoded', '{}', 'https://clinic.example.com/webhooks/clawops/',
       convert_to('CallId=CA' || i, 'UTF8'),
       CASE WHEN i % 10 = 0 THEN 'transcript' ELSE 'call_status' END,
       CASE WHEN i % 1000 = 0 THEN 'failed' WHEN i % 5 = 0 THEN 'duplicate'
            ELSE 'processed' END,
       CASE WHEN i % 1000 = 0 THEN 'Traceback: ValueError' ELSE '' END,
       1 + (i::bigint * 7919) % :calls
FROM generate_series(1, :calls) i;
INSERT INTO calls_message (message_id, direction, type, status, status_rank, from_number,
    to_number, from_raw, to_raw, subject, body, media_urls, account_id, created_at)
SELECT 'SM' || substr(md5(i::text), 1, 24), 'outbound', 'sms',
       CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'sent' END, 0, '07052300001',
       '010' || lpad((floor(random() * 100000000))::bigint::text, 8, '0'), '', '', '',
       '[강남연세치과] 내일 오전 10시 예약 안내입니다.', '[]', 'AC_bench',
       now() - random() * interval '365 days'
FROM generate_series(1, :calls / 5) i;
INSERT INTO integrations_job (kind, subject, group_key, call_id, state, attempts,
    next_attempt_at, last_error, payload, result, created_at, updated_at, finished_at)
SELECT CASE WHEN i % 2 = 0 THEN 'crm.activity' ELSE 'clawops.artifacts' END,
       'CA' || substr(md5(i::text), 1, 24), '', i,
       CASE WHEN i % 200 = 0 THEN 'failed' ELSE 'done' END, 1, created, '', '{}', '{}',
       created, created, created
FROM (SELECT i, now() - random() * interval '365 days' AS created
      FROM generate_series(1, :calls / 2) i) AS jobs
