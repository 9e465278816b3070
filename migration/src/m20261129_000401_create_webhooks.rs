//! Webhooks: partner endpoints, the outbox of edition events written in the transaction that
//! caused them, one delivery per event and subscribed endpoint, and every attempt made.
crate::sql_migration!(
    up: r#"
            CREATE TABLE webhooks (
                id          serial PRIMARY KEY,
                url         text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2048),
                events      text[] NOT NULL CHECK (
                                cardinality(events) > 0
                                AND events <@ ARRAY['EDITION_PUBLISHED', 'EDITION_REOPENED',
                                                    'EDITION_DELETED']),
                -- the HMAC key itself: signing needs it, so unlike API keys it cannot be a digest
                secret      text NOT NULL,
                created_at  timestamptz NOT NULL DEFAULT now(),
                created_by  text NOT NULL
            );

            -- the outbox: written in the same transaction as the change it announces
            CREATE TABLE webhook_events (
                id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                event       text NOT NULL CHECK (event IN ('EDITION_PUBLISHED', 'EDITION_REOPENED',
                                                           'EDITION_DELETED')),
                occurred_at timestamptz NOT NULL DEFAULT now(),
                -- the JSON body every subscribed endpoint receives, byte for byte on each retry
                body        text NOT NULL
            );

            CREATE TABLE webhook_deliveries (
                id              bigserial PRIMARY KEY,
                event_id        uuid NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
                webhook_id      integer NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
                status          text NOT NULL DEFAULT 'PENDING'
                                CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
                attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                -- when a worker may (re)try: a claim moves it forward by a lease, so that a
                -- server that dies mid-delivery hands the delivery on to another
                next_attempt_at timestamptz NOT NULL DEFAULT now(),
                delivered_at    timestamptz,
                UNIQUE (event_id, webhook_id)
            );
            CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
                WHERE status = 'PENDING';
            CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id);

            CREATE TABLE webhook_attempts (
                id           bigserial PRIMARY KEY,
                delivery_id  bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
                attempted_at timestamptz NOT NULL DEFAULT now(),
                -- the HTTP status of the answer; null when there was none (refused, timed out)
                status_code  integer,
                duration_ms  integer NOT NULL CHECK (duration_ms >= 0),
                error        text
            );
            CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, id);
            "#,
    down: "DROP TABLE webhook_attempts, webhook_deliveries, webhook_events, webhooks;",
);
