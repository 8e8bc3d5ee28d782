import { gzipSync } from 'node:zlib';
import {
  f,
  fixtureLink,
  serverPath,
  type HostileCase,
  type HostileRequest,
  type Role
} from './table.js';

const JSON_TYPE = { 'Content-Type': 'application/json' };
const MB = 1024 * 1024;

interface BadBody {
  name: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  status: number[];
  message: RegExp;
  /** Sent to every route that reads a body; the others only to the routes that take JSON. */
  everywhere?: boolean;
}

/** Bodies the one body parser must refuse, whatever the route. */
const unreadable: BadBody[] = [
  {
    name: 'truncated JSON',
    body: '{"users": [',
    status: [400],
    message: /JSON/,
    everywhere: true
  },
  {
    name: 'JSON followed by more JSON',
    body: '{} {}',
    status: [400],
    message: /JSON/
  },
  {
    name: 'single-quoted JSON',
    body: "{'users': []}",
    status: [400],
    message: /JSON/
  },
  {
    name: 'NaN in JSON',
    body: '{"users": NaN}',
    status: [400],
    message: /JSON/
  },
  {
    name: 'a comment in JSON',
    body: '{"users": [] /* and more */}',
    status: [400],
    message: /JSON/
  },
  {
    name: 'bytes that are not UTF-8',
    body: Buffer.concat([
      Buffer.from('{"users": ["'),
      Buffer.from([0xff, 0xfe, 0xc0, 0xaf]),
      Buffer.from('"]}')
    ]),
    status: [400],
    message: /UTF-8/,
    everywhere: true
  },
  {
    name: 'a body over the 1 MB limit',
    body: JSON.stringify({ users: ['a'.repeat(MB + 16)] }),
    status: [413],
    message: /limit|too large/,
    everywhere: true
  },
  {
    name: 'a gzip body that inflates past the limit',
    headers: { 'Content-Encoding': 'gzip' },
    body: gzipSync(`{"users": ["${' '.repeat(5 * MB)}"]}`),
    status: [413],
    message: /limit|too large/,
    everywhere: true
  },
  {
    name: 'arrays nested 100 000 deep',
    body: '['.repeat(100_000) + ']'.repeat(100_000),
    status: [400],
    message: /nest|deep/,
    everywhere: true
  },
  {
    name: 'objects nested 10 000 deep',
    body: '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000),
    status: [400],
    message: /nest|deep/
  },
  {
    name: 'Content-Encoding: bogus',
    headers: { 'Content-Encoding': 'bogus' },
    body: '{}',
    status: [415],
    message: /Content-Encoding/,
    everywhere: true
  },
  {
    name: 'Content-Encoding: gzip, x-unknown',
    headers: { 'Content-Encoding': 'gzip, x-unknown' },
    body: '{}',
    status: [415],
    message: /Content-Encoding/
  },
  {
    name: 'Content-Encoding: gzip on a body that is not gzip',
    headers: { 'Content-Encoding': 'gzip' },
    body: '{"users": []}',
    status: [400, 415],
    message: /gzip|Content-Encoding|compress/
  },
  {
    name: 'charset=latin1',
    headers: { 'Content-Type': 'application/json; charset=latin1' },
    body: '{}',
    status: [415],
    message: /charset/,
    everywhere: true
  },
  {
    name: 'charset=utf-16le with a UTF-16 body',
    headers: { 'Content-Type': 'application/json; charset=utf-16le' },
    body: Buffer.from('{"users": []}', 'utf16le'),
    status: [415],
    message: /charset/
  },
  {
    name: 'charset=utf-7',
    headers: { 'Content-Type': 'application/json; charset=utf-7' },
    body: '+AHsAfQ-',
    status: [415],
    message: /charset/
  },
  {
    name: 'Content-Type: text/plain',
    headers: { 'Content-Type': 'text/plain' },
    body: '{"users": []}',
    status: [415],
    message: /Content-Type|application\/json/,
    everywhere: true
  },
  {
    name: 'no Content-Type on a JSON body',
    headers: {},
    body: '{"users": []}',
    status: [415, 400],
    message: /Content-Type|application\/json/
  },
  {
    name: 'Content-Type: application/xml',
    headers: { 'Content-Type': 'application/xml' },
    body: '<users/>',
    status: [415],
    message: /Content-Type|application\/json|xml/
  },
  {
    name: 'multipart/form-data',
    headers: { 'Content-Type': 'multipart/form-data; boundary=x' },
    body: '--x\r\nContent-Disposition: form-data; name="users"\r\n\r\nbob\r\n--x--\r\n',
    status: [415],
    message: /Content-Type|application\/json|multipart/
  },
  {
    name: 'a malformed Content-Type',
    headers: { 'Content-Type': ';;=;' },
    body: '{}',
    status: [415, 400],
    message: /Content-Type/
  },
  {
    name: 'a form with 5 000 fields',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: Array.from({ length: 5000 }, (_, i) => `f${i}=1`).join('&'),
    status: [413],
    message: /fields/,
    everywhere: true
  },
  {
    name: 'a form over 64 kB',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `users=${'a'.repeat(70 * 1024)}`,
    status: [413],
    message: /form|limit|too large/
  }
];

