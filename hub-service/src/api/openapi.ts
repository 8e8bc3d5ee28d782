import {
  classBodySchema,
  credentialBodySchema,
  environmentSchema,
  exchangeUploadSchema,
  launchParameterNames,
  providers,
  volumeMembersSchema
} from '@envhub/schema';

const error = { $ref: '#/components/schemas/Error' };
const json = (schema: object) => ({ 'application/json': { schema } });
const errors = {
  '400': {
    description: 'Invalid input; the message names every field',
    content: json(error)
  },
  '401': { description: 'Not signed in', content: json(error) },
  '403': {
    description:
      'Not allowed: you can see it but may not do this (the message says who may), your token lacks access to envhub, or an XSRF check failed',
    content: json(error)
  },
  '404': {
    description:
      'No such thing that you can see (things you may not see answer 404, never 403)',
    content: json(error)
  },
  '413': { description: 'The body is over the limit', content: json(error) },
  '415': {
    description:
      'The body is not JSON (or a form, for pages) in UTF-8, or has an encoding this service does not read',
    content: json(error)
  },
  '409': {
    description:
      'Conflicts with an existing server; the message says what differs',
    content: json(error)
  },
  '422': {
    description:
      "Refused by this hub's policy; the message says what to change",
    content: json(error)
  }
};
const serverPath = [
  { name: 'owner', in: 'path', required: true, schema: { type: 'string' } },
  { name: 'name', in: 'path', required: true, schema: { type: 'string' } }
];
const volumePath = [
  { name: 'name', in: 'path', required: true, schema: { type: 'string' } }
];
const catalogParameters = [
  {
    name: 'sort',
    in: 'query',
    schema: { enum: ['popular', 'recent'], default: 'popular' }
  },
  {
    name: 'q',
    in: 'query',
    schema: { type: 'string' },
    description: 'words the repository, title or description must contain'
  }
];
/** The form a page posts: its `_xsrf` value and one checkbox, `field`. */
const pageForm = (field: string) => ({
  content: {
    'application/x-www-form-urlencoded': {
      schema: {
        type: 'object',
        properties: { _xsrf: { type: 'string' }, [field]: { enum: ['1'] } }
      }
    }
  }
});
const daysParameter = {
  name: 'days',
  in: 'query',
  schema: { type: 'integer', minimum: 1, maximum: 366, default: 30 },
  description: 'how many days back, today included (UTC)'
};
const buildPath = [
  { name: 'id', in: 'path', required: true, schema: { type: 'string' } }
];
/** `<provider>/<spec>` of Binder-style links, as `/build/…` and `/v2/…` take them. */
const providerPath = [
  {
    name: 'provider',
    in: 'path',
    required: true,
    schema: { enum: providers }
  },
  {
    name: 'spec',
    in: 'path',
    required: true,
    schema: { type: 'string' },
    description: 'e.g. `<url-escaped repository URL>/<ref>` for git'
  }
];
const launchQuery = launchParameterNames.map(name => ({
  name,
  in: 'query',
  required: false,
  schema: { type: 'string' }
}));
const pathParameter = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description
});
const classPath = [pathParameter('id', 'the class id, e.g. intro101')];
const assignmentPath = [
  ...classPath,
  pathParameter('assignment', 'the assignment id, e.g. ps1')
];
/**
 * A JSON Schema of `schema/` as the component `name`: without its draft and id, its refs into
 * itself (`#/…`) made to point into the component.
 */
