import {
  f,
  fixtureLaunch,
  fixtureLink,
  serverPath,
  type HostileCase,
  type HostileRequest,
  type Role
} from './table.js';

const HUB_ONLY = /only the Hub/;
const spawnBody = () => ({ user: f.owner, server: f.server, user_options: {} });

/** The Hub-facing route answers only the Hub (its shared secret), however a caller presents itself. */
const internalCases: HostileCase[] = [
  ...(
    [
      ['no Authorization', {}],
      ['a wrong secret', { Authorization: 'token not-the-secret' }],
      ['an empty token', { Authorization: 'token ' }],
      [
        'Basic credentials',
        {
          Authorization: `Basic ${Buffer.from('hub:secret').toString('base64')}`
        }
      ],
      [
        'a spoofed X-Forwarded-For of the Hub',
        { 'X-Forwarded-For': '127.0.0.1', 'X-Real-IP': '127.0.0.1' }
      ],
      ['a 20 kB token', { Authorization: `token ${'a'.repeat(20 * 1024)}` }]
    ] as Array<[string, Record<string, string>]>
  ).map(([name, headers]): HostileCase => ({
    name: `internal spawn-config with ${name}`,
    request: () => ({
      as: 'anonymous',
      method: 'POST',
      path: 'api/internal/spawn-config',
      headers,
      json: spawnBody()
    }),
    expect: name.includes('20 kB')
      ? { status: [403, 431], orClosed: true }
      : { status: [403], message: HUB_ONLY }
  })),
  {
    name: "internal spawn-config with the owner's Hub token",
    request: () => ({
      method: 'POST',
      path: 'api/internal/spawn-config',
      json: spawnBody()
    }),
    expect: { status: [403], message: HUB_ONLY }
  },
  {
    name: "internal spawn-config with the owner's Hub token as Bearer",
    request: () => ({
      as: 'anonymous',
      method: 'POST',
      path: 'api/internal/spawn-config',
      headers: { Authorization: `Bearer ${f.tokens.owner}` },
      json: spawnBody()
    }),
    expect: { status: [403], message: HUB_ONLY }
  },
  {
    name: 'internal spawn-config with the secret guessed in the query',
    request: () => ({
      as: 'anonymous',
      method: 'POST',
      path: 'api/internal/spawn-config?token=secret',
      json: spawnBody()
    }),
    expect: { status: [403], message: HUB_ONLY }
  },
  {
    name: 'internal spawn-config with an image in user_options and no secret',
    request: () => ({
      as: 'anonymous',
      method: 'POST',
      path: 'api/internal/spawn-config',
      json: {
        user: f.owner,
        server: f.server,
        user_options: { image: 'evil:latest' }
      }
    }),
    expect: { status: [403], message: HUB_ONLY }
  },
  {
    name: "internal spawn-config at the service's own address without the secret",
    request: () => ({
      via: 'service',
      as: 'anonymous',
      method: 'POST',
      path: 'api/internal/spawn-config',
      json: spawnBody()
    }),
    expect: { status: [403], message: HUB_ONLY }
  },
  {
    name: 'internal spawn-config with GET',
    request: { as: 'anonymous', path: 'api/internal/spawn-config' },
    expect: { status: [404, 405] }
  }
];

const TICKET = /ticket|launch .*through envhub|user_options/;

/** Asking the Hub to start a server directly: refused without a valid ticket, and no server entry, container or volume left. */
const hubSpawnCases: HostileCase[] = [
  ...(
    [
      ['no body', undefined],
      ['{}', {}],
      ['an image', { image: 'envhub-base:latest' }],
      ['a forged ticket', { ticket: 'forged-ticket-0000' }],
      ['a number as ticket', { ticket: 12345 }],
      ['a null ticket', { ticket: null }],
      ['an empty ticket', { ticket: '' }],
      [
        'a forged ticket and an image',
        { ticket: 'forged-ticket-0000', image: 'evil:latest' }
      ],
      ['limits', { mem_limit: '64G', cpu_limit: 64 }]
    ] as Array<[string, unknown]>
  ).map(([name, body], i): HostileCase => ({
    name: `Hub API spawn of a named server with ${name}`,
    request: () => ({
      as: 'outsider',
      method: 'POST',
      path: `/hub/api/users/${f.outsider}/servers/direct-${i}`,
      ...(body === undefined ? {} : { json: body })
    }),
    expect: { status: [400, 403], message: TICKET }
  })),
  {
    name: 'Hub API spawn of the default server with no body',
    request: () => ({
      as: 'outsider',
      method: 'POST',
      path: `/hub/api/users/${f.outsider}/server`
    }),
    expect: { status: [400, 403], message: TICKET }
  },
  {
    name: 'Hub API spawn of the default server with an image',
    request: () => ({
      as: 'outsider',
      method: 'POST',
      path: `/hub/api/users/${f.outsider}/server`,
      json: { image: 'envhub-base:latest' }
    }),
    expect: { status: [400, 403], message: TICKET }
  },
  {
    name: "Hub API spawn of the owner's server by another user",
    request: () => ({
      as: 'outsider',
      method: 'POST',
      path: `/hub/api/users/${f.owner}/servers/${f.server}-2`,
      json: {}
    }),
    expect: { status: [403, 404] }
  }
];

