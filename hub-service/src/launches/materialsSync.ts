import { EventStreamParser } from '@envhub/schema';

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

/** One event of a pull, as envhub's server extension streams it (nbgitpuller's phases). */
interface PullEvent {
  phase: 'syncing' | 'finished' | 'error';
  index: number;
  output?: string;
  message?: string;
}

const PULL_TIMEOUT_MS = 10 * 60_000;

/**
 * Pulls a running server's course materials inside it, with nbgitpuller's merge rules, through
 * envhub's server extension (`<server>/envhub/api/materials`): first the list, then one pull of
 * every entry, each line of git's output passed to `report`. Never throws: a failed pull must not
 * fail the launch, so it is reported and counted. Returns how many entries failed.
 */
export async function syncMaterials(
  serverPath: string,
  materials: MaterialsEntry[],
  access: ServerAccess,
  report: (line: string) => void
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
  // Entries the extension said it finished; any other one failed or was cut off with the stream.
  const finished = new Set<number>();
  try {
    const stored = await fetch(api, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ materials }),
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
        const where = `${materials[event.index]?.path ?? materials[event.index]?.repo ?? `#${event.index}`}`;
        if (event.phase === 'syncing' && event.output !== undefined)
          report(event.output.replace(/\n$/, ''));
        else if (event.phase === 'finished') finished.add(event.index);
        else if (event.phase === 'error')
          report(
            `course materials ${where}: ${event.message ?? 'the pull failed'}`
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
