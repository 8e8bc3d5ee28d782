import { Mount } from '@envhub/schema';
import {
  ITranslator,
  TranslationBundle,
  nullTranslator
} from '@jupyterlab/translation';

import {
  EnvhubRequestError,
  FetchFunction,
  IEnvhubConnection,
  getBuild,
  getServer,
  listCredentials,
  removeCredential,
  setCollaborators,
  setCredential,
  setMounts,
  setPublic
} from './client';
import {
  ICredential,
  ICredentialBody,
  IEnvhubBuild,
  IEnvhubError,
  IEnvhubModel,
  IEnvhubServer,
  IEnvhubState,
  IHubContext
} from './tokens';
import { PolledModel } from './polledModel';
import { publicSessionNotice } from './publicAccess';

/** How often an active model asks the service again (the idle stop moves with activity). */
export const REFRESH_INTERVAL = 30_000;

/**
 * The environment of this server: loads it (and its image's build, and the viewer's stored
 * credentials) from the envhub service and emits `changed` on every state change (loading,
 * ready, error). In a visitor's temporary session of a public server it asks nothing.
 *
 * A `Poll` asks again every `REFRESH_INTERVAL` while the model is active and ready; it
 * stands by otherwise, and while the page is hidden.
 */
export class EnvhubModel
  extends PolledModel<IEnvhubState>
  implements IEnvhubModel
{
  /**
   * @param options where the page runs, and optionally the `fetch` and translator to use.
   */
  constructor(options: EnvhubModel.IOptions) {
    const trans = (options.translator ?? nullTranslator).load('envhub');
    const publicSession = options.publicSession ?? null;
    const reason = publicSession
      ? publicSessionNotice(publicSession, trans)
      : unavailableReason(options.context, trans);
    super({
      initial: {
        status: reason ? 'unavailable' : 'loading',
        server: null,
        build: null,
        error: null,
        reason,
        publicSession,
        credentials: null,
        credentialsError: null
      },
      name: '@envhub/lab-extension:EnvhubModel#poll',
      interval: options.refreshInterval ?? REFRESH_INTERVAL
    });
    this._context = options.context;
    this._fetch = options.fetch;
    if (!reason) {
      this.startPolling();
    }
  }

  /** Where the page runs. */
  get context(): IHubContext {
    return this._context;
  }

  /** How to reach the envhub service, for requests beyond the model's. */
  get connection(): IEnvhubConnection {
    const { serviceUrl, token } = this._context;
    return { serviceUrl, token, fetch: this._fetch };
  }

  /**
   * Replace the server's collaborators; the service applies them at once as Hub shares.
   *
   * @throws {EnvhubRequestError} when the service refuses (unknown names, not the owner);
   *   the state is left as it was.
   */
  async setCollaborators(users: string[], groups: string[]): Promise<void> {
    const { serverUser, serverName } = this._context;
    const server = await setCollaborators(
      this.connection,
      serverUser,
      serverName,
      {
        users,
        groups
      }
    );
    this.replaceState({ ...this.state, status: 'ready', server, error: null });
  }

  /**
   * Replace the server's mounts; the service applies them at the server's next start.
   *
   * @throws {EnvhubRequestError} when the service refuses (unknown or closed volumes,
   *   invalid paths, not the owner); the state is left as it was.
   */
  async setMounts(mounts: Mount[]): Promise<IEnvhubServer> {
    const { serverUser, serverName } = this._context;
    const server = await setMounts(
      this.connection,
      serverUser,
      serverName,
      mounts
    );
    this.replaceState({ ...this.state, status: 'ready', server, error: null });
    return server;
  }

  /**
   * Make the server public, or stop its public access; the service answers with the server
   * as it is now, which the model then shows.
   *
   * @throws {EnvhubRequestError} when the service refuses (not the owner); the state is left
   *   as it was.
   */
  async setPublic(value: boolean): Promise<IEnvhubServer> {
    const { serverUser, serverName } = this._context;
    const server = await setPublic(
      this.connection,
      serverUser,
      serverName,
      value
    );
    this.replaceState({ ...this.state, status: 'ready', server, error: null });
    return server;
  }

  /**
   * Store the viewer's credential for a host, then load the credentials again. The token
   * goes into the request only: the state never holds it.
   *
   * @throws {EnvhubRequestError} when the service refuses (an invalid host, user name or
   *   token); the credentials are left as they were.
   */
  async setCredential(
    host: string,
    body: ICredentialBody
  ): Promise<ICredential> {
    // A list asked for before the change would bring the credential back or miss it.
    ++this._credentialsGeneration;
    const stored = await setCredential(this.connection, host, body);
    await this._reloadCredentials();
    return stored;
  }

  /**
   * Remove the viewer's credential for a host, then load the credentials again.
   *
   * @throws {EnvhubRequestError} when the service refuses; the credentials are left as they were.
   */
  async removeCredential(host: string): Promise<void> {
    ++this._credentialsGeneration;
    await removeCredential(this.connection, host);
    await this._reloadCredentials();
  }

  // A failed or running load is not repeated on a timer, nor on showing: the user reloads.
  protected standsBy(): boolean {
    return this.state.status !== 'ready';
  }

  // No request when envhub does not apply to this page.
  protected canLoad(): boolean {
    return this.state.status !== 'unavailable';
  }

  /** One load of the server, its build and the viewer's credentials. */
  protected async fetchState(): Promise<Partial<IEnvhubState>> {
    const { serverUser, serverName } = this._context;
    const server = getServer(this.connection, serverUser, serverName);
    const credentials = this._loadCredentials();
    const loaded = await server;
    return {
      server: loaded,
      build: await this._buildOf(loaded),
      ...(await credentials)
    };
  }

  protected failedState(reason: unknown): Partial<IEnvhubState> {
    return { error: toError(reason) };
  }

  /** The build of the server's image; null when there is none or the viewer may not read it. */
  private async _buildOf(server: IEnvhubServer): Promise<IEnvhubBuild | null> {
    if (!server.buildId) {
      return null;
    }
    const known = this.state.build;
    // A finished build does not change.
    if (known?.id === server.buildId && known.status !== 'running') {
      return known;
    }
    try {
      return await getBuild(this.connection, server.buildId);
    } catch {
      return null;
    }
  }

  /** Loads the credentials on their own, after a change. */
  private async _reloadCredentials(): Promise<void> {
    const loaded = await this._loadCredentials();
    this.setState({ ...this.state, ...loaded });
  }

  /**
   * The viewer's credentials, or why they could not be loaded (which leaves the server
   * shown); nothing when a later load or a change overtook this one. Never rejects.
   */
  private async _loadCredentials(): Promise<
    Pick<Partial<IEnvhubState>, 'credentials' | 'credentialsError'>
  > {
    const generation = ++this._credentialsGeneration;
    try {
      const credentials = await listCredentials(this.connection);
      return generation === this._credentialsGeneration
        ? { credentials, credentialsError: null }
        : {};
    } catch (reason) {
      return generation === this._credentialsGeneration
        ? { credentialsError: toError(reason) }
        : {};
    }
  }

  private readonly _context: IHubContext;
  private readonly _fetch: FetchFunction | undefined;
  private _credentialsGeneration = 0;
}

