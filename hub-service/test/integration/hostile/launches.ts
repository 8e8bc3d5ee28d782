import { namePrefix } from '../../support/hubSession.js';
import {
  buildPath,
  f,
  fixtureLaunch,
  fixtureLink,
  query,
  serverPath,
  stream,
  type HostileCase,
  type HostileRequest
} from './table.js';

/** The fixture server's launch with its own repository, ref, name and collaborators, and `params` (its mounts among them). */
const launchWith =
  (params: () => string, extra: Partial<HostileRequest> = {}) =>
  (): HostileRequest =>
    stream(
      buildPath(
        f.repo,
        'main',
        `name=${f.server}&user=${f.collaborator}&group=${f.group}&${params()}`
      ),
      extra
    );

const mountTargets: Array<[string, string]> = [
  ['a ../ out of the home', '/home/jovyan/../../etc'],
  ['a ../ out of /mnt', '/mnt/../root'],
  ['a trailing ..', '/mnt/data/..'],
  ['a ./ segment', '/mnt/./data'],
  ['~', '~'],
  ['~/data', '~/data'],
  ['{home} braces', '{home}/data'],
  ['{username} braces', '/home/jovyan/{username}'],
  ['/etc', '/etc'],
  ['/', '/'],
  ['/mnt itself', '/mnt'],
  ['the home itself', '/home/jovyan'],
  ['a sibling of the home', '/home/jovyanx/data'],
  ["another user's home", '/home/root/data'],
  ['a trailing /', '/mnt/data/'],
  ['a double //', '/mnt//data'],
  ['a relative path', 'mnt/data'],
  ['backslashes and ..', '/mnt/data\\..\\..\\etc'],
  ['the Docker socket', '/var/run/docker.sock'],
  ['/proc', '/proc/self'],
  ['a NUL', '/mnt/da\u0000ta'],
  ['a newline', '/mnt/data\n'],
  ['a path of 300 characters', `/mnt/${'a'.repeat(300)}`]
];

const mountValues: Array<[string, () => string]> = [
  ['a fourth field', () => `${f.volume}:/mnt/data:ro:rw`],
  ['mode "rx"', () => `${f.volume}:/mnt/data:rx`],
  ['no target', () => f.volume],
  ['nothing', () => ''],
  ['a host path as the source', () => '/var/run/docker.sock:/mnt/sock'],
  ['/ as the source', () => '/:/mnt/root'],
  ['../ in the source', () => '../x:/mnt/x'],
  ['. as the source', () => '.:/mnt/x'],
  [
    "the Docker name of the owner's home volume as the source",
    () => `${namePrefix}-home-${f.owner}--${f.server}:/mnt/x`
  ]
];

const MOUNT = /mount/;

