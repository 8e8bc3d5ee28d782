import { SESSION_COOKIE } from '../../support/hubBrowser.js';
import type { Received } from '../../support/http.js';
import {
  f,
  fixtureLaunch,
  fixtureLink,
  serverPath,
  stream,
  without,
  type HostileCase,
  type HostileRequest
} from './table.js';

const ESCAPE = /percent|escape|%XX/;

/** Paths whose percent-escapes cannot be decoded: a 400 saying so, at envhub's own address. */
const badEscapes: Array<[string, () => HostileRequest]> = [
  [
    'GET a server whose name is "%zz"',
    () => ({ path: `api/servers/${f.owner}/%zz` })
  ],
  [
    'GET a server whose owner is a cut UTF-8 sequence',
    () => ({ path: `api/servers/%E0%A4%A/${f.server}` })
  ],
  [
    'GET a server named by an overlong UTF-8 "/"',
    () => ({ path: `api/servers/${f.owner}/%C0%AF` })
  ],
  [
    'GET a server named by a UTF-16 surrogate in UTF-8',
    () => ({ path: `api/servers/${f.owner}/%ED%A0%80` })
  ],
  [
    'PUT collaborators of a server named "fx%"',
    () => ({
      method: 'PUT',
      path: `api/servers/${f.owner}/${f.server}%/collaborators`,
      json: { users: [] }
    })
  ],
  [
    'POST stop of a server named "%"',
    () => ({ method: 'POST', path: `api/servers/${f.owner}/%/stop` })
  ],
  [
    'DELETE a server named "%zz"',
    () => ({ method: 'DELETE', path: `api/servers/${f.owner}/%zz` })
  ],
  ['GET a volume named "%"', () => ({ path: 'api/volumes/%' })],
  [
    'PUT members of a volume named "%zz"',
    () => ({
      method: 'PUT',
      path: 'api/volumes/%zz/members',
      json: { users: [] }
    })
  ],
  [
    'DELETE a volume named "%G0"',
    () => ({ method: 'DELETE', path: 'api/volumes/%G0' })
  ],
  ['GET a build whose id is "%zz"', () => ({ path: 'api/builds/%zz' })],
  ['GET a build page whose id is "%"', () => ({ path: 'builds/%' })],
  [
    'a launch stream whose repository is "%zz"',
    () => stream('build/git/%zz/main')
  ],
  [
    'a launch stream whose ref is a cut UTF-8 sequence',
    () => stream(`build/git/${encodeURIComponent(f.repo)}/%E0%A4%A`)
  ],
  ['a /v2/ link whose repository is "%"', () => ({ path: 'v2/git/%/main' })],
  [
    'a /v2/ gh link whose owner is "%zz"',
    () => ({ path: 'v2/gh/%zz/repo/main' })
  ]
];

const escapeCases: HostileCase[] = [
  ...badEscapes.map(([name, request]): HostileCase => ({
    name: `malformed %-escape: ${name}`,
    request: () => ({ via: 'service', ...request() }),
    expect: { status: [400], message: ESCAPE }
  })),
  // The same through the Hub's proxy, as browsers send them.
  ...badEscapes
    .filter((_, i) => [0, 8, 12, 14].includes(i))
    .map(([name, request]): HostileCase => ({
      name: `malformed %-escape through the proxy: ${name}`,
      request,
      expect: { status: [400], message: ESCAPE }
    }))
];

/** Cookie headers a browser, a proxy or a user's server could send; none may end in a 500. */
const badCookies: Array<[string, string]> = [
  ['a lone "%"', `${SESSION_COOKIE}=%`],
  ['a cut UTF-8 escape', `${SESSION_COOKIE}=%E0%A4%A`],
  ['"%zz"', `${SESSION_COOKIE}=%zz`],
  ['an unterminated quote', `${SESSION_COOKIE}="abc`],
  ['a name without a value', SESSION_COOKIE],
  ['an empty name', '=abc'],
  ['only separators', ';;; ;'],
  [
    'the session cookie twice, the second malformed',
    `${SESSION_COOKIE}=; ${SESSION_COOKIE}=%`
  ],
  ['an 8 000-character value', `${SESSION_COOKIE}=${'A'.repeat(8000)}`],
  ['bytes outside ASCII', `${SESSION_COOKIE}=\u00ff\u00fe\u0080`],
  ['markup', `${SESSION_COOKIE}=<script>alert(1)</script>`],
  ['"=" in the value', `${SESSION_COOKIE}=a=b=c`],
  [
    'an OAuth state cookie that is "%"',
    `${SESSION_COOKIE}-oauth-state=%; ${SESSION_COOKIE}=%`
  ]
];

