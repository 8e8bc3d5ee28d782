// jsdom has no streams; Node's Response reads Node's.
import { ReadableStream } from 'node:stream/web';

import { ServerConnection } from '@jupyterlab/services';

import { FetchFunction } from '../client';
import { badgeSnippets } from '../shareLink';
import {
  IClassAssignment,
  IClassView,
  ICredential,
  IEnvhubBuild,
  IEnvhubServer,
  ISubmissionView
} from '../tokens';

/**
 * A canned answer of the envhub service.
 */
export interface ICannedResponse {
  status: number;
  body: unknown;
  /** Raw text instead of JSON. */
  text?: string;
  statusText?: string;
}

/**
 * One request the fake received.
 */
export interface IRecordedRequest {
  url: string;
  method: string;
  headers: Headers;
  init: RequestInit;
}

export const COMMIT = '0123456789abcdef0123456789abcdef01234567';

const REPO = 'http://127.0.0.1:9999/demo.git';
const LAUNCH_URL = `http://hub.example.org/services/envhub/v2/git/${encodeURIComponent(REPO)}/main?name=x&memory=1G`;
const BADGE_URL = 'http://hub.example.org/services/envhub/badge.svg';

export const SERVER: IEnvhubServer = {
  owner: 'alice',
  name: 'x',
  displayName: 'x',
  repoUrl: REPO,
  ref: 'main',
  commit: COMMIT,
  image: `envhub-127-2e0-2e0-2e1-3a9999-2fdemo-2egit-012345:${COMMIT}`,
  createdAt: '2026-01-02T03:04:05Z',
  state: 'running',
  url: '/user/alice/x/',
  buildId: 'b1',
  spec: {
    repo: REPO,
    ref: 'main',
    name: 'x',
    collaborators: { users: ['bob'], groups: [] },
    resources: { memory: '1G' }
  },
  launchUrl: LAUNCH_URL,
  badgeUrl: BADGE_URL,
  snippets: badgeSnippets(LAUNCH_URL, BADGE_URL),
  resources: { memory: '1G', cpus: 1, idleTimeout: 3600, maxAge: 86400 },
  stopsAt: { idle: '2026-01-02T04:04:05Z', maxAge: '2026-01-03T03:04:05Z' },
  canManage: true,
  mounts: [],
  mountsPending: false,
  public: null,
  usage: null
};

const PUBLIC_URL = 'http://hub.example.org/services/envhub/public/alice/x';

/** SERVER while it is public, with two visitors in temporary sessions of it. */
export const PUBLIC_SERVER: IEnvhubServer = {
  ...SERVER,
  spec: { ...SERVER.spec, public: true },
  public: {
    url: PUBLIC_URL,
    snippets: badgeSnippets(PUBLIC_URL, BADGE_URL),
    visitors: 2
  }
};

/** Where the viewer's credentials are listed: `GET api/credentials`. */
export const CREDENTIALS_URL = '/services/envhub/api/credentials';

/** alice's stored credentials: one used once, one never. */
export const CREDENTIALS: ICredential[] = [
  {
    host: 'forge.example.org',
    username: 'alice',
    createdAt: '2026-01-01T09:00:00.000Z',
    lastUsedAt: '2026-01-02T10:30:00.000Z'
  },
  {
    host: 'cloud.example.org:8443',
    username: 'alice@example.org',
    createdAt: '2026-01-01T09:05:00.000Z',
    lastUsedAt: null
  }
];

/** The canned answer listing `credentials`. */
export const credentialsAnswer = (
  credentials: ICredential[] = CREDENTIALS
): ICannedResponse => ({ status: 200, body: { credentials } });

export const BUILD: IEnvhubBuild = {
  id: 'b1',
  image: SERVER.image,
  repo: REPO,
  ref: 'main',
  commit: COMMIT,
  requestedBy: 'alice',
  status: 'built',
  startedAt: '2026-01-02T03:00:00Z',
  finishedAt: '2026-01-02T03:02:00Z',
  log: 'Step 1/3 : FROM envhub-base\nbuild pack: python\n'
};

/**
 * A response whose body arrives in the given chunks, as an event stream does.
 */
