import { EventStreamParser } from '@envhub/schema';
import { EnvhubError } from '../errors.js';
import { locateRepo } from '../repos/repoLocator.js';
import type { RepoAccess } from '../repos/repoPolicy.js';

/** How the service reaches users' servers: through the proxy, with its own Hub token. */
export interface ServerAccess {
  /** The proxy's address on this host, e.g. `http://127.0.0.1:8000`. */
  proxyUrl: string;
  /** The service's Hub token; its `access:servers` scope lets it call any server's API. */
  token: string;
}

/** A materials entry as the spec holds it. */
export interface MaterialsEntry {
  repo: string;
  ref?: string;
  path?: string;
}

/**
 * An Authorization header for the pull of one entry, for its repository's origin only. It goes to
 * the server beside the list, never in it: the extension keeps it in memory for that pull only.
 */
export interface PullAuthorization {
  origin: string;
  value: string;
}

/** One event of a pull, as envhub's server extension streams it (nbgitpuller's phases). */
interface PullEvent {
  phase: 'syncing' | 'finished' | 'error';
  index: number;
  output?: string;
  message?: string;
}

const PULL_TIMEOUT_MS = 10 * 60_000;

/**
 * The Authorization header the pull of `repo` needs, found as builds find it (locateRepo: asked
 * anonymously first, with the owner's credential only after a 401, for the host it ends on);
 * undefined for a repository anyone may read. Throws the EnvhubError saying what to do when the
 * owner has no credential there or theirs is refused, and when the repository moved to another
 * origin, since git in the server sends the header to the entry's own origin only.
 */
export async function pullAuthorization(
  repo: string,
  access: RepoAccess
): Promise<PullAuthorization | undefined> {
  const location = await locateRepo(repo, access);
  if (location.authorization === undefined) return undefined;
  const origin = new URL(repo).origin;
  if (new URL(location.url).origin !== origin)
    throw new EnvhubError(
      400,
      'repo_redirect_unusable',
      `the repository ${repo} is private and redirects to ${location.url}, where its pull cannot sign in; give that address in materials`
    );
  return { origin, value: location.authorization };
}

/**
 * Pulls a running server's course materials inside it, with nbgitpuller's merge rules, through
 * envhub's server extension (`<server>/envhub/api/materials`): first the list, then one pull of
 * every entry, each line of git's output passed to `report`. With `owner` (the owner's way into
 * repositories), a private entry is pulled with the owner's credential, given for that pull only.
 * Never throws: a failed pull must not fail the launch, so it is reported and counted. Returns how
 * many entries failed.
 */
export async function syncMaterials(
  serverPath: string,
  materials: MaterialsEntry[],
  access: ServerAccess,
  report: (line: string) => void,
  owner?: RepoAccess
): Promise<number> {
  const api = new URL(
    `${serverPath.replace(/\/?$/, '/')}envhub/api/materials`,
    access.proxyUrl
  );
  const headers = {
    Authorization: `token ${access.token}`,
    'Content-Type': 'application/json'
  };
  const signal = AbortSignal.timeout(PULL_TIMEOUT_MS);
  const where = (index: number) =>
    materials[index]?.path ?? materials[index]?.repo ?? `#${index}`;
  // Entries the extension said it finished; any other one failed or was cut off with the stream.
  const finished = new Set<number>();
  try {
    const authorizations = owner
      ? await Promise.all(
          materials.map((entry, index) =>
            pullAuthorization(entry.repo, owner).catch((err: unknown) => {
              // A refusal says what to do; an unreachable repository is left to the pull to report.
              if (err instanceof EnvhubError)
                report(`course materials ${where(index)}: ${err.message}`);
              return undefined;
            })
          )
        )
      : [];
    const stored = await fetch(api, {
      method: 'PUT',
      headers,
      body: JSON.stringify(
        authorizations.some(Boolean)
          ? { materials, authorizations: authorizations.map(a => a ?? null) }
          : { materials }
      ),
      signal
    });
    if (!stored.ok) {
      report(
        `course materials: the server refused the list (${stored.status}): ${await messageOf(stored)}`
      );
      return materials.length;
    }
    const pull = await fetch(`${api}/pull`, {
      method: 'POST',
      headers: { ...headers, Accept: 'text/event-stream' },
      signal
    });
    if (!pull.ok || !pull.body) {
      report(
        `course materials: the server refused to pull (${pull.status}): ${await messageOf(pull)}`
      );
      return materials.length;
    }
    const parser = new EventStreamParser();
    const take = (events: unknown[]) => {
      for (const event of events as PullEvent[]) {
        if (event.phase === 'syncing' && event.output !== undefined)
          report(event.output.replace(/\n$/, ''));
        else if (event.phase === 'finished') finished.add(event.index);
        else if (event.phase === 'error')
          report(
            `course materials ${where(event.index)}: ${event.message ?? 'the pull failed'}`
          );
      }
    };
    const decoder = new TextDecoder();
    const reader = pull.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      take(parser.push(decoder.decode(value, { stream: true })));
    }
    take(parser.end());
    return materials.length - finished.size;
  } catch (err) {
    report(
      `course materials: the pull did not complete (${(err as Error).message})`
    );
    return materials.length - finished.size;
  }
}

async function messageOf(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    return (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    return text.slice(0, 200) || response.statusText;
  }
}