const mountCases: HostileCase[] = [
  ...mountTargets.map(([name, target]): HostileCase => ({
    name: `mount path traversal in a launch: ${name}`,
    request: launchWith(() => query(['mount', `${f.volume}:${target}`])),
    expect: { status: [400], message: MOUNT }
  })),
  ...mountValues.map(([name, value]): HostileCase => ({
    name: `malformed mount in a launch: ${name}`,
    request: launchWith(() => query(['mount', value()])),
    expect: { status: [400, 422], message: /mount|volume/ }
  })),
  {
    name: 'a launch with 11 mounts',
    request: launchWith(() =>
      query(
        ...Array.from({ length: 11 }, (_, i): [string, string] => [
          'mount',
          `${f.volume}:/mnt/d${i}`
        ])
      )
    ),
    expect: {
      status: [400],
      message: /mount.*(10|at most)|(10|at most).*mount/
    }
  },
  {
    name: 'a launch with two mounts at one path',
    request: launchWith(() =>
      query(
        ['mount', `${f.volume}:/mnt/data`],
        ['mount', `${f.volume}:/mnt/data`]
      )
    ),
    expect: { status: [400], message: /mount|target|path/ }
  },
  {
    name: "an outsider mounts the owner's volume",
    request: () =>
      stream(
        buildPath(
          f.repo,
          'main',
          query(['name', 'steal'], ['mount', `${f.volume}:/mnt/data`])
        ),
        { as: 'outsider' }
      ),
    expect: { status: [403], message: /may not mount/ }
  },
  ...mountTargets.slice(0, 12).map(([name, target]): HostileCase => ({
    name: `mount path traversal in PUT mounts: ${name}`,
    request: () => ({
      method: 'PUT',
      path: serverPath('/mounts'),
      json: [{ source: f.volume, target }]
    }),
    expect: { status: [400], message: MOUNT }
  })),
  ...(
    [
      [
        'a host path as the source',
        () => [{ source: '/etc', target: '/mnt/etc' }]
      ],
      [
        'the Docker socket as the source',
        () => [{ source: '/var/run/docker.sock', target: '/mnt/sock' }]
      ],
      [
        'readOnly as a string',
        () => [{ source: f.volume, target: '/mnt/data', readOnly: 'false' }]
      ],
      [
        'a bind type',
        () => [{ source: f.volume, target: '/mnt/data', type: 'bind' }]
      ],
      [
        'a propagation option',
        () => [
          { source: f.volume, target: '/mnt/data', propagation: 'rshared' }
        ]
      ],
      ['no source', () => [{ target: '/mnt/data' }]],
      [
        '11 mounts',
        () =>
          Array.from({ length: 11 }, (_, i) => ({
            source: f.volume,
            target: `/mnt/d${i}`
          }))
      ],
      [
        '10 000 mounts',
        () =>
          Array.from({ length: 10_000 }, (_, i) => ({
            source: f.volume,
            target: `/mnt/d${i}`
          }))
      ]
    ] as Array<[string, () => unknown]>
  ).map(([name, body]): HostileCase => ({
    name: `malformed PUT mounts: ${name}`,
    request: () => ({
      method: 'PUT',
      path: serverPath('/mounts'),
      json: body()
    }),
    expect: { status: [400], message: MOUNT }
  }))
];

/** Characters that render as something else, break lines or end strings. */
const trickyText = (base: string): Array<[string, string]> => [
  ['an RTL override', `${base}\u202Eexe`],
  ['a NUL', `${base}\u0000x`],
  ['a newline', `${base}\nx`],
  ['a zero-width space', `${base}\u200B`],
  [
    'a Cyrillic homoglyph',
    base.replace(
      /[aceopx]/,
      ch =>
        ({
          a: '\u0430',
          c: '\u0441',
          e: '\u0435',
          o: '\u043e',
          p: '\u0440',
          x: '\u0445'
        })[ch]!
    )
  ]
];

const serverNames: Array<[string, string]> = [
  ...trickyText('fx'),
  ['CR LF and a header', 'fx\r\nSet-Cookie: a=b'],
  ['full-width letters', '\uff46\uff58'],
  ['capitals', 'FX'],
  ['a combining accent', 'fx\u0301'],
  ['an emoji', 'fx\u{1F600}'],
  ['..', '..'],
  ['.', '.'],
  ['a slash', 'a/b'],
  ['../admin', '../admin'],
  ['a leading -', '-fx'],
  ['a trailing -', 'fx-'],
  ['--', 'f--x'],
  ['nothing', ''],
  ['a leading space', ' fx'],
  ['31 characters', 'a'.repeat(31)],
  ['10 000 characters', 'a'.repeat(10_000)],
  ['a percent sign', 'fx%'],
  ['shell syntax', '$(id)']
];

const displayNames: Array<[string, string]> = [
  ['a NUL', 'a\u0000b'],
  ['a newline', 'a\nb'],
  ['a carriage return', 'a\rb'],
  ['a terminal escape', '\u001b[31mred'],
  ['DEL', 'a\u007f'],
  ['61 characters', 'a'.repeat(61)],
  ['10 000 characters', 'a'.repeat(10_000)]
];

const userNames = (): Array<[string, string]> => [
  ...trickyText('bob'),
  ["a zero-width space after a collaborator's name", `${f.collaborator}\u200B`],
  [
    "a homoglyph of a collaborator's name",
    f.collaborator.replace(/c$/, '\u0441')
  ],
  ['a slash', 'a/b'],
  ['../admin', '../admin'],
  ['101 characters', 'a'.repeat(101)],
  ['10 000 characters', 'a'.repeat(10_000)],
  ['nothing', ''],
  ['a space', ' '],
  ['the admin with a trailing space', 'admin ']
];

const groupNames = (): Array<[string, string]> => [
  ...trickyText('team'),
  ["a zero-width space after the group's name", `${f.group}\u200B`],
  ['a slash', 'a/b'],
  ['10 000 characters', 'a'.repeat(10_000)]
];