const redirectsToSignIn = (response: Received) =>
  /\/hub\/api\/oauth2\/authorize\?/.test(
    String(response.headers.location ?? '')
  )
    ? undefined
    : `Location is ${response.headers.location}, not the Hub's sign-in`;

const cookieCases: HostileCase[] = [
  ...badCookies.map(([name, cookie]): HostileCase => ({
    name: `malformed cookie, API without a token: ${name}`,
    request: {
      as: 'anonymous',
      path: 'api/servers',
      headers: { Cookie: cookie }
    },
    expect: { status: [401], message: /sign in/ }
  })),
  ...badCookies.map(([name, cookie]): HostileCase => ({
    name: `malformed cookie, home page without a token: ${name}`,
    request: { as: 'anonymous', path: '', headers: { Cookie: cookie } },
    expect: { status: [302], check: redirectsToSignIn }
  })),
  ...badCookies.slice(0, 4).map(([name, cookie]): HostileCase => ({
    name: `malformed cookie beside a valid token: ${name}`,
    request: { path: 'api/servers', headers: { Cookie: cookie } },
    expect: { status: [200] }
  })),
  {
    name: 'OAuth callback with a malformed state cookie',
    request: {
      as: 'anonymous',
      path: 'oauth_callback?code=x&state=y',
      headers: { Cookie: `${SESSION_COOKIE}-oauth-state=%` }
    },
    expect: { status: [400], message: /sign-in/ }
  },
  {
    name: 'OAuth callback with a malformed state parameter',
    request: {
      as: 'anonymous',
      path: 'oauth_callback?code=x&state=%zz',
      headers: { Cookie: `${SESSION_COOKIE}-oauth-state=%zz` }
    },
    expect: { status: [400], message: /sign-in/ }
  },
  {
    name: 'OAuth callback with markup in error_description (HTML)',
    request: {
      as: 'anonymous',
      path: 'oauth_callback?error=x&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E',
      headers: { Accept: 'text/html' }
    },
    expect: {
      status: [400],
      message: /sign-in failed/,
      check: without(/<script>alert/)
    }
  }
];

const cookieOf = (who: keyof typeof f.sessions, ...more: string[]) =>
  [`${SESSION_COOKIE}=${f.sessions[who].session}`, ...more].join('; ');
const XSRF = /XSRF/;
const PLANTED = 'planted-by-a-users-server';

