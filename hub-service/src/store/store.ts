import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/** A named server envhub launched: whose, which environment, and the ticket its spawns redeem. */
export interface ServerRecord {
  owner: string;
  name: string;
  repo: string;
  ref: string;
  commit: string;
  image: string;
  ticket: string;
  createdAt: string;
  updatedAt: string;
}

const MIGRATIONS = [
  `CREATE TABLE servers (
     owner TEXT NOT NULL,
     name TEXT NOT NULL,
     repo TEXT NOT NULL,
     ref TEXT NOT NULL,
     commit_sha TEXT NOT NULL,
     image TEXT NOT NULL,
     ticket TEXT NOT NULL UNIQUE,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (owner, name)
   )`
];

const COLUMNS = `owner, name, repo, ref, commit_sha AS "commit", image, ticket, created_at AS createdAt, updated_at AS updatedAt`;

/** envhub's state, embedded in SQLite (one file in the data directory). */
export class Store {
  private readonly db: Database.Database;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.migrate();
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    this.db.transaction(() => {
      MIGRATIONS.slice(version).forEach(sql => this.db.exec(sql));
      this.db.pragma(`user_version = ${MIGRATIONS.length}`);
    })();
  }

  getServer(owner: string, name: string): ServerRecord | undefined {
    return this.db.prepare(`SELECT ${COLUMNS} FROM servers WHERE owner = ? AND name = ?`).get(owner, name) as ServerRecord | undefined;
  }

  listServers(owner: string): ServerRecord[] {
    return this.db.prepare(`SELECT ${COLUMNS} FROM servers WHERE owner = ? ORDER BY name`).all(owner) as ServerRecord[];
  }

  serverByTicket(ticket: string): ServerRecord | undefined {
    return this.db.prepare(`SELECT ${COLUMNS} FROM servers WHERE ticket = ?`).get(ticket) as ServerRecord | undefined;
  }

  /** Inserts or replaces the record of (owner, name). */
  saveServer(record: ServerRecord): void {
    this.db
      .prepare(
        `INSERT INTO servers (owner, name, repo, ref, commit_sha, image, ticket, created_at, updated_at)
         VALUES (@owner, @name, @repo, @ref, @commit, @image, @ticket, @createdAt, @updatedAt)
         ON CONFLICT (owner, name) DO UPDATE SET repo = @repo, ref = @ref, commit_sha = @commit,
           image = @image, ticket = @ticket, updated_at = @updatedAt`
      )
      .run(record);
  }

  close(): void {
    this.db.close();
  }
}