const volumeNames = (): Array<[string, unknown]> => [
  ...trickyText('vol'),
  ["a homoglyph of the owner's volume", f.volume.replace(/^h/, '\u04bb')],
  ['capitals', 'VOL'],
  ['../x', '../x'],
  ['a slash', 'a/b'],
  ['a leading .', '.x'],
  ['a leading -', '-x'],
  ['a leading _', '_x'],
  ['a colon', 'a:b'],
  ['a space', 'a b'],
  ['64 characters', 'a'.repeat(64)],
  ['10 000 characters', 'a'.repeat(10_000)],
  ['nothing', ''],
  ['a number', 5],
  ['null', null],
  ['a list', ['x']],
  ['an operator object', { $ne: 1 }],
  ['true', true]
];

const refNames: Array<[string, string]> = [
  ['an RTL override', 'main\u202E'],
  ['a NUL', 'ma\u0000in'],
  ['a newline', 'main\n'],
  ['a carriage return', 'main\r'],
  ['a zero-width space', 'ma\u200Bin'],
  ['a Cyrillic homoglyph', 'm\u0430in'],
  ['a terminal escape', 'main\u001b[2J'],
  ['256 characters', 'a'.repeat(256)],
  ['10 000 characters', 'a'.repeat(10_000)]
];