const SIGN_IN = /sign in/;
const toSignIn = (response: { headers: Record<string, unknown> }) =>
  /\/hub\/api\/oauth2\/authorize\?/.test(
    String(response.headers.location ?? '')
  )
    ? undefined
    : `Location is ${response.headers.location}, not the Hub's sign-in`;

/** Every route without a token. */
const anonymousRoutes: Array<[string, () => HostileRequest]> = [
  ['GET servers', () => ({ path: 'api/servers' })],
  ['GET a server', () => ({ path: serverPath() })],
  [
    'PUT collaborators',
    () => ({
      method: 'PUT',
      path: serverPath('/collaborators'),
      json: { users: [] }
    })
  ],
  [
    'PUT mounts',
    () => ({ method: 'PUT', path: serverPath('/mounts'), json: [] })
  ],
  ['POST stop', () => ({ method: 'POST', path: serverPath('/stop') })],
  ['DELETE a server', () => ({ method: 'DELETE', path: serverPath() })],
  ['GET volumes', () => ({ path: 'api/volumes' })],
  [
    'POST volumes',
    () => ({
      method: 'POST',
      path: 'api/volumes',
      json: { name: `${f.volume}-anon` }
    })
  ],
  ['GET a volume', () => ({ path: `api/volumes/${f.volume}` })],
  [
    'PUT volume members',
    () => ({
      method: 'PUT',
      path: `api/volumes/${f.volume}/members`,
      json: { users: [], groups: [] }
    })
  ],
  [
    'DELETE a volume',
    () => ({ method: 'DELETE', path: `api/volumes/${f.volume}` })
  ],
  ['GET a build', () => ({ path: 'api/builds/x' })],
  ['a launch stream', () => fixtureLaunch('')()]
];

const anonymousPages: Array<[string, () => HostileRequest]> = [
  ['the home page', () => ({ path: '' })],
  ['a build page', () => ({ path: 'builds/x' })],
  ['a /v2/ link', () => fixtureLink('')()],
  [
    'confirming a /v2/ link',
    () => ({ ...fixtureLink('')(), method: 'POST', form: { remember: '1' } })
  ]
];

const withAuth =
  (
    request: () => HostileRequest,
    as: Role,
    headers: Record<string, string> = {}
  ) =>
  () => {
    const built = request();
    return { ...built, as, headers: { ...built.headers, ...headers } };
  };

