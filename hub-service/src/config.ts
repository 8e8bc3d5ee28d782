import { credentialHost } from './credentials/credentials.js';
import { parseSize } from './units.js';

/**
 * The service's configuration, read once from the environment the Hub gives a managed service
 * (JUPYTERHUB_*) plus envhub's own settings (ENVHUB_*).
 */
export interface Config {
  /** Where this service listens (the `url` of its entry in c.JupyterHub.services). */
  listenHost: string;
  listenPort: number;
  /** Mount point of every route, with a trailing slash, e.g. `/services/envhub/`. */
  prefix: string;
  /** The Hub's public base URL path, e.g. `/`. */
  hubBaseUrl: string;
  /** The Hub REST API, e.g. `http://172.17.0.1:8002/hub/api`. */
  hubApiUrl: string;
  /** The service's own Hub API token (also its OAuth client secret). */
  apiToken: string;
  oauthClientId: string;
  oauthCallbackUrl: string;
  /** Scopes, any of which lets a token use this service. */
  accessScopes: string[];
  /** Shared with the Hub's apply_user_options hook to redeem launch tickets. */
  internalSecret: string;
  dataDir: string;
  /** Prefix of every image, volume and container envhub creates. */
  namePrefix: string;
  baseImage: string;
  /** Host names or addresses that repo URLs may use even though they are private or loopback. */
  allowedRepoHosts: string[];
  /** Where browsers reach the hub (scheme, host and port): links and badges use it, never request headers. */
  publicOrigin: string;
  /** The proxy's address on this host, where the service reaches users' servers. */
  proxyUrl: string;
  /** Disk the Docker engine's images may use before envhub evicts its own (null: no limit). */
  imageCacheBudget: number | null;
  /** Python package index for builds (default: the public PyPI, or what the base image says). */
  pipIndexUrl?: string;
  /** Debian mirror for apt.txt installs in builds. */
  aptMirror?: string;
  /** Limits of every build step: memory in bytes (no swap on top) and CPUs. */
  buildMemory: number;
  buildCpus: number;
  /** How often usage accounting reads the servers' containers (ENVHUB_USAGE_INTERVAL, seconds). */
  usageIntervalMs: number;
  /** Fail builds whose runtime.txt asks for a Python the hub can't provide, instead of warning. */
  strictRuntime: boolean;
  /** The admin's site configuration file (JSON): resource policy, featured environments, credits. */
  siteConfigPath?: string;
  /** The key that seals users' credentials in the store: a file outside the database, made when missing. */
  credentialsKeyFile: string;
  /** Hosts for which a user's single sign-on access token (the Hub's auth_state) is their credential. */
  singleSignOnHosts: string[];
  /** rclone's Docker volume plugin for WebDAV volumes: its driver name and where dockerd finds its socket. */
  webdavDriver: string;
  dockerPluginDir: string;
  /**
   * Servers on a Docker Swarm (both set, or neither): a manager's Docker URL, and the registry every
   * node pulls from (`host:port` with TLS, `http://host:port` without).
   */
  swarmManager?: string;
  registry?: string;
  /**
   * The Docker URLs of the swarm's other nodes (ENVHUB_SWARM_ENGINES, comma-separated), which usage
   * accounting reads besides the manager's: servers' counters and homes' sizes are per engine.
   */
  swarmEngines: string[];
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: envhub runs as a JupyterHub managed service, which sets it`
    );
  }
  return value;
}

function publicOrigin(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(
      `ENVHUB_PUBLIC_URL "${url}" is not a URL; give where browsers reach the hub, e.g. https://hub.example.org`
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new Error(`ENVHUB_PUBLIC_URL must be an http(s) URL, not ${url}`);
  return parsed.origin;
}

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!(n > 0))
    throw new Error(
      `${name} must be a positive number (e.g. 2 or 0.5), not "${value}"`
    );
  return n;
}