const nameCases: HostileCase[] = [
  ...serverNames.map(([name, value]): HostileCase => ({
    name: `server name in a launch: ${name}`,
    request: () => stream(buildPath(f.repo, 'main', query(['name', value]))),
    expect: { status: [400], message: /name/ }
  })),
  ...serverNames.slice(0, 5).map(([name, value]): HostileCase => ({
    name: `server name in a /v2/ link: ${name}`,
    request: () => ({
      path: `v2/git/${encodeURIComponent(f.repo)}/main?${query(['name', value])}`
    }),
    expect: { status: [400], message: /name/ }
  })),
  ...serverNames.slice(0, 5).map(([name, value]): HostileCase => ({
    name: `server name in a path: ${name}`,
    request: () => ({
      path: `api/servers/${f.owner}/${encodeURIComponent(value)}`
    }),
    expect: { status: [400, 404], message: /server|name/ }
  })),
  ...trickyText(f.owner).map(([name, value]): HostileCase => ({
    name: `owner name in a path: ${name}`,
    request: () => ({
      path: `api/servers/${encodeURIComponent(value)}/${f.server}`
    }),
    expect: { status: [400, 404], message: /server|name/ }
  })),
  ...displayNames.map(([name, value]): HostileCase => ({
    name: `display name in a launch: ${name}`,
    request: fixtureLaunch(query(['displayName', value])),
    expect: { status: [400], message: /displayName|display name/ }
  })),
  ...userNames().map(([name, value]): HostileCase => ({
    name: `collaborator in a launch: ${name}`,
    request: () => fixtureLaunch(query(['user', value]))(),
    expect: { status: [400, 404, 422], message: /user|collaborator/ }
  })),
  ...groupNames().map(([name, value]): HostileCase => ({
    name: `collaborating group in a launch: ${name}`,
    request: () => fixtureLaunch(query(['group', value]))(),
    expect: { status: [400, 404, 422], message: /group|collaborator/ }
  })),
  ...userNames().map(([name, value]): HostileCase => ({
    name: `collaborator in PUT collaborators: ${name}`,
    request: () => ({
      method: 'PUT',
      path: serverPath('/collaborators'),
      json: { users: [f.collaborator, value], groups: [f.group] }
    }),
    expect: { status: [400, 404, 422], message: /user|collaborator/ }
  })),
  ...groupNames().map(([name, value]): HostileCase => ({
    name: `group in PUT collaborators: ${name}`,
    request: () => ({
      method: 'PUT',
      path: serverPath('/collaborators'),
      json: { users: [f.collaborator], groups: [f.group, value] }
    }),
    expect: { status: [400, 404, 422], message: /group|collaborator/ }
  })),
  ...(
    [
      [
        'users as a string',
        () => ({ users: f.collaborator, groups: [f.group] })
      ],
      ['a number as a user', () => ({ users: [5], groups: [f.group] })],
      ['null as a user', () => ({ users: [null], groups: [f.group] })],
      [
        'an object as a user',
        () => ({ users: [{ name: f.collaborator }], groups: [f.group] })
      ],
      [
        'an unknown field',
        () => ({ users: [f.collaborator], groups: [f.group], admins: ['x'] })
      ],
      [
        '101 users',
        () => ({
          users: Array.from({ length: 101 }, (_, i) => `u${i}`),
          groups: [f.group]
        })
      ],
      [
        '10 000 users',
        () => ({
          users: Array.from({ length: 10_000 }, (_, i) => `user-${i}`),
          groups: [f.group]
        })
      ]
    ] as Array<[string, () => unknown]>
  ).map(([name, body]): HostileCase => ({
    name: `malformed PUT collaborators: ${name}`,
    request: () => ({
      method: 'PUT',
      path: serverPath('/collaborators'),
      json: body()
    }),
    expect: {
      status: [400],
      message: /user|collaborator|100|at most|unknown|additional/
    }
  })),
  ...userNames()
    .slice(0, 9)
    .map(([name, value]): HostileCase => ({
      name: `member in PUT volume members: ${name}`,
      request: () => ({
        method: 'PUT',
        path: `api/volumes/${f.volume}/members`,
        json: {
          users: [{ name: f.collaborator, readOnly: true }, { name: value }],
          groups: [{ name: f.group }]
        }
      }),
      expect: { status: [400, 404, 422], message: /user|member|name/ }
    })),
  ...(
    [
      [
        'readOnly as a string',
        () => ({
          users: [{ name: f.collaborator, readOnly: 'yes' }],
          groups: []
        })
      ],
      [
        'an unknown field in a member',
        () => ({ users: [{ name: f.collaborator, admin: true }], groups: [] })
      ],
      ['a member as a string', () => ({ users: [f.collaborator], groups: [] })],
      ['users as a string', () => ({ users: f.collaborator, groups: [] })],
      ['a number as a name', () => ({ users: [{ name: 5 }], groups: [] })],
      [
        'a member listed twice',
        () => ({
          users: [
            { name: f.collaborator },
            { name: f.collaborator, readOnly: true }
          ],
          groups: []
        })
      ],
      [
        '101 members',
        () => ({
          users: Array.from({ length: 101 }, (_, i) => ({ name: `u${i}` })),
          groups: []
        })
      ],
      [
        '10 000 members',
        () => ({
          users: Array.from({ length: 10_000 }, (_, i) => ({
            name: `user-${i}`
          })),
          groups: []
        })
      ]
    ] as Array<[string, () => unknown]>
  ).map(([name, body]): HostileCase => ({
    name: `malformed PUT volume members: ${name}`,
    request: () => ({
      method: 'PUT',
      path: `api/volumes/${f.volume}/members`,
      json: body()
    }),
    expect: {
      status: [400],
      message: /member|user|name|readOnly|100|at most|twice|unknown/
    }
  })),
  ...volumeNames().map(([name, value]): HostileCase => ({
    name: `volume name in POST volumes: ${name}`,
    request: { method: 'POST', path: 'api/volumes', json: { name: value } },
    expect: { status: [400], message: /name/ }
  })),
  ...volumeNames()
    .slice(0, 5)
    .map(([name, value]): HostileCase => ({
      name: `volume name in a path: ${name}`,
      request: () => ({
        path: `api/volumes/${encodeURIComponent(String(value))}`
      }),
      expect: { status: [400, 404], message: /volume|name/ }
    })),
  {
    name: "a homoglyph of the owner's volume in PUT members",
    request: () => ({
      method: 'PUT',
      path: `api/volumes/${encodeURIComponent(f.volume.replace(/^h/, '\u04bb'))}/members`,
      json: { users: [], groups: [] }
    }),
    expect: { status: [400, 404], message: /volume|name/ }
  },
  // Refused before the stream, or when the ref is resolved (a failed event): either way, saying what is wrong with the ref.
  ...refNames.map(([name, ref], i): HostileCase => ({
    name: `ref: ${name}`,
    request: () =>
      stream(
        buildPath(f.repo, encodeURIComponent(ref), query(['name', `ref-${i}`]))
      ),
    expect: {
      status: [400, 404],
      message: /ref|branch|tag/,
      orFailedEvent: true
    }
  }))
];