/** Cookie-authenticated writes without the session's own XSRF value: 403, nothing done. */
const xsrfCases: HostileCase[] = [
  {
    name: 'XSRF: PUT collaborators with the session cookie and no XSRF value',
    request: () => ({
      as: 'anonymous',
      method: 'PUT',
      path: serverPath('/collaborators'),
      headers: { Cookie: cookieOf('owner') },
      json: { users: [] }
    }),
    expect: { status: [403], message: XSRF }
  },
  {
    name: 'XSRF: PUT collaborators with a planted _xsrf cookie and the matching header',
    request: () => ({
      as: 'anonymous',
      method: 'PUT',
      path: serverPath('/collaborators'),
      headers: {
        Cookie: cookieOf('owner', `_xsrf=${PLANTED}`),
        'X-XSRFToken': PLANTED
      },
      json: { users: [] }
    }),
    expect: { status: [403], message: XSRF }
  },
  {
    name: "XSRF: PUT collaborators with another user's XSRF value",
    request: () => ({
      as: 'anonymous',
      method: 'PUT',
      path: serverPath('/collaborators'),
      headers: {
        Cookie: cookieOf('owner'),
        'X-XSRFToken': f.sessions.outsider.xsrf
      },
      json: { users: [] }
    }),
    expect: { status: [403], message: XSRF }
  },
  {
    name: "XSRF: PUT collaborators with the XSRF value of the same user's other session",
    request: () => ({
      as: 'anonymous',
      method: 'PUT',
      path: serverPath('/collaborators'),
      headers: {
        Cookie: cookieOf('owner'),
        'X-XSRFToken': f.sessions.ownerAgain.xsrf
      },
      json: { users: [] }
    }),
    expect: { status: [403], message: XSRF }
  },
  {
    name: 'XSRF: PUT collaborators with the session token itself as the XSRF value',
    request: () => ({
      as: 'anonymous',
      method: 'PUT',
      path: serverPath('/collaborators'),
      headers: {
        Cookie: cookieOf('owner'),
        'X-XSRFToken': f.sessions.owner.session
      },
      json: { users: [] }
    }),
    expect: { status: [403], message: XSRF }
  },
  {
    name: 'XSRF: PUT collaborators with an empty XSRF header and an empty _xsrf cookie',
    request: () => ({
      as: 'anonymous',
      method: 'PUT',
      path: serverPath('/collaborators'),
      headers: { Cookie: cookieOf('owner', '_xsrf='), 'X-XSRFToken': '' },
      json: { users: [] }
    }),
    expect: { status: [403], message: XSRF }
  },
  {
    name: 'XSRF: PUT collaborators with the planted value in the query',
    request: () => ({
      as: 'anonymous',
      method: 'PUT',
      path: serverPath(`/collaborators?_xsrf=${PLANTED}`),
      headers: { Cookie: cookieOf('owner', `_xsrf=${PLANTED}`) },
      json: { users: [] }
    }),
    expect: { status: [403], message: XSRF }
  },
  {
    name: 'XSRF: PUT mounts with a planted _xsrf cookie and header',
    request: () => ({
      as: 'anonymous',
      method: 'PUT',
      path: serverPath('/mounts'),
      headers: {
        Cookie: cookieOf('owner', `_xsrf=${PLANTED}`),
        'X-XSRFToken': PLANTED
      },
      json: []
    }),
    expect: { status: [403], message: XSRF }
  },
  {
    name: 'XSRF: PUT volume members with a planted _xsrf cookie and header',
    request: () => ({
      as: 'anonymous',
      method: 'PUT',
      path: `api/volumes/${f.volume}/members`,
      headers: {
        Cookie: cookieOf('owner', `_xsrf=${PLANTED}`),
        'X-XSRFToken': PLANTED
      },
      json: { users: [], groups: [] }
    }),
    expect: { status: [403], message: XSRF }
  },
  {
    name: 'XSRF: POST volumes with a planted _xsrf cookie and header',
    request: () => ({
      as: 'anonymous',
      method: 'POST',
      path: 'api/volumes',
      headers: {
        Cookie: cookieOf('owner', `_xsrf=${PLANTED}`),
        'X-XSRFToken': PLANTED
      },
      json: { name: `${f.volume}-xsrf` }
    }),
    expect: { status: [403], message: XSRF }
  },
  {
    name: 'XSRF: POST stop with a planted _xsrf cookie and header',
    request: () => ({
      as: 'anonymous',
      method: 'POST',
      path: serverPath('/stop'),
      headers: {
        Cookie: cookieOf('owner', `_xsrf=${PLANTED}`),
        'X-XSRFToken': PLANTED
      }
    }),
    expect: { status: [403], message: XSRF }
  },
  {
    name: 'XSRF: DELETE a volume with a planted _xsrf cookie and header',
    request: () => ({
      as: 'anonymous',
      method: 'DELETE',
      path: `api/volumes/${f.volume}-none`,
      headers: {
        Cookie: cookieOf('owner', `_xsrf=${PLANTED}`),
        'X-XSRFToken': PLANTED
      }
    }),
    expect: { status: [403], message: XSRF }
  },
  {
    name: 'XSRF: DELETE a server with a planted _xsrf cookie and header',
    request: () => ({
      as: 'anonymous',
      method: 'DELETE',
      path: `api/servers/${f.owner}/none`,
      headers: {
        Cookie: cookieOf('owner', `_xsrf=${PLANTED}`),
        'X-XSRFToken': PLANTED
      }
    }),
    expect: { status: [403], message: XSRF }
  },
  {
    name: 'XSRF: a launch stream with the session cookie and a planted value',
    request: () => ({
      ...fixtureLaunch('')(),
      as: 'anonymous',
      headers: {
        Accept: 'text/event-stream',
        Cookie: cookieOf('owner', `_xsrf=${PLANTED}`),
        'X-XSRFToken': PLANTED
      }
    }),
    expect: { status: [403], message: XSRF }
  },
  {
    name: 'XSRF: confirming a /v2/ link with a planted _xsrf cookie and form field',
    request: () => ({
      ...fixtureLink('')(),
      as: 'anonymous',
      method: 'POST',
      headers: { Cookie: cookieOf('owner', `_xsrf=${PLANTED}`) },
      form: { _xsrf: PLANTED, remember: '1' }
    }),
    expect: { status: [403], message: XSRF }
  },
  {
    // The control: the session's own value is accepted (the same collaborators, so nothing changes).
    name: "XSRF control: the page's own value is accepted",
    request: () => ({
      as: 'anonymous',
      method: 'PUT',
      path: serverPath('/collaborators'),
      headers: {
        Cookie: cookieOf('owner'),
        'X-XSRFToken': f.sessions.owner.xsrf
      },
      json: { users: [f.collaborator], groups: [f.group] }
    }),
    expect: { status: [200] }
  }
];