const component = (schema: object, name: string): object => {
  const {
    $schema: _draft,
    $id: _id,
    ...rest
  } = schema as Record<string, unknown>;
  return JSON.parse(
    JSON.stringify(rest).replace(/"#\//g, `"#/components/schemas/${name}/`)
  ) as object;
};
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
/** A class or exchange operation answering `description` as JSON with `status`. */
const classOperation = (
  summary: string,
  parameters: object[],
  status: string,
  description: string,
  body?: string
) => ({
  summary,
  tags: ['classes'],
  parameters,
  ...(body ? { requestBody: { content: json(ref(body)) } } : {}),
  responses: {
    [status]: {
      description,
      ...(status === '204' ? {} : { content: json({ type: 'object' }) })
    },
    ...errors
  }
});
const hostParameter = {
  name: 'host',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description:
    "a host name, with `:port` when the port is not the scheme's default, e.g. `forge.example.org`"
};

const htmlPage = {
  '200': { description: 'HTML', content: { 'text/html': {} } },
  ...errors
};

/** The OpenAPI description of envhub's REST API, with the environment schema as its spec type. */
export function openApiDocument(prefix: string): object {
  return {
    openapi: '3.1.0',
    info: {
      title: 'envhub',
      version: '0.1.0',
      description:
        'Launch Binder repositories as persistent named JupyterHub servers.'
    },
    servers: [{ url: prefix.replace(/\/$/, '') }],
    components: {
      securitySchemes: {
        hubToken: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: '`token <JupyterHub API token>` or `Bearer <token>`'
        },
        hubSession: {
          type: 'apiKey',
          in: 'cookie',
          name: 'envhub session',
          description:
            "envhub's session cookie from signing in through the Hub; writes also need the page's XSRF value (`X-XSRFToken` header or `_xsrf` form field), an HMAC bound to the session"
        },
        internalSecret: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description:
            "`token <secret shared with the Hub's apply_user_options hook>`"
        }
      },
      schemas: {
        EnvironmentSpec: component(environmentSchema, 'EnvironmentSpec'),
        ClassBody: component(classBodySchema, 'ClassBody'),
        CredentialBody: component(credentialBodySchema, 'CredentialBody'),
        Credential: {
          type: 'object',
          properties: {
            host: { type: 'string' },
            username: { type: 'string' },
            createdAt: { type: 'string' },
            lastUsedAt: { type: ['string', 'null'] }
          }
        },
        ExchangeUpload: component(exchangeUploadSchema, 'ExchangeUpload'),
        Error: {
          type: 'object',
          required: ['status', 'code', 'message'],
          properties: {
            status: { type: 'integer' },
            code: { type: 'string' },
            message: { type: 'string' }
          }
        },
        VolumeMembers: component(volumeMembersSchema, 'VolumeMembers'),
        Session: {
          type: 'object',
          properties: {
            user: { type: 'string' },
            owner: { type: 'string' },
            server: { type: 'string' },
            image: { type: 'string' },
            createdAt: { type: 'string' },
            claimedAt: {
              type: ['string', 'null'],
              description: 'null while it waits in the warm pool'
            },
            client: {
              type: ['string', 'null'],
              description: "the visitor's address (admins only)"
            }
          }
        },
        Volume: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            owner: { type: 'string' },
            createdAt: { type: 'string' },
            webdav: { type: ['string', 'null'] },
            members: { $ref: '#/components/schemas/VolumeMembers' },
            access: { enum: ['owner', 'write', 'read', null] },
            canManage: { type: 'boolean' },
            mountedBy: { type: 'array', items: { type: 'string' } }
          }
        },
        Server: {
          type: 'object',
          properties: {
            ...Object.fromEntries(
              [
                'owner',
                'name',
                'displayName',
                'repoUrl',
                'ref',
                'commit',
                'image',
                'createdAt',
                'state',
                'url',
                'buildId',
                'launchUrl',
                'badgeUrl'
              ].map(k => [k, { type: ['string', 'null'] }])
            ),
            spec: { $ref: '#/components/schemas/EnvironmentSpec' },
            canManage: {
              type: 'boolean',
              description: 'the viewer is the owner or an admin'
            },
            mountsPending: {
              type: 'boolean',
              description:
                "the spec's mounts differ from those the running server started with"
            },
            public: {
              type: ['object', 'null'],
              description:
                'while the server is public: its public page `url`, badge `snippets` and `visitors` now',
              properties: {
                url: { type: 'string' },
                snippets: { type: 'object' },
                visitors: { type: 'integer' }
              }
            }
          }
        }
      }
    },
    security: [{ hubToken: [] }, { hubSession: [] }],
    paths: {
      '/build/{provider}/{spec}': {
        get: {
          summary:
            'Launch (BinderHub-compatible event stream of build and launch phases)',
          parameters: [
            ...providerPath,
            ...launchQuery,
            {
              name: 'update',
              in: 'query',
              schema: { enum: ['1'] },
              description:
                'apply a changed spec to the existing server and restart it'
            },
            {
              name: 'relaunch',
              in: 'query',
              schema: { enum: ['1'] },
              description: 'resolve the ref again, rebuild if needed, restart'
            },
            {
              name: 'restart',
              in: 'query',
              schema: { enum: ['1'] },
              description:
                'restart a running server with the same image (applies changed mounts)'
            }
          ],
          responses: {
            '200': {
              description:
                '`data: {"phase", "message", …}` events ending in `ready` (with `url`) or `failed`',
              content: { 'text/event-stream': {} }
            },
            ...errors
          }
        }
      },
      '/api/servers': {
        get: {
          summary: "The signed-in user's servers",
          responses: {
            '200': {
              description: 'servers',
              content: json({
                type: 'object',
                properties: {
                  servers: {
                    type: 'array',
                    items: { $ref: '#/components/schemas/Server' }
                  }
                }
              })
            }
          }
        }
      },
      '/api/servers/{owner}/{name}': {
        get: {
          summary: 'One server',
          parameters: serverPath,
          responses: {
            '200': {
              description: 'the server',
              content: json({ $ref: '#/components/schemas/Server' })
            },
            ...errors
          }
        },
        delete: {
          summary: 'Delete a server and its home volume',
          parameters: serverPath,
          responses: { '204': { description: 'deleted' }, ...errors }
        }
      },
      '/api/servers/{owner}/{name}/collaborators': {
        put: {
          summary: 'Replace the collaborators (applied at once as Hub shares)',
          parameters: serverPath,
          requestBody: {
            content: json(environmentSchema.properties.collaborators)
          },
          responses: {
            '200': {
              description: 'the server',
              content: json({ $ref: '#/components/schemas/Server' })
            },
            ...errors
          }
        }
      },
      '/api/servers/{owner}/{name}/mounts': {
        put: {
          summary:
            'Replace the mounts (applied at the next start; `mountsPending` says whether one is due)',
          parameters: serverPath,
          requestBody: {
            content: json(environmentSchema.properties.mounts)
          },
          responses: {
            '200': {
              description: 'the server',
              content: json({ $ref: '#/components/schemas/Server' })
            },
            ...errors
          }
        }
      },
      '/api/servers/{owner}/{name}/credentials': {
        get: {
          summary:
            "The owner's credentials by host, secrets included, for a server launched with `credentials`: to that server's own token only (its envhub extension writes them to /run/envhub/credentials.json)",
          parameters: serverPath,
          responses: {
            '200': {
              description: 'host → user name and token',
              content: json({
                type: 'object',
                properties: {
                  credentials: {
                    type: 'object',
                    additionalProperties: {
                      type: 'object',
                      properties: {
                        username: { type: 'string' },
                        token: { type: 'string' }
                      }
                    }
                  }
                }
              })
            },
            ...errors
          }
        }
      },
      '/api/servers/{owner}/{name}/public': {
        put: {
          summary:
            "Open the server to visitors (temporary sessions from its public page) or close it; closing ends its visitors' sessions",
          parameters: serverPath,
          requestBody: {
            content: json({
              type: 'object',
              required: ['public'],
              properties: { public: environmentSchema.properties.public }
            })
          },
          responses: {
            '200': {
              description: 'the server',
              content: json({ $ref: '#/components/schemas/Server' })
            },
            ...errors
          }
        }
      },
      '/api/sessions': {
        get: {
          summary:
            "Temporary sessions of your public servers (every one, with the visitor's address, for admins)",
          responses: {
            '200': {
              description: 'sessions',
              content: json({
                type: 'object',
                properties: {
                  sessions: {
                    type: 'array',
                    items: { $ref: '#/components/schemas/Session' }
                  }
                }
              })
            },
            ...errors
          }
        }
      },
      '/api/sessions/{user}': {
        delete: {
          summary:
            'End a temporary session: its container, its temporary Hub user and its tokens go (the owner of the server it copies, or an admin)',
          parameters: [
            {
              name: 'user',
              in: 'path',
              required: true,
              schema: { type: 'string' },
              description: "the session's temporary Hub user"
            }
          ],
          responses: { '204': { description: 'ended' }, ...errors }
        }
      },
      '/api/credentials': {
        get: {
          summary:
            'Your credentials, one per host, without their secrets, with when envhub last used each',
          responses: {
            '200': {
              description: 'credentials',
              content: json({
                type: 'object',
                properties: {
                  credentials: {
                    type: 'array',
                    items: { $ref: '#/components/schemas/Credential' }
                  }
                }
              })
            },
            ...errors
          }
        }
      },
      '/api/credentials/{host}': {
        put: {
          summary:
            'Store your credential for a host (replacing the one there was); the secret is sealed at rest and never shown again',
          parameters: [hostParameter],
          requestBody: {
            content: json({ $ref: '#/components/schemas/CredentialBody' })
          },
          responses: {
            '200': {
              description: 'the credential, without its secret',
              content: json({ $ref: '#/components/schemas/Credential' })
            },
            ...errors
          }
        },
        delete: {
          summary: 'Remove your credential for a host',
          parameters: [hostParameter],
          responses: { '204': { description: 'removed' }, ...errors }
        }
      },
      '/api/volumes': {
        get: {
          summary: 'The volumes you own or are a member of',
          responses: {
            '200': {
              description: 'volumes',
              content: json({
                type: 'object',
                properties: {
                  volumes: {
                    type: 'array',
                    items: { $ref: '#/components/schemas/Volume' }
                  }
                }
              })
            }
          }
        },
        post: {
          summary:
            'Create a volume that you own: an empty one, or a WebDAV folder that each user reaches with their own credential',
          requestBody: {
            content: json({
              type: 'object',
              required: ['name'],
              properties: {
                name: environmentSchema.properties.mounts.items.properties
                  .source,
                webdav: {
                  type: 'string',
                  format: 'uri',
                  description:
                    "A WebDAV folder's URL, e.g. https://cloud.example.org/remote.php/dav/files/alice/Teaching/"
                }
              }
            })
          },
          responses: {
            '201': {
              description: 'the volume',
              content: json({ $ref: '#/components/schemas/Volume' })
            },
            ...errors
          }
        }
      },
      '/api/volumes/{name}': {
        get: {
          summary: 'One volume',
          parameters: volumePath,
          responses: {
            '200': {
              description: 'the volume',
              content: json({ $ref: '#/components/schemas/Volume' })
            },
            ...errors
          }
        },
        delete: {
          summary:
            'Delete a volume and its files (refused while a running server mounts it)',
          parameters: volumePath,
          responses: { '204': { description: 'deleted' }, ...errors }
        }
      },
      '/api/volumes/{name}/members': {
        put: {
          summary:
            "Replace a volume's members (owner or admin; applied at each server's next start)",
          parameters: volumePath,
          requestBody: {
            content: json({ $ref: '#/components/schemas/VolumeMembers' })
          },
          responses: {
            '200': {
              description: 'the volume',
              content: json({ $ref: '#/components/schemas/Volume' })
            },
            ...errors
          }
        }
      },
      '/api/classes': {
        get: classOperation(
          "Your classes (admins: all); students don't see other students",
          [],
          '200',
          '{classes: ClassView[]}'
        ),
        post: classOperation(
          'Create a class; you become one of its instructors, and its course directory is made',
          [],
          '201',
          'the ClassView',
          'ClassBody'
        )
      },
      '/api/classes/{id}': {
        get: classOperation('A class (members)', classPath, '200', 'ClassView'),
        delete: classOperation(
          'Delete a class with its releases, submissions, feedback and course directory (instructors)',
          classPath,
          '204',
          'deleted'
        )
      },
      '/api/classes/{id}/members': {
        put: classOperation(
          'Replace the instructors and students (and title and environment when given) (instructors)',
          classPath,
          '200',
          'the ClassView',
          'ClassBody'
        )
      },
      '/api/classes/{id}/assignments': {
        get: classOperation(
          'Released assignments, with your submissions and feedback; instructors also see counts',
          classPath,
          '200',
          '{assignments: AssignmentView[]}'
        )
      },
      '/api/classes/{id}/assignments/{assignment}': {
        put: classOperation(
          'Release an assignment, or replace its release, with its due date (instructors)',
          assignmentPath,
          '200',
          'the AssignmentView',
          'ExchangeUpload'
        ),
        delete: classOperation(
          'Withdraw a release; submissions and feedback stay (instructors)',
          assignmentPath,
          '204',
          'withdrawn'
        )
      },
      '/api/classes/{id}/assignments/{assignment}/files': {
        get: classOperation(
          "A released assignment's files (members)",
          assignmentPath,
          '200',
          '{files: FileEntry[]}'
        )
      },
      '/api/classes/{id}/assignments/{assignment}/submissions': {
        post: classOperation(
          'Submit your work; every submission is kept, timestamped and marked late after the due date',
          assignmentPath,
          '201',
          'the receipt: SubmissionView',
          'ExchangeUpload'
        ),
        get: classOperation(
          'Submissions: all for instructors (?student= to narrow), your own for students',
          assignmentPath,
          '200',
          '{submissions: SubmissionView[]}'
        )
      },
      '/api/classes/{id}/assignments/{assignment}/submissions/{submission}': {
        get: classOperation(
          'One submission with its files: your own, or any for instructors',
          [
            ...assignmentPath,
            pathParameter('submission', "the submission's id")
          ],
          '200',
          '{submission: SubmissionView, files: FileEntry[]}'
        )
      },
      '/api/classes/{id}/assignments/{assignment}/feedback/{student}': {
        put: classOperation(
          "Release feedback for a student's submission, named by its timestamp (instructors)",
          [...assignmentPath, pathParameter('student', 'a Hub user name')],
          '200',
          'the FeedbackView',
          'ExchangeUpload'
        )
      },
      '/api/classes/{id}/assignments/{assignment}/feedback': {
        get: classOperation(
          "Released feedback with its files: your own, or everyone's for instructors",
          assignmentPath,
          '200',
          '{feedback: FeedbackView[]}'
        )
      },
      '/api/servers/{owner}/{name}/stop': {
        post: {
          summary: 'Stop a server (its home is kept)',
          parameters: serverPath,
          responses: { '202': { description: 'stopping' }, ...errors }
        }
      },
      '/api/builds/{id}': {
        get: {
          summary: 'A build and its kept log',
          parameters: buildPath,
          responses: { '200': { description: 'the build' }, ...errors }
        }
      },
      '/': {
        get: {
          summary: 'The home page: launch form, your servers and volumes',
          tags: ['pages'],
          responses: htmlPage
        }
      },
      '/catalog': {
        get: {
          summary:
            "The catalog: featured environments, public servers and repositories several users launched, with launches over 7 and 30 days, badges and a Launch button; other hubs' catalogs below",
          tags: ['pages'],
          parameters: catalogParameters,
          responses: htmlPage
        }
      },
      '/settings': {
        post: {
          summary:
            'Save your settings from the home page (a form with `_xsrf` and `hide_launches`); redirects to the home page',
          tags: ['pages'],
          requestBody: pageForm('hide_launches'),
          responses: { '303': { description: 'saved' }, ...errors }
        }
      },
      '/usage': {
        get: {
          summary:
            "My usage: your servers' CPU-hours, GB-hours, running time, builds and storage over the last `days` days, with plots, your quota and CSV export",
          tags: ['pages'],
          parameters: [daysParameter],
          responses: htmlPage
        }
      },
      '/admin/usage': {
        get: {
          summary:
            "Hub usage (the Hub's admins): per user and group, top environments, most servers at once, with plots and CSV export",
          tags: ['pages'],
          parameters: [daysParameter],
          responses: htmlPage
        }
      },
      '/builds/{id}': {
        get: {
          summary: "A build's log page",
          tags: ['pages'],
          parameters: buildPath,
          responses: htmlPage
        }
      },
      '/v2/{provider}/{spec}': {
        get: {
          summary:
            'A Binder-style launch link: confirms a link from outside this hub, then launches (HTML)',
          tags: ['pages'],
          parameters: [...providerPath, ...launchQuery],
          responses: htmlPage
        },
        post: {
          summary:
            'Proceed after the confirmation page (a form with `_xsrf` and `remember`)',
          tags: ['pages'],
          parameters: providerPath,
          requestBody: pageForm('remember'),
          responses: htmlPage
        }
      },
      '/public/{owner}/{name}': {
        get: {
          summary:
            "A public server's page for visitors, signed in or not (the same 404 for a server that is not public as for one that does not exist)",
          tags: ['pages'],
          security: [],
          parameters: serverPath,
          responses: htmlPage
        },
        post: {
          summary:
            "Start a temporary session (from the warm pool when it has one) and redirect into it, with the cookies that sign the browser in to it; 429 over the hub's caps or the address's rate",
          tags: ['pages'],
          security: [],
          parameters: serverPath,
          responses: {
            '303': { description: "the session's JupyterLab" },
            ...errors
          }
        }
      },
      '/api/internal/spawn-config': {
        post: {
          summary:
            "The spawn configuration for a launch ticket: for the Hub's apply_user_options hook only (shared secret), never for users",
          security: [{ internalSecret: [] }],
          requestBody: {
            content: json({
              type: 'object',
              required: ['user', 'server'],
              properties: {
                user: { type: 'string' },
                server: { type: 'string' },
                user_options: {
                  type: 'object',
                  properties: { ticket: { type: 'string' } },
                  additionalProperties: false
                }
              }
            })
          },
          responses: {
            '200': {
              description:
                'image, volumes, mounts, limits and environment to spawn with'
            },
            ...errors
          }
        }
      },
      '/badge.svg': {
        get: {
          summary: 'The launch badge',
          security: [],
          responses: {
            '200': { description: 'SVG', content: { 'image/svg+xml': {} } }
          }
        }
      },
      '/api/catalog': {
        get: {
          summary:
            'The catalog as JSON (`entries`): for signed-in users, or anyone when the site configuration sets `catalog.public` (another hub lists it then)',
          parameters: catalogParameters,
          responses: { '200': { description: 'the catalog' }, ...errors }
        }
      },
      '/api/settings': {
        get: {
          summary: 'Your settings: `hideLaunches`',
          responses: { '200': { description: 'your settings' }, ...errors }
        },
        put: {
          summary:
            "Change your settings: `hideLaunches` true leaves your launches (past ones too) out of the catalog's counts",
          requestBody: {
            content: json({
              type: 'object',
              required: ['hideLaunches'],
              properties: { hideLaunches: { type: 'boolean' } }
            })
          },
          responses: { '200': { description: 'your settings' }, ...errors }
        }
      },
      '/api/usage': {
        get: {
          summary:
            'Usage accounting: your servers per day (with your quota status), or with `scope=hub` (admins) every user, group and environment; JSON, or the daily rows as CSV with `format=csv`',
          parameters: [
            daysParameter,
            {
              name: 'scope',
              in: 'query',
              schema: { enum: ['hub'] },
              description: "`hub`: everyone's usage (the Hub's admins only)"
            },
            {
              name: 'format',
              in: 'query',
              schema: { enum: ['json', 'csv'] },
              description:
                '`csv`: `day,user,server,cpu_hours,gb_hours,running_hours`'
            }
          ],
          responses: { '200': { description: 'the report' }, ...errors }
        }
      },
      '/metrics': {
        get: {
          summary:
            "Prometheus metrics (BinderHub's launch and build metrics, envhub's images, servers, sessions, exchange operations and quota refusals), for a Hub token with the `read:metrics` scope or an address in the site configuration's `metrics.allowFrom`",
          responses: {
            '200': { description: 'Prometheus text format 0.0.4' },
            ...errors
          }
        }
      },
      '/api/openapi.json': {
        get: {
          summary: 'This document',
          security: [],
          responses: { '200': { description: 'OpenAPI 3.1' } }
        }
      },
      '/api/health': {
        get: {
          summary:
            'Whether the service reaches the Hub and the Docker engine, and can build in isolation (`hub`, `docker`, `builds`: each `{ok, message?, warning?}`; a warning does not make it unhealthy)',
          security: [],
          responses: {
            '200': { description: 'healthy' },
            '503': { description: 'not healthy' }
          }
        }
      }
    }
  };
}
