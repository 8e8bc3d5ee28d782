import { FetchFunction } from '../client';

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

export const SERVER = {
  owner: 'alice',
  name: 'x',
  displayName: 'x',
  repoUrl: 'http://127.0.0.1:9999/demo.git',
  ref: 'main',
  commit: COMMIT,
  image: `envhub-127-2e0-2e0-2e1-3a9999-2fdemo-2egit-012345:${COMMIT}`,
  createdAt: '2026-01-02T03:04:05Z',
  url: '/user/alice/x/'
};

/**
 * A `fetch` that answers from a table keyed by URL and records every call.
 * URLs missing from the table get the service's 404 body.
 */
export function fakeFetch(table: Record<string, ICannedResponse | Error>): {
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
    const text = canned.text ?? JSON.stringify(canned.body);
    return new Response(text, {
      status: canned.status,
      statusText: canned.statusText ?? '',
      headers: { 'Content-Type': 'application/json' }
    });
  };
  return { fetch, requests };
}
