import { environmentSchema } from '@envhub/schema';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import type { QuotaSettings } from '../usage/quotas.js';

/** Resource values as the environment spec writes them. */
export interface Resources {
  memory: string;
  cpus: number;
  /** Seconds without activity before envhub stops the server; 0: never. */
  idleTimeout: number;
  /** Seconds after start before envhub stops the server; 0: never. */
  maxAge: number;
}

/** What an admin sets for this hub (the file named by ENVHUB_CONFIG, JSON). */
export interface SiteConfig {
  resources: {
    defaults: Resources;
    maxima: Resources;
    /** The least a server may ask for: less than this and JupyterLab does not start (or crawls). */
    minima: Resources;
    /** Let servers swap as much again as their memory (Docker's default); false: swap = memory. */
    allowSwap: boolean;
  };
  serversPerUser: number;
  /** How many shared volumes one user may own. */
  volumesPerUser: number;
  /** How many classes one user may create. */
  classesPerUser: number;
  /** What one release, submission or feedback upload to the nbgrader exchange may hold. */
  exchange: { maxFiles: number; maxBytes: number };
  /** Environments offered under "Choose a preconfigured server". */
  featured: Array<{
    title: string;
    description?: string;
    repo: string;
    ref?: string;
  }>;
  /** Temporary sessions of public servers (throw-away copies for visitors who are not signed in). */
  publicSessions: PublicSessionSettings;
  credits?: { text: string; logoUrl?: string; url?: string };
  docsUrl: string;
  /** Other hubs a spec can be launched on ("launch on another hub"), by their envhub URL. */
  otherHubs: Array<{ name: string; url: string }>;
  /** Monthly quotas per user and per group (none by default), and when servers over them stop. */
  quotas: QuotaSettings;
  /**
   * The catalog: repositories launched by at least `minUsers` different users are listed; `public`
   * lets anyone (another hub, say) read `api/catalog` without signing in.
   */
  catalog: { minUsers: number; public: boolean };
  /** Addresses that may read `metrics` without a token (Prometheus on a trusted host). */
  metrics: { allowFrom: string[] };
}

/** The site's rules for temporary sessions of public servers. */
export interface PublicSessionSettings {
  /** Seconds without activity before a session ends. */
  idleTimeout: number;
  /** Seconds after a visitor got it before a session ends, whatever happens. */
  maxAge: number;
  /** Visitors' sessions running at once on the whole hub. */
  maxSessions: number;
  /** Visitors' sessions running at once of one public server. */
  maxPerServer: number;
  /** New sessions one client address may open in `window` seconds. */
  perAddress: { sessions: number; window: number };
  /** What one session's container gets. */
  resources: { memory: string; cpus: number };
  /** Whether sessions may open connections out of their container (to the Internet, say). */
  egress: boolean;
  /** Public servers whose sessions are started in advance, `size` at a time. */
  pools: Array<{ owner: string; server: string; size: number }>;
}

export const DEFAULT_SITE_CONFIG: SiteConfig = {
  resources: {
    defaults: { memory: '2G', cpus: 1, idleTimeout: 3600, maxAge: 8 * 3600 },
    maxima: {
      memory: '8G',
      cpus: 2,
      idleTimeout: 24 * 3600,
      maxAge: 7 * 24 * 3600
    },
    // Measured with envhub-base on 2 cores: a server uses about 70 MB (110 MB with a kernel), and
    // jupyterhub-singleuser answers after about 3 s at 1 CPU, 25–35 s at 0.1 CPU — and on a busy
    // host over the Hub's 120 s spawn timeout, so a quarter CPU is the least a server gets.
    minima: { memory: '256M', cpus: 0.25, idleTimeout: 0, maxAge: 0 },
    allowSwap: false
  },
  serversPerUser: 10,
  volumesPerUser: 10,
  classesPerUser: 20,
  // nbgrader's own default caps a submission at 100 MB; notebooks with outputs rarely pass 10 MB.
  exchange: { maxFiles: 500, maxBytes: 50_000_000 },
  featured: [],
  publicSessions: {
    idleTimeout: 600,
    maxAge: 3600,
    maxSessions: 20,
    maxPerServer: 10,
    perAddress: { sessions: 5, window: 600 },
    // Half a server's default memory: visitors read and run, they rarely compute for long.
    resources: { memory: '1G', cpus: 1 },
    egress: true,
    pools: []
  },
  docsUrl: 'https://mybinder.readthedocs.io/en/latest/using/config_files.html',
  otherHubs: [],
  quotas: { user: {}, groups: {}, stopAt: 'day' },
  catalog: { minUsers: 2, public: false },
  metrics: { allowFrom: [] }
};

/** The resources a spec gets on this hub: what it asks for, the site's defaults for the rest. */
export function effectiveResources(
  spec: { resources?: Partial<Resources> },
  site: SiteConfig
): Resources {
  return { ...site.resources.defaults, ...(spec.resources ?? {}) };
}