/**
 * A namespace for EnvhubModel statics.
 */
export namespace EnvhubModel {
  /**
   * Options to build a model.
   */
  export interface IOptions {
    /** Where the page runs (see `readHubContext`). */
    context: IHubContext;
    /** Defaults to the global `fetch`. */
    fetch?: FetchFunction;
    /** Translates the messages the model makes; defaults to none. */
    translator?: ITranslator;
    /** Milliseconds between the loads of an active model; defaults to `REFRESH_INTERVAL`. */
    refreshInterval?: number;
    /**
     * The public server this server is a temporary session of (`<owner>/<name>`, see
     * `getPublicSession`); the model then asks the service nothing.
     */
    publicSession?: string | null;
  }
}

/** Why envhub does not apply to this page; empty when it does. */
function unavailableReason(
  context: IHubContext,
  trans: TranslationBundle
): string {
  if (!context.user) {
    return trans.__('This server was not started by envhub.');
  }
  if (!context.serverName) {
    return trans.__(
      'This server was not started by envhub: it is your default server, and envhub only starts named servers.'
    );
  }
  return '';
}

/**
 * A failure as the panel shows it.
 */
export function toError(reason: unknown): IEnvhubError {
  if (reason instanceof EnvhubRequestError) {
    return {
      status: reason.status,
      code: reason.code,
      message: reason.message
    };
  }
  const message = reason instanceof Error ? reason.message : String(reason);
  return { status: 0, code: 'unexpected', message };
}