const anonymousCases: HostileCase[] = [
  ...anonymousRoutes.map(([name, request]): HostileCase => ({
    name: `anonymous: ${name}`,
    request: withAuth(request, 'anonymous'),
    expect: { status: [401], message: SIGN_IN }
  })),
  ...anonymousPages.map(([name, request]): HostileCase => ({
    name: `anonymous: ${name}`,
    request: withAuth(request, 'anonymous'),
    expect: { status: [302], check: toSignIn }
  })),
  ...(
    [
      ['an unknown token', { Authorization: 'token not-a-hub-token' }],
      ['an empty token', { Authorization: 'token ' }],
      [
        'a Basic header',
        {
          Authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}`
        }
      ],
      ['a tab inside the token', { Authorization: 'token a\tb' }]
    ] as Array<[string, Record<string, string>]>
  ).map(([name, headers]): HostileCase => ({
    name: `${name}: PUT collaborators`,
    request: withAuth(
      () => ({
        method: 'PUT',
        path: serverPath('/collaborators'),
        json: { users: [] }
      }),
      'anonymous',
      headers
    ),
    expect: { status: [401], message: SIGN_IN }
  })),
  {
    name: "the owner's token in the query instead of a header",
    request: () => ({
      as: 'anonymous',
      method: 'PUT',
      path: serverPath(`/collaborators?token=${f.tokens.owner}`),
      json: { users: [] }
    }),
    expect: { status: [401], message: SIGN_IN }
  },
  {
    name: 'a token without access to envhub: GET servers',
    request: { as: 'noScope', path: 'api/servers' },
    expect: { status: [403], message: /may not use envhub|scope/ }
  },
  {
    name: 'a token without access to envhub: PUT collaborators',
    request: () => ({
      as: 'noScope',
      method: 'PUT',
      path: serverPath('/collaborators'),
      json: { users: [] }
    }),
    expect: { status: [403], message: /may not use envhub|scope/ }
  }
];

const NOT_VISIBLE = /no (server|volume|build) .*that you can see|envhub has no/;
const OWNER_ONLY = /only .*owner/;

const otherUserCases: HostileCase[] = [
  ...(
    [
      ['GET the server', () => ({ path: serverPath() })],
      [
        'PUT its collaborators',
        () => ({
          method: 'PUT',
          path: serverPath('/collaborators'),
          json: { users: [f.outsider] }
        })
      ],
      [
        'PUT its mounts',
        () => ({ method: 'PUT', path: serverPath('/mounts'), json: [] })
      ],
      ['POST stop', () => ({ method: 'POST', path: serverPath('/stop') })],
      ['DELETE the server', () => ({ method: 'DELETE', path: serverPath() })],
      ['GET the volume', () => ({ path: `api/volumes/${f.volume}` })],
      [
        'PUT the volume members',
        () => ({
          method: 'PUT',
          path: `api/volumes/${f.volume}/members`,
          json: { users: [{ name: f.outsider }] }
        })
      ],
      [
        'DELETE the volume',
        () => ({ method: 'DELETE', path: `api/volumes/${f.volume}` })
      ],
      [
        'GET a build that does not exist',
        () => ({ path: 'api/builds/0000-none' })
      ],
      [
        'GET the owner’s server with spoofed identity headers',
        () => ({
          path: serverPath(),
          headers: {
            'X-Forwarded-User': f.owner,
            'X-Remote-User': f.owner,
            'Remote-User': f.owner
          }
        })
      ]
    ] as Array<[string, () => HostileRequest]>
  ).map(([name, request]): HostileCase => ({
    name: `another user: ${name}`,
    request: withAuth(request, 'outsider'),
    expect: { status: [404], message: NOT_VISIBLE }
  })),
  {
    name: 'another user: a build page that does not exist',
    request: {
      as: 'outsider',
      path: 'builds/0000-none',
      headers: { Accept: 'text/html' }
    },
    expect: { status: [404], message: /build/ }
  },
  {
    name: 'another user: a launch of the owner’s spec, with the owner’s volume',
    request: () => ({ ...fixtureLaunch('')(), as: 'outsider' }),
    expect: { status: [403], message: /may not mount/ }
  },
  ...(
    [
      [
        'PUT collaborators',
        () => ({
          method: 'PUT',
          path: serverPath('/collaborators'),
          json: { users: [] }
        })
      ],
      [
        'PUT mounts',
        () => ({ method: 'PUT', path: serverPath('/mounts'), json: [] })
      ],
      ['POST stop', () => ({ method: 'POST', path: serverPath('/stop') })],
      ['DELETE the server', () => ({ method: 'DELETE', path: serverPath() })],
      [
        'PUT the volume members',
        () => ({
          method: 'PUT',
          path: `api/volumes/${f.volume}/members`,
          json: { users: [] }
        })
      ],
      [
        'DELETE the volume',
        () => ({ method: 'DELETE', path: `api/volumes/${f.volume}` })
      ]
    ] as Array<[string, () => HostileRequest]>
  ).map(([name, request]): HostileCase => ({
    name: `a collaborator and volume member: ${name}`,
    request: withAuth(request, 'collaborator'),
    expect: { status: [403], message: OWNER_ONLY }
  }))
];

export const accessCases: HostileCase[] = [
  ...internalCases,
  ...hubSpawnCases,
  ...anonymousCases,
  ...otherUserCases
];