function swarmSettings(
  env: NodeJS.ProcessEnv
): Pick<Config, 'swarmManager' | 'registry' | 'swarmEngines'> {
  const swarmManager = env.ENVHUB_SWARM_MANAGER || undefined;
  const registry = env.ENVHUB_REGISTRY || undefined;
  if (!swarmManager !== !registry)
    throw new Error(
      'ENVHUB_SWARM_MANAGER and ENVHUB_REGISTRY go together: servers on a swarm pull what envhub builds from the registry'
    );
  const swarmEngines = [
    ...new Set(
      (env.ENVHUB_SWARM_ENGINES ?? '')
        .split(',')
        .map(url => url.trim())
        .filter(url => url && url !== swarmManager)
    )
  ];
  if (swarmEngines.length > 0 && !swarmManager)
    throw new Error(
      "ENVHUB_SWARM_ENGINES lists a swarm's nodes: it needs ENVHUB_SWARM_MANAGER"
    );
  return { ...(swarmManager ? { swarmManager, registry } : {}), swarmEngines };
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const serviceUrl = new URL(required(env, 'JUPYTERHUB_SERVICE_URL'));
  const prefix = required(env, 'JUPYTERHUB_SERVICE_PREFIX');
  return {
    listenHost: serviceUrl.hostname,
    listenPort: Number(serviceUrl.port || 80),
    prefix: prefix.endsWith('/') ? prefix : prefix + '/',
    hubBaseUrl: env.JUPYTERHUB_BASE_URL ?? '/',
    hubApiUrl: required(env, 'JUPYTERHUB_API_URL').replace(/\/$/, ''),
    apiToken: required(env, 'JUPYTERHUB_API_TOKEN'),
    oauthClientId: required(env, 'JUPYTERHUB_CLIENT_ID'),
    oauthCallbackUrl: required(env, 'JUPYTERHUB_OAUTH_CALLBACK_URL'),
    accessScopes: JSON.parse(
      env.JUPYTERHUB_OAUTH_ACCESS_SCOPES ?? '[]'
    ) as string[],
    internalSecret: required(env, 'ENVHUB_INTERNAL_SECRET'),
    dataDir: env.ENVHUB_DATA_DIR ?? 'var',
    namePrefix: env.ENVHUB_NAME_PREFIX ?? 'envhub',
    baseImage: env.ENVHUB_BASE_IMAGE ?? 'envhub-base:latest',
    allowedRepoHosts: (env.ENVHUB_ALLOWED_REPO_HOSTS ?? '')
      .split(',')
      .map(h => h.trim().toLowerCase())
      .filter(Boolean),
    publicOrigin: publicOrigin(required(env, 'ENVHUB_PUBLIC_URL')),
    proxyUrl:
      env.ENVHUB_PROXY_URL || publicOrigin(required(env, 'ENVHUB_PUBLIC_URL')),
    imageCacheBudget: env.ENVHUB_IMAGE_CACHE_BUDGET
      ? parseSize(env.ENVHUB_IMAGE_CACHE_BUDGET)
      : null,
    pipIndexUrl: env.ENVHUB_PIP_INDEX_URL || undefined,
    aptMirror: env.ENVHUB_APT_MIRROR || undefined,
    buildMemory: parseSize(env.ENVHUB_BUILD_MEMORY || '4G'),
    buildCpus: positive('ENVHUB_BUILD_CPUS', env.ENVHUB_BUILD_CPUS || '2'),
    usageIntervalMs:
      1000 *
      positive('ENVHUB_USAGE_INTERVAL', env.ENVHUB_USAGE_INTERVAL || '60'),
    strictRuntime:
      env.ENVHUB_STRICT_RUNTIME === '1' || env.ENVHUB_STRICT_RUNTIME === 'true',
    siteConfigPath: env.ENVHUB_CONFIG || undefined,
    credentialsKeyFile:
      env.ENVHUB_CREDENTIALS_KEY_FILE ||
      `${env.ENVHUB_DATA_DIR ?? 'var'}/credentials.key`,
    singleSignOnHosts: (env.ENVHUB_SSO_HOSTS ?? '')
      .split(',')
      .map(h => h.trim())
      .filter(Boolean)
      .map(credentialHost),
    webdavDriver: env.ENVHUB_WEBDAV_DRIVER || 'envhub-webdav',
    dockerPluginDir: env.ENVHUB_DOCKER_PLUGIN_DIR || '/run/docker/plugins',
    ...swarmSettings(env)
  };
}
