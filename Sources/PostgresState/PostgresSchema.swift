/// nwsh's tables in PostgreSQL, version by version (``PostgresDatabase`` applies each once,
/// under an advisory lock, recording it in `nwsh_schema`).
enum PostgresSchema {
  static let migrations: [[String]] = [
    [
      """
      CREATE TABLE nwsh_request_log (
        id bigserial PRIMARY KEY, scope text NOT NULL, at float8 NOT NULL, completed float8,
        method text NOT NULL, path text NOT NULL, status integer, host text NOT NULL, pid integer NOT NULL)
      """,
      "CREATE INDEX nwsh_request_log_by_scope ON nwsh_request_log (scope, at)",
      "CREATE TABLE nwsh_pause (scope text PRIMARY KEY, until float8 NOT NULL, reason text NOT NULL)",
      """
      CREATE TABLE nwsh_journal (
        id bigserial PRIMARY KEY, run text NOT NULL, scope text NOT NULL, op text NOT NULL,
        email text NOT NULL, email_key text NOT NULL, name text NOT NULL, role_id text NOT NULL, note text,
        plan_ids text, plan_id text, method integer, password_set boolean NOT NULL DEFAULT false,
        row_number integer NOT NULL, request integer NOT NULL, state text NOT NULL, invite_id text, user_id text,
        time_stamp bigint, error text, created float8 NOT NULL, updated float8 NOT NULL, host text, pid integer,
        pid_start bigint, lease_until float8, supersedes bigint)
      """,
      "CREATE INDEX nwsh_journal_by_email ON nwsh_journal (scope, email_key)",
      "CREATE INDEX nwsh_journal_by_run ON nwsh_journal (scope, run)",
      // The rule that keeps two hosts from both sending to one person, whatever else happens.
      """
      CREATE UNIQUE INDEX nwsh_journal_claim ON nwsh_journal (scope, email_key)
      WHERE state IN ('claimed', 'pending')
      """,
    ],
    [
      // A holder is told apart by its machine and pid namespace too (two containers may share
      // a host name); a version number makes every change of an entry a compare-and-set.
      "ALTER TABLE nwsh_journal ADD COLUMN machine text, ADD COLUMN pid_ns text, ADD COLUMN version integer NOT NULL DEFAULT 0",
      "CREATE INDEX nwsh_journal_by_holder ON nwsh_journal (pid, host) WHERE state IN ('claimed', 'pending')",
    ],
    [
      // When an invited person was first seen a member (the funnel's days to join).
      "ALTER TABLE nwsh_journal ADD COLUMN joined float8"
    ],
    [
      // When each request was reserved, and each pause set: what a clock that was ahead
      // stamped in the future can be told apart and dropped.
      "ALTER TABLE nwsh_request_log ADD COLUMN reserved float8",
      "ALTER TABLE nwsh_pause ADD COLUMN since float8",
    ],
  ]
}