const EVIL = /evil\.example|javascript:\/\/|:666/;
/** The answer names no forwarded host or scheme; where it has links (`linked`), they use the configured public origin. */
const configuredOrigin = (linked: boolean) => (response: Received) =>
  without(EVIL)(response) ??
  (linked && !response.text.includes(`${f.publicOrigin}/`)
    ? `no link uses ${f.publicOrigin}`
    : undefined);

const forwardedHeaders: Array<[string, Record<string, string>]> = [
  ['X-Forwarded-Host', { 'X-Forwarded-Host': 'evil.example' }],
  ['X-Forwarded-Proto: javascript', { 'X-Forwarded-Proto': 'javascript' }],
  [
    'X-Forwarded-Host, -Proto and -Port',
    {
      'X-Forwarded-Host': 'evil.example',
      'X-Forwarded-Proto': 'javascript',
      'X-Forwarded-Port': '666',
      'X-Forwarded-Prefix': '/evil/'
    }
  ],
  [
    'Forwarded',
    { Forwarded: 'for=203.0.113.9;host=evil.example;proto=javascript' }
  ],
  ['Host', { Host: 'evil.example:666' }]
];

const forwardedTargets: Array<
  [string, boolean, (headers: Record<string, string>) => HostileRequest]
> = [
  ['the server view', true, headers => ({ path: serverPath(), headers })],
  ['the server list', true, headers => ({ path: 'api/servers', headers })],
  [
    'the launch stream',
    true,
    headers => ({
      ...fixtureLaunch('')(),
      headers: { Accept: 'text/event-stream', ...headers }
    })
  ],
  ['a /v2/ link', false, headers => ({ ...fixtureLink('')(), headers })],
  [
    'the home page',
    false,
    headers => ({
      as: 'anonymous',
      path: '',
      headers: { Cookie: cookieOf('owner'), ...headers }
    })
  ]
];