/** Bodies that parse but are not what a route that replaces something expects: a 400, nothing replaced. */
const misshapen = (shape: 'object' | 'array'): BadBody[] => [
  { name: 'an empty body', body: '', status: [400], message: /body/ },
  {
    name: 'a body of blanks',
    body: ' \r\n\t ',
    status: [400],
    message: /body|JSON/
  },
  {
    name: 'no body and no Content-Type',
    headers: {},
    body: undefined,
    status: [400],
    message: /body/
  },
  {
    name: 'JSON null',
    body: 'null',
    status: [400],
    message: /JSON (object|array)|null/
  },
  {
    name: 'a JSON string',
    body: '"users"',
    status: [400],
    message: /JSON (object|array)|string/
  },
  {
    name: 'a JSON number',
    body: '0',
    status: [400],
    message: /JSON (object|array)|number/
  },
  {
    name: 'JSON true',
    body: 'true',
    status: [400],
    message: /JSON (object|array)|boolean/
  },
  {
    name: shape === 'object' ? 'a JSON array' : 'a JSON object',
    body: shape === 'object' ? '[]' : '{}',
    status: [400],
    message: /JSON (object|array)/
  },
  {
    name: 'a small form',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'users=bob&name=x',
    status: [400, 415],
    message: /JSON|form|Content-Type/
  },
  {
    name: 'a __proto__ key',
    body:
      shape === 'object'
        ? '{"__proto__": {"users": ["x"], "name": "x"}}'
        : '[{"__proto__": {"readOnly": true}, "source": "x", "target": "/mnt/x"}]',
    status: [400],
    message: /__proto__|unknown|additional|not allowed|name/
  },
  {
    name: 'a constructor.prototype key',
    body:
      shape === 'object'
        ? '{"constructor": {"prototype": {"admin": true}}}'
        : '[{"constructor": {"prototype": {"admin": true}}}]',
    status: [400],
    message: /constructor|unknown|additional|not allowed|name|source|target/
  }
];

interface BodyRoute {
  name: string;
  method: string;
  path: () => string;
  as: Role;
  /** What the route takes: a JSON object or list that replaces something, or nothing in particular. */
  shape?: 'object' | 'array';
  /** An answer the route may give before reading the body (the internal route refuses callers first). */
  orRefused?: { status: number; message: RegExp };
}

const routes: BodyRoute[] = [
  {
    name: 'PUT collaborators',
    method: 'PUT',
    path: () => serverPath('/collaborators'),
    as: 'owner',
    shape: 'object'
  },
  {
    name: 'PUT mounts',
    method: 'PUT',
    path: () => serverPath('/mounts'),
    as: 'owner',
    shape: 'array'
  },
  {
    name: 'POST volumes',
    method: 'POST',
    path: () => 'api/volumes',
    as: 'owner',
    shape: 'object'
  },
  {
    name: 'PUT volume members',
    method: 'PUT',
    path: () => `api/volumes/${f.volume}/members`,
    as: 'owner',
    shape: 'object'
  },
  {
    name: 'POST internal spawn-config',
    method: 'POST',
    path: () => 'api/internal/spawn-config',
    as: 'anonymous',
    shape: 'object',
    orRefused: { status: 403, message: /only the Hub/ }
  },
  {
    name: 'POST a /v2/ launch link',
    method: 'POST',
    path: () => fixtureLink('')().path,
    as: 'owner'
  },
  {
    name: 'POST stop',
    method: 'POST',
    path: () => serverPath('/stop'),
    as: 'owner'
  }
];

function row(route: BodyRoute, bad: BadBody): HostileCase {
  const request = (): HostileRequest => ({
    as: route.as,
    method: route.method,
    path: route.path(),
    headers: bad.headers ?? JSON_TYPE,
    body: bad.body
  });
  const refused = route.orRefused;
  return {
    name: `${route.name}: ${bad.name}`,
    request,
    expect: refused
      ? {
          status: [...bad.status, refused.status],
          message: new RegExp(`${bad.message.source}|${refused.message.source}`)
        }
      : { status: bad.status, message: bad.message }
  };
}

/** Every route that reads a body × every body it must refuse. */
export const bodyCases: HostileCase[] = routes.flatMap(route => [
  ...unreadable
    .filter(bad => route.shape || bad.everywhere)
    .map(bad => row(route, bad)),
  ...(route.shape ? misshapen(route.shape).map(bad => row(route, bad)) : [])
]);
