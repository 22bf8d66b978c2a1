-- The alert store: one row per alert, keyed by the alert id, so a replayed alert inserts nothing.
-- Searches always carry a time range and sort by (ts, id): the btree on (ts, id) serves both the range and the
-- keyset pagination; the composite indexes below let the fields analysts filter on most narrow a time range
-- first; GIN indexes answer decoded fields (data @> {"srcip": ...}) and rule groups.
CREATE TABLE alerts (
  id               text        PRIMARY KEY,
  ts               timestamptz NOT NULL,
  rule_id          text        NOT NULL,
  rule_level       smallint    NOT NULL,
  rule_description text        NOT NULL,
  rule_groups      text[]      NOT NULL DEFAULT '{}',
  rule_firedtimes  bigint      NOT NULL DEFAULT 1,
  agent_id         text        NOT NULL,
  agent_name       text        NOT NULL,
  agent_ip         text,
  decoder_name     text,
  data             jsonb       NOT NULL DEFAULT '{}',
  location         text        NOT NULL,
  full_log         text        NOT NULL,
  event_id         text        NOT NULL,
  stored_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX alerts_ts_id      ON alerts (ts, id);
CREATE INDEX alerts_rule_ts    ON alerts (rule_id, ts);
CREATE INDEX alerts_level_ts   ON alerts (rule_level, ts);
CREATE INDEX alerts_agent_ts   ON alerts (agent_name, ts);
CREATE INDEX alerts_srcip_ts   ON alerts ((data ->> 'srcip'), ts);
CREATE INDEX alerts_data       ON alerts USING gin (data jsonb_path_ops);
CREATE INDEX alerts_groups     ON alerts USING gin (rule_groups);

-- Casts that yield NULL instead of failing the whole query on a value that is no IP / no number (a decoded
-- field holds whatever the log held).
CREATE FUNCTION tld_inet(value text) RETURNS inet
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN value::inet;
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$$;

CREATE FUNCTION tld_num(value text) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN value ~ '^-?[0-9]{1,30}(\.[0-9]{1,30})?$' THEN value::numeric END
$$;