const headerCases: HostileCase[] = [
  ...forwardedTargets.flatMap(([target, linked, request]) =>
    forwardedHeaders.map(([name, headers]): HostileCase => ({
      name: `${name} does not change ${target}`,
      request: () => request(headers),
      expect: { status: [200], check: configuredOrigin(linked) }
    }))
  ),
  {
    name: 'a foreign Origin gets no CORS grant',
    request: {
      path: 'api/servers',
      headers: { Origin: 'https://evil.example' }
    },
    expect: {
      status: [200],
      check: r =>
        r.headers['access-control-allow-origin']
          ? `Access-Control-Allow-Origin: ${r.headers['access-control-allow-origin']}`
          : undefined
    }
  },
  {
    name: 'a CORS preflight from a foreign Origin gets no grant',
    request: () => ({
      as: 'anonymous',
      method: 'OPTIONS',
      path: serverPath('/collaborators'),
      headers: {
        Origin: 'https://evil.example',
        'Access-Control-Request-Method': 'PUT'
      }
    }),
    expect: {
      status: [200, 204, 401, 403, 404, 405],
      check: r =>
        r.headers['access-control-allow-origin']
          ? `Access-Control-Allow-Origin: ${r.headers['access-control-allow-origin']}`
          : undefined
    }
  },
  {
    name: 'X-HTTP-Method-Override: DELETE on a GET deletes nothing',
    request: () => ({
      path: serverPath(),
      headers: {
        'X-HTTP-Method-Override': 'DELETE',
        'X-Method-Override': 'DELETE'
      }
    }),
    expect: { status: [200] }
  },
  {
    name: 'a _method=DELETE query on a GET deletes nothing',
    request: () => ({ path: serverPath('?_method=DELETE') }),
    expect: { status: [200] }
  },
  {
    name: 'X-Original-URL and X-Rewrite-URL do not reroute a request',
    request: {
      path: 'api/servers',
      headers: {
        'X-Original-URL': '/services/envhub/api/internal/spawn-config',
        'X-Rewrite-URL': '/services/envhub/api/internal/spawn-config'
      }
    },
    expect: {
      status: [200],
      check: r =>
        Array.isArray(r.json?.servers) ? undefined : 'not the server list'
    }
  },
  {
    name: 'a launch stream without Accept: text/event-stream',
    request: () => ({ ...fixtureLaunch('')(), headers: {} }),
    expect: { status: [400, 406], message: /event-stream/ }
  },
  {
    name: 'a launch stream asking for JSON',
    request: () => ({
      ...fixtureLaunch('')(),
      headers: { Accept: 'application/json' }
    }),
    expect: { status: [400, 406], message: /event-stream/ }
  }
];

/** User input shown on pages is escaped there. */
const markupCases: HostileCase[] = [
  {
    name: 'markup in a build id on the build page',
    request: {
      path: 'builds/%3Cscript%3Ealert(1)%3C%2Fscript%3E',
      headers: { Accept: 'text/html' }
    },
    expect: { status: [404], message: /build/, check: without(/<script>alert/) }
  },
  {
    name: 'markup in a server name on a /v2/ page',
    request: () => ({
      path: `v2/git/${encodeURIComponent(f.repo)}/main?name=%3Cscript%3Ealert(1)%3C%2Fscript%3E`,
      headers: { Accept: 'text/html' }
    }),
    expect: { status: [400], message: /name/, check: without(/<script>alert/) }
  },
  {
    name: 'markup in a repository URL on a /v2/ page',
    request: () => ({
      path: `v2/git/${encodeURIComponent(`${f.gitBase}/<script>alert(1)</script>.git`)}/main?name=x`,
      headers: { Accept: 'text/html' }
    }),
    // A /v2/ page may confirm before it resolves anything; whatever it answers, the markup is escaped.
    expect: {
      status: [200, 400, 403, 404, 502],
      check: without(/<script>alert/)
    }
  },
  {
    name: 'markup in a display name on a /v2/ confirmation page',
    request: () => ({
      path: `v2/git/${encodeURIComponent(f.repo)}/main?name=xss&displayName=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E`,
      headers: { Accept: 'text/html' }
    }),
    expect: { status: [200], check: without(/<img src=x onerror/) }
  },
  {
    name: 'markup in the home page prefill',
    request: () => ({
      as: 'anonymous',
      path: '?repo=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E&name=%3Cscript%3Ealert(2)%3C%2Fscript%3E',
      headers: { Cookie: cookieOf('owner') }
    }),
    expect: { status: [200], check: without(/<script>alert/) }
  }
];