// Memory and CPUs as the environment schema writes them; times may also be 0 here ("never").
const specResources = environmentSchema.properties.resources.properties;
const resources = {
  type: 'object',
  additionalProperties: false,
  properties: {
    memory: specResources.memory,
    cpus: specResources.cpus,
    idleTimeout: { type: 'integer', minimum: 0 },
    maxAge: { type: 'integer', minimum: 0 }
  }
};
const quota = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cpuHours: { type: 'number', minimum: 0 },
    gbHours: { type: 'number', minimum: 0 },
    storageGb: { type: 'number', minimum: 0 }
  }
};
const siteConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    resources: {
      type: 'object',
      additionalProperties: false,
      properties: {
        defaults: resources,
        maxima: resources,
        minima: resources,
        allowSwap: { type: 'boolean' }
      }
    },
    serversPerUser: { type: 'integer', minimum: 1 },
    volumesPerUser: { type: 'integer', minimum: 0 },
    classesPerUser: { type: 'integer', minimum: 0 },
    exchange: {
      type: 'object',
      additionalProperties: false,
      properties: {
        maxFiles: { type: 'integer', minimum: 1 },
        maxBytes: { type: 'integer', minimum: 1 }
      }
    },
    featured: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['title', 'repo'],
        properties: {
          title: { type: 'string' },
          description: { type: 'string' },
          repo: { type: 'string' },
          ref: { type: 'string' }
        }
      }
    },
    publicSessions: {
      type: 'object',
      additionalProperties: false,
      properties: {
        idleTimeout: { type: 'integer', minimum: 1 },
        maxAge: { type: 'integer', minimum: 1 },
        maxSessions: { type: 'integer', minimum: 0 },
        maxPerServer: { type: 'integer', minimum: 0 },
        perAddress: {
          type: 'object',
          additionalProperties: false,
          properties: {
            sessions: { type: 'integer', minimum: 0 },
            window: { type: 'integer', minimum: 1 }
          }
        },
        resources: {
          type: 'object',
          additionalProperties: false,
          properties: { memory: specResources.memory, cpus: specResources.cpus }
        },
        egress: { type: 'boolean' },
        pools: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['owner', 'server', 'size'],
            properties: {
              owner: { type: 'string', minLength: 1 },
              server: { type: 'string', minLength: 1 },
              size: { type: 'integer', minimum: 0, maximum: 50 }
            }
          }
        }
      }
    },
    credits: {
      type: 'object',
      additionalProperties: false,
      required: ['text'],
      properties: {
        text: { type: 'string' },
        logoUrl: { type: 'string' },
        url: { type: 'string' }
      }
    },
    docsUrl: { type: 'string' },
    otherHubs: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'url'],
        properties: { name: { type: 'string' }, url: { type: 'string' } }
      }
    },
    quotas: {
      type: 'object',
      additionalProperties: false,
      properties: {
        user: quota,
        groups: { type: 'object', additionalProperties: quota },
        stopAt: { enum: ['hour', 'day', 'never'] }
      }
    },
    catalog: {
      type: 'object',
      additionalProperties: false,
      properties: {
        minUsers: { type: 'integer', minimum: 1 },
        public: { type: 'boolean' }
      }
    },
    metrics: {
      type: 'object',
      additionalProperties: false,
      properties: {
        allowFrom: { type: 'array', items: { type: 'string', minLength: 1 } }
      }
    }
  }
};
// multipleOfPrecision: 0.1 CPUs is a multiple of 0.01 although 0.1 / 0.01 is not an integer in floating point.
const check = new Ajv({ allErrors: true, multipleOfPrecision: 9 }).compile(
  siteConfigSchema
);

/** Reads and checks the admin's site configuration; absent values keep their defaults. */
export function loadSiteConfig(path: string | undefined): SiteConfig {
  if (!path) return DEFAULT_SITE_CONFIG;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(
      `cannot read the envhub site configuration ${path}: ${(err as Error).message}`
    );
  }
  if (!check(parsed)) {
    const problems = (check.errors ?? [])
      .map(e => `${e.instancePath || '(top)'} ${e.message}`)
      .join('; ');
    throw new Error(
      `the envhub site configuration ${path} is invalid: ${problems}`
    );
  }
  const given = parsed as Partial<
    Omit<SiteConfig, 'publicSessions' | 'quotas'>
  > & {
    publicSessions?: Partial<PublicSessionSettings>;
    quotas?: Partial<QuotaSettings>;
    resources?: {
      defaults?: Partial<Resources>;
      maxima?: Partial<Resources>;
      minima?: Partial<Resources>;
      allowSwap?: boolean;
    };
  };
  return {
    ...DEFAULT_SITE_CONFIG,
    ...given,
    exchange: { ...DEFAULT_SITE_CONFIG.exchange, ...given.exchange },
    quotas: { ...DEFAULT_SITE_CONFIG.quotas, ...given.quotas },
    metrics: { ...DEFAULT_SITE_CONFIG.metrics, ...given.metrics },
    catalog: { ...DEFAULT_SITE_CONFIG.catalog, ...given.catalog },
    publicSessions: {
      ...DEFAULT_SITE_CONFIG.publicSessions,
      ...given.publicSessions,
      perAddress: {
        ...DEFAULT_SITE_CONFIG.publicSessions.perAddress,
        ...given.publicSessions?.perAddress
      },
      resources: {
        ...DEFAULT_SITE_CONFIG.publicSessions.resources,
        ...given.publicSessions?.resources
      }
    },
    resources: {
      defaults: {
        ...DEFAULT_SITE_CONFIG.resources.defaults,
        ...given.resources?.defaults
      },
      maxima: {
        ...DEFAULT_SITE_CONFIG.resources.maxima,
        ...given.resources?.maxima
      },
      minima: {
        ...DEFAULT_SITE_CONFIG.resources.minima,
        ...given.resources?.minima
      },
      allowSwap:
        given.resources?.allowSwap ?? DEFAULT_SITE_CONFIG.resources.allowSwap
    }
  };
}
