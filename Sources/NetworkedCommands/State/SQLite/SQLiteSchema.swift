import GRDB

/// The SQLite file's schema, migration by migration (each runs once, recorded by GRDB).
extension SQLiteDatabase {
  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1-request-log") { db in
      try db.execute(
        sql: """
          CREATE TABLE IF NOT EXISTS request_log (
            id INTEGER PRIMARY KEY,
            scope TEXT NOT NULL,
            at REAL NOT NULL,
            completed REAL,
            method TEXT NOT NULL,
            path TEXT NOT NULL,
            status INTEGER,
            pid INTEGER NOT NULL
          );
          CREATE INDEX IF NOT EXISTS request_log_by_scope ON request_log(scope, at);
          CREATE TABLE IF NOT EXISTS pause (
            scope TEXT PRIMARY KEY,
            until REAL NOT NULL,
            reason TEXT NOT NULL
          );
          """)
    }
    migrator.registerMigration("v2-journal") { db in
      try db.execute(
        sql: """
          CREATE TABLE IF NOT EXISTS journal (
            id INTEGER PRIMARY KEY,
            run TEXT NOT NULL,
            scope TEXT NOT NULL,
            op TEXT NOT NULL,
            email TEXT NOT NULL,
            email_key TEXT NOT NULL,
            name TEXT NOT NULL,
            role_id TEXT NOT NULL,
            note TEXT,
            row INTEGER NOT NULL,
            request INTEGER NOT NULL,
            state TEXT NOT NULL,
            invite_id TEXT,
            user_id TEXT,
            time_stamp INTEGER,
            error TEXT,
            created REAL NOT NULL,
            updated REAL NOT NULL
          );
          CREATE INDEX IF NOT EXISTS journal_by_email ON journal(scope, email_key);
          CREATE INDEX IF NOT EXISTS journal_by_run ON journal(scope, run);
          """)
    }
    migrator.registerMigration("v3-claims") { db in
      // Each entry records its operation exactly (reconcile re-sends it) and who holds it while
      // it is claimed or pending; at most one claimed-or-pending entry per person and key.
      // Entries left pending by earlier versions are in doubt: their process is gone.
      try db.execute(
        sql: "UPDATE journal SET state = 'unknown', error = coalesce(error, 'in_doubt') WHERE state = 'pending'")
      for column in [
        "host TEXT", "pid INTEGER", "pid_start INTEGER", "lease_until REAL", "plan_ids TEXT", "plan_id TEXT",
        "method INTEGER", "password_set INTEGER NOT NULL DEFAULT 0", "supersedes INTEGER",
      ] {
        try db.execute(sql: "ALTER TABLE journal ADD COLUMN \(column)")
      }
      try db.execute(sql: "UPDATE journal SET op = 'invite' WHERE op = 'reconcile'")
      try db.execute(
        sql:
          "CREATE UNIQUE INDEX IF NOT EXISTS journal_claim ON journal(scope, email_key) WHERE state IN ('claimed', 'pending')"
      )
    }
    migrator.registerMigration("v4-identity") { db in
      // A holder is told apart by its machine and pid namespace too (two containers may share a
      // host name); a version number makes every change a compare-and-set. Entries written
      // before have neither identity column: their holders are judged by their lease only.
      for column in ["machine TEXT", "pid_ns TEXT", "version INTEGER NOT NULL DEFAULT 0"] {
        try db.execute(sql: "ALTER TABLE journal ADD COLUMN \(column)")
      }
      try db.execute(sql: "ALTER TABLE request_log ADD COLUMN host TEXT")
      try db.execute(
        sql: "CREATE INDEX IF NOT EXISTS journal_by_holder ON journal(pid, host) WHERE state IN ('claimed', 'pending')")
    }
    migrator.registerMigration("v5-joined") { db in
      // When an invited person was first seen a member (the funnel's days to join).
      try db.execute(sql: "ALTER TABLE journal ADD COLUMN joined REAL")
    }
    migrator.registerMigration("v6-ids-never-reused") { db in
      // A plain INTEGER PRIMARY KEY gives a deleted row's id to the next insert: a process
      // stopped past its lease could then release, by its old id, the claim another run has
      // just made. AUTOINCREMENT never hands out an id twice. SQLite cannot add it to a table,
      // so the journal is copied into a new one.
      let columns = """
        id, run, scope, op, email, email_key, name, role_id, note, row, request, state, invite_id, user_id,
        time_stamp, error, created, updated, host, pid, pid_start, lease_until, plan_ids, plan_id, method,
        password_set, supersedes, machine, pid_ns, version, joined
        """
      try db.execute(
        sql: """
          CREATE TABLE journal_v6 (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run TEXT NOT NULL, scope TEXT NOT NULL, op TEXT NOT NULL, email TEXT NOT NULL,
            email_key TEXT NOT NULL, name TEXT NOT NULL, role_id TEXT NOT NULL, note TEXT,
            row INTEGER NOT NULL, request INTEGER NOT NULL, state TEXT NOT NULL, invite_id TEXT, user_id TEXT,
            time_stamp INTEGER, error TEXT, created REAL NOT NULL, updated REAL NOT NULL, host TEXT, pid INTEGER,
            pid_start INTEGER, lease_until REAL, plan_ids TEXT, plan_id TEXT, method INTEGER,
            password_set INTEGER NOT NULL DEFAULT 0, supersedes INTEGER, machine TEXT, pid_ns TEXT,
            version INTEGER NOT NULL DEFAULT 0, joined REAL
          );
          INSERT INTO journal_v6 (\(columns)) SELECT \(columns) FROM journal;
          DROP TABLE journal;
          ALTER TABLE journal_v6 RENAME TO journal;
          CREATE INDEX journal_by_email ON journal(scope, email_key);
          CREATE INDEX journal_by_run ON journal(scope, run);
          CREATE UNIQUE INDEX journal_claim ON journal(scope, email_key) WHERE state IN ('claimed', 'pending');
          CREATE INDEX journal_by_holder ON journal(pid, host) WHERE state IN ('claimed', 'pending');
          """)
    }
    migrator.registerMigration("v7-reserved") { db in
      // When each request was reserved, and each pause set: what a clock ahead (or stepped back
      // since) stamped in the future can be told apart and dropped.
      try db.execute(sql: "ALTER TABLE request_log ADD COLUMN reserved REAL")
      try db.execute(sql: "ALTER TABLE pause ADD COLUMN since REAL")
    }
    return migrator
  }
}