/** Paths that try to reach something else than they name. */
const pathCases: HostileCase[] = [
  {
    name: 'an escaped ../ from a server path to the internal route',
    request: () => ({
      method: 'POST',
      path: `api/servers/${f.owner}/..%2F..%2Finternal%2Fspawn-config`,
      json: { user: f.owner, server: f.server, user_options: {} }
    }),
    expect: {
      status: [400, 404],
      message: /no server|nothing|not found|envhub has/
    }
  },
  {
    name: 'a literal ../ out of the service to the Hub API',
    request: { path: '/services/envhub/../hub/api/users' },
    expect: { status: [302, 400, 401, 403, 404] }
  },
  {
    name: 'an escaped "/" inside a server name',
    request: () => ({
      method: 'PUT',
      path: `api/servers/${f.owner}/${f.server}%2Fcollaborators`,
      json: { users: [] }
    }),
    expect: {
      status: [400, 404],
      message: /nothing|no server|not found|envhub has/
    }
  },
  ...(
    [
      [
        'an escaped ../ out of the static files',
        'static/..%2F..%2F..%2Fpackage.json'
      ],
      ['a literal ../ out of the static files', 'static/../../../package.json'],
      [
        'an escaped ../ out of the schema modules',
        'static/schema/..%2F..%2Fpackage.js'
      ],
      [
        'dot-escapes out of the static files',
        'static/%2e%2e/%2e%2e/%2e%2e/src/config.ts'
      ],
      [
        'a doubled ....// out of the static files',
        'static/....//....//....//etc/passwd'
      ],
      [
        'a backslash ../ out of the static files',
        'static/..%5C..%5C..%5Cpackage.json'
      ]
    ] as Array<[string, string]>
  ).flatMap(([name, path]): HostileCase[] =>
    (['service', 'proxy'] as const).map(via => ({
      name: `${name}${via === 'proxy' ? ' through the proxy' : ''}`,
      request: {
        as: 'anonymous',
        via,
        path: via === 'service' ? `/services/envhub/${path}` : path
      },
      expect: {
        status: [302, 400, 403, 404],
        check: without(
          /"name": "@envhub|root:x:0:0|ENVHUB_INTERNAL_SECRET|export function/
        )
      }
    }))
  ),
  {
    name: 'a build id with ../ escapes',
    request: { path: 'api/builds/..%2F..%2F..%2Fetc%2Fpasswd' },
    expect: { status: [400, 404], message: /build|nothing|not found/ }
  },
  {
    name: 'a build id of 10 000 characters',
    request: { path: `api/builds/${'a'.repeat(10_000)}` },
    expect: { status: [400, 404, 414], message: /build|nothing|not found|long/ }
  },
  {
    name: 'a body on a route that takes none: POST a malformed body to the health check',
    request: {
      as: 'anonymous',
      method: 'POST',
      path: 'api/health',
      headers: { 'Content-Type': 'application/json' },
      body: '{'
    },
    expect: { status: [400, 404, 405], message: /JSON|nothing|not found/ }
  },
  {
    name: 'a malformed cookie on the badge',
    request: {
      as: 'anonymous',
      path: 'badge.svg',
      headers: { Cookie: `${SESSION_COOKIE}=%E0%A4%A` }
    },
    expect: { status: [200] }
  },
  {
    name: 'a malformed cookie on the OpenAPI document',
    request: {
      as: 'anonymous',
      path: 'api/openapi.json',
      headers: { Cookie: `${SESSION_COOKIE}=%`, Accept: 'text/html' }
    },
    expect: {
      status: [200],
      check: r => (r.json?.openapi ? undefined : 'not the OpenAPI document')
    }
  },
  {
    name: 'a NUL escape at the end of a server name',
    request: () => ({ path: `api/servers/${f.owner}/${f.server}%00` }),
    expect: { status: [400, 404], message: /no server|not found|envhub has/ }
  }
];

export const requestCases: HostileCase[] = [
  ...escapeCases,
  ...cookieCases,
  ...xsrfCases,
  ...headerCases,
  ...markupCases,
  ...pathCases
];