/** A request head over the limits: refused by the HTTP server itself (no JSON body), or the connection closed. */
const HEAD_TOO_LARGE = { status: [400, 413, 414, 431], orClosed: true };

const oversizedCases: HostileCase[] = [
  {
    name: 'a launch URL with 10 000 collaborators',
    request: () =>
      fixtureLaunch(
        query(
          ...Array.from({ length: 10_000 }, (_, i): [string, string] => [
            'user',
            `user-${i}`
          ])
        )
      )(),
    expect: HEAD_TOO_LARGE
  },
  {
    name: 'a launch URL with 101 collaborators',
    request: () =>
      fixtureLaunch(
        query(
          ...Array.from({ length: 100 }, (_, i): [string, string] => [
            'user',
            `u${i}`
          ])
        )
      )(),
    expect: { status: [400], message: /100|at most/ }
  },
  {
    name: 'a launch URL with a 1 MB parameter',
    request: fixtureLaunch(query(['displayName', 'a'.repeat(1024 * 1024)])),
    expect: HEAD_TOO_LARGE
  },
  {
    name: 'an urlpath of 10 000 characters',
    request: fixtureLaunch(
      query(['urlpath', `lab/tree/${'a'.repeat(10_000)}`])
    ),
    expect: { status: [400], message: /urlpath/ }
  },
  {
    name: 'a 100 kB request header',
    request: {
      path: 'api/servers',
      headers: { 'X-Junk': 'a'.repeat(100 * 1024) }
    },
    expect: HEAD_TOO_LARGE
  },
  {
    name: '2 000 request headers',
    request: {
      path: 'api/servers',
      headers: Object.fromEntries(
        Array.from({ length: 2000 }, (_, i) => [`X-Junk-${i}`, 'a'])
      )
    },
    expect: { ...HEAD_TOO_LARGE, status: [200, ...HEAD_TOO_LARGE.status] }
  }
];

const MINIMUM = /minimum|at least/;
const resourceValues: Array<[string, string, RegExp, number[]?]> = [
  ['memory', '1M', MINIMUM],
  ['memory', '4M', MINIMUM],
  ['memory', '5.9M', MINIMUM],
  ['memory', '0.001G', MINIMUM],
  ['memory', '0.5M', MINIMUM],
  ['memory', '0M', /memory/],
  ['memory', '1K', /memory/],
  ['memory', '-1G', /memory/],
  ['memory', '1e3M', /memory/],
  ['memory', '1.M', /memory/],
  ['memory', ' 1G', /memory/],
  ['memory', '1GB', /memory/],
  ['memory', '0x10M', /memory/],
  ['memory', '999999G', /memory.*cap|cap.*memory/, [422, 400]],
  ['cpus', '0', /cpus/],
  ['cpus', '-1', /cpus/],
  ['cpus', '0.001', /cpus/],
  ['cpus', 'NaN', /cpus/],
  ['cpus', 'Infinity', /cpus/],
  ['cpus', '1e400', /cpus/],
  ['cpus', '0x10', /cpus/],
  ['cpus', '', /cpus/],
  ['cpus', '3', /cpus.*cap|cap.*cpus/, [422, 400]],
  ['idleTimeout', '59', /idleTimeout/],
  ['idleTimeout', '1.5', /idleTimeout/],
  ['idleTimeout', '-60', /idleTimeout/],
  ['idleTimeout', '1e999', /idleTimeout/],
  ['maxAge', '0', /maxAge/],
  ['maxAge', '59', /maxAge/]
];

const resourceCases: HostileCase[] = resourceValues.map(
  ([param, value, message, status]): HostileCase => ({
    name: `resources: ${param}=${JSON.stringify(value)}`,
    request: fixtureLaunch(query([param, value])),
    expect: { status: status ?? [400, 422], message }
  })
);

const UNKNOWN = /unknown launch parameter/;
const unknownParams: Array<[string, string]> = [
  ['foo', '1'],
  ['Name', 'fx'],
  ['NAME', 'fx'],
  ['__proto__', 'x'],
  ['constructor', 'x'],
  ['toString', 'x'],
  ['hasOwnProperty', '1'],
  ['repo', 'http://10.0.0.1/x.git'],
  ['ref', 'evil'],
  ['provider', 'file'],
  ['image', 'evil:latest'],
  ['mem_limit', '1'],
  ['cpu_limit', '8'],
  ['ticket', 'x'],
  ['user_options', 'x'],
  ['volumes', '/etc:/mnt/etc'],
  ['name[]', 'fx'],
  ['', 'x'],
  ['name\u0000', 'fx']
];