export function streamResponse(chunks: string[], status = 200): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) {
        controller.enqueue(encoder.encode(chunk));
      }
      controller.close();
    }
  });
  return new Response(body as unknown as BodyInit, {
    status,
    headers: { 'Content-Type': 'text/event-stream' }
  });
}

/**
 * A `fetch` that answers from a table keyed by URL and records every call.
 * URLs missing from the table get the service's 404 body; a function entry builds its own
 * response, or a promise of one (to hold the answer back while a test looks at the page).
 */
export function fakeFetch(
  table: Record<
    string,
    ICannedResponse | Error | (() => Response | Promise<Response>)
  >
): {
  fetch: FetchFunction;
  requests: IRecordedRequest[];
} {
  const requests: IRecordedRequest[] = [];
  const fetch: FetchFunction = async (url, init) => {
    requests.push({
      url,
      method: init.method ?? 'GET',
      headers: new Headers(init.headers),
      init
    });
    const canned = table[url] ?? {
      status: 404,
      body: { status: 404, code: 'not_found', message: `No route ${url}` }
    };
    if (canned instanceof Error) {
      throw canned;
    }
    if (typeof canned === 'function') {
      return canned();
    }
    const text = canned.text ?? JSON.stringify(canned.body);
    return new Response(text, {
      status: canned.status,
      statusText: canned.statusText ?? '',
      headers: { 'Content-Type': 'application/json' }
    });
  };
  return { fetch, requests };
}

/**
 * Server settings for `ServerConnection` (the Lab page's requests to its own server)
 * whose `fetch` answers from `fakeFetch`'s table, keyed by URL below `baseUrl`.
 */
export function fakeServerSettings(
  table: Parameters<typeof fakeFetch>[0],
  baseUrl = 'http://localhost/user/alice/x/'
): {
  settings: ServerConnection.ISettings;
  requests: IRecordedRequest[];
} {
  const fake = fakeFetch(table);
  const settings = ServerConnection.makeSettings({
    baseUrl,
    token: 'page-token',
    // ServerConnection sends a Request; the table is keyed by its URL, without the
    // number it appends to GETs against caches.
    fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = input instanceof Request ? input : null;
      const url = (request ? request.url : String(input)).replace(
        /[?&]\d+$/,
        ''
      );
      return fake.fetch(url, {
        ...init,
        method: request?.method ?? init?.method,
        headers: request?.headers ?? init?.headers,
        body: request ? await request.text() : init?.body
      });
    }
  });
  return { settings, requests: fake.requests };
}

/** A class as the envhub service describes it to a student of it. */
export const CLASS: IClassView = {
  id: 'intro101',
  // eslint-disable-next-line jupyter/no-untranslated-string -- the service's data, not the extension's
  title: 'Introduction to programming',
  createdBy: 'carol',
  createdAt: '2026-01-01T09:00:00.000Z',
  role: 'student',
  instructors: { users: ['carol'], groups: [] },
  students: { users: [], groups: [] },
  repo: REPO,
  ref: 'main',
  pageUrl: 'http://hub.example.org/services/envhub/classes/intro101',
  launchUrl: LAUNCH_URL,
  courseRoot: '/home/jovyan/course'
};

/** A submission of `assignment` by alice, as the service's receipt, with `changes` on top. */
export function submission(
  assignment: string,
  changes: Partial<ISubmissionView> = {}
): ISubmissionView {
  return {
    id: `${assignment}-s1`,
    student: 'alice',
    assignment,
    timestamp: '2026-01-05T10:00:00.000Z',
    late: false,
    files: [`${assignment}.ipynb`],
    bytes: 1234,
    hasFeedback: false,
    ...changes
  };
}

/**
 * A released assignment as `GET <server>/envhub/api/class` lists it, not fetched into the
 * server yet, with `changes` on top.
 */
export function assignment(
  id: string,
  changes: Partial<IClassAssignment> = {}
): IClassAssignment {
  return {
    id,
    releasedAt: '2026-01-02T09:00:00.000Z',
    dueAt: '2026-01-09T17:00:00.000Z',
    notebooks: [`${id}.ipynb`],
    submissions: [],
    feedback: [],
    local: { fetched: false, path: null, feedback: [] },
    ...changes
  };
}