const paramCases: HostileCase[] = [
  ...unknownParams.map(([key, value]): HostileCase => ({
    name: `unknown launch parameter ${JSON.stringify(key)}`,
    request: fixtureLaunch(query([key, value])),
    expect: { status: [400], message: UNKNOWN }
  })),
  ...unknownParams
    .filter(([key]) => ['repo', 'image', 'ticket', 'volumes'].includes(key))
    .map(([key, value]): HostileCase => ({
      name: `unknown parameter ${JSON.stringify(key)} in a /v2/ link`,
      request: fixtureLink(query([key, value])),
      expect: { status: [400], message: UNKNOWN }
    })),
  ...(
    [
      ['name', () => query(['name', 'fy'])],
      ['memory', () => query(['memory', '1G'], ['memory', '2G'])],
      ['displayName', () => query(['displayName', 'a'], ['displayName', 'b'])],
      ['urlpath', () => query(['urlpath', 'lab'], ['urlpath', 'tree'])],
      ['cpus', () => query(['cpus', '1'], ['cpus', '0.5'])],
      ['public', () => query(['public', '0'], ['public', '1'])],
      [
        'urlpath and labpath',
        () => query(['urlpath', 'lab'], ['labpath', 'index.ipynb'])
      ],
      [
        'labpath and filepath',
        () => query(['labpath', 'a.ipynb'], ['filepath', 'b.ipynb'])
      ]
    ] as Array<[string, () => string]>
  ).map(([name, search]): HostileCase => ({
    name: `duplicate launch parameters: ${name}`,
    request: () => fixtureLaunch(search())(),
    expect: { status: [400], message: /times|once|only one/ }
  })),
  ...(
    [
      ['urlpath', 'javascript:alert(1)'],
      ['urlpath', '//evil.example/x'],
      ['urlpath', '/\\evil.example'],
      ['urlpath', 'https://evil.example/'],
      ['urlpath', '../../hub/token'],
      ['urlpath', 'lab/../../../hub/admin'],
      ['urlpath', 'lab/tree/%2e%2e/%2e%2e/hub'],
      ['urlpath', 'lab\u0000'],
      ['urlpath', 'lab\n'],
      ['urlpath', 'lab\\..\\..\\hub'],
      ['labpath', '../../hub/admin'],
      ['filepath', '/../../../hub/token']
    ] as Array<[string, string]>
  ).map(([param, value]): HostileCase => ({
    name: `${param} ${JSON.stringify(value)}`,
    request: fixtureLaunch(query([param, value])),
    expect: { status: [400], message: /urlpath|labpath|filepath/ }
  })),
  ...(
    [
      ['public', 'yes'],
      ['public', '2'],
      ['credentials', 'on'],
      ['credentials', '']
    ] as Array<[string, string]>
  ).map(([param, value]): HostileCase => ({
    name: `flag ${param}=${JSON.stringify(value)}`,
    request: fixtureLaunch(query([param, value])),
    expect: { status: [400], message: new RegExp(param) }
  }))
];

/** `update`, `relaunch` and `restart` take 1 (or true); anything else is a 400 naming the parameter, not a silent "no". */
const controlCases: HostileCase[] = (
  [
    ['update', 'yes'],
    ['update', '2'],
    ['update', ''],
    ['update', '\u0000'],
    ['update', '1 '],
    ['relaunch', 'maybe'],
    ['relaunch', '-1'],
    ['restart', 'on'],
    ['restart', '1\n']
  ] as Array<[string, string]>
)
  .map(([param, value]): HostileCase => ({
    name: `${param}=${JSON.stringify(value)}`,
    request: fixtureLaunch(query([param, value])),
    expect: { status: [400], message: new RegExp(param) }
  }))
  .concat([
    {
      name: 'update given twice (1 and 0)',
      request: fixtureLaunch(query(['update', '1'], ['update', '0'])),
      expect: { status: [400], message: /update/ }
    }
  ]);

export const launchCases: HostileCase[] = [
  ...mountCases,
  ...nameCases,
  ...oversizedCases,
  ...resourceCases,
  ...paramCases,
  ...controlCases
];
