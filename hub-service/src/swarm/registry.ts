import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { followed } from '../images/progress.js';
import { log } from '../log.js';

/** Where Docker finds the certificate authority of a registry (`<dir>/<host:port>/ca.crt`). */
const CERTS_DIR = '/etc/docker/certs.d';

/** Docker's manifest type, whose digest a registry deletes by. */
const MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

/**
 * The registry every swarm node pulls from (Docker's registry, API v2). Images are built on the
 * service's engine under their local names (`<prefix>-…:tag`), published as `<host>/<name>:tag`,
 * and deleted there when the image cache evicts them locally (the registry's own garbage
 * collection then frees their layers; README, "Docker Swarm").
 */
export class Registry {
  /** `host:port`, as image names carry it. */
  readonly host: string;
  private readonly api: string;
  private readonly publishing = new Map<string, Promise<void>>();

  /**
   * `address`: `host:port` for a registry with TLS, or `http://host:port` for one the engines
   * trust without it (Docker's insecure-registries setting).
   */
  constructor(
    private readonly docker: Docker,
    address: string
  ) {
    const url = new URL(
      /^https?:\/\//.test(address) ? address : `https://${address}`
    );
    if (url.pathname !== '/' || !url.host)
      throw new Error(
        `ENVHUB_REGISTRY "${address}" must be host:port (TLS) or http://host:port, with no path`
      );
    this.host = url.host;
    this.api = `${url.protocol}//${url.host}/v2/`;
  }

  /** The name nodes pull `image` (`name:tag`) by. */
  reference(image: string): string {
    return `${this.host}/${image}`;
  }

  private manifestUrl(image: string): string {
    const colon = image.lastIndexOf(':');
    return `${this.api}${image.slice(0, colon)}/manifests/${image.slice(colon + 1)}`;
  }

  /**
   * One call of the registry's API. Over TLS the registry is trusted as Docker trusts it: the
   * certificate authority in /etc/docker/certs.d/<host:port>/ca.crt when there is one, else the
   * system's.
   */
  private call(
    method: string,
    url: string,
    headers: Record<string, string> = {}
  ): Promise<{ status: number; digest?: string }> {
    const target = new URL(url);
    const ca = join(CERTS_DIR, this.host, 'ca.crt');
    const options = {
      method,
      headers,
      ...(target.protocol === 'https:' && existsSync(ca)
        ? { ca: readFileSync(ca) }
        : {})
    };
    return new Promise((resolve, reject) => {
      const request = (target.protocol === 'https:' ? https : http).request(
        target,
        options,
        response => {
          response.resume();
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              digest: response.headers['docker-content-digest'] as
                string | undefined
            })
          );
        }
      );
      request.on('error', (err: Error) =>
        reject(new Error(`the registry ${this.host}: ${err.message}`))
      );
      request.end();
    });
  }

  /** The digest of `image` in the registry, or null when it is not there. */
  async digest(image: string): Promise<string | null> {
    const response = await this.call('HEAD', this.manifestUrl(image), {
      Accept: MANIFEST
    });
    if (response.status === 404) return null;
    if (response.status !== 200 || !response.digest)
      throw new Error(
        `the registry ${this.host} answered ${response.status} for ${image}`
      );
    return response.digest;
  }

  /**
   * Makes sure the registry has `image` (from the local engine), pushing it when it has not.
   * Concurrent calls for one image share one push. `emit` gets a line when a push happens.
   */
  publish(
    image: string,
    emit: (line: string) => void = () => {}
  ): Promise<void> {
    let pending = this.publishing.get(image);
    if (!pending) {
      pending = this.push(image, emit).finally(() =>
        this.publishing.delete(image)
      );
      this.publishing.set(image, pending);
    }
    return pending;
  }

  private async push(
    image: string,
    emit: (line: string) => void
  ): Promise<void> {
    if (await this.digest(image)) return;
    const reference = this.reference(image);
    emit(`[envhub] publishing ${image} to the registry ${this.host}\n`);
    const started = Date.now();
    await this.docker.getImage(image).tag({
      repo: reference.slice(0, reference.lastIndexOf(':')),
      tag: reference.slice(reference.lastIndexOf(':') + 1)
    });
    try {
      // An empty credential: Docker wants the header even for a registry without sign-in.
      const stream = (await this.docker
        .getImage(reference)
        .push({ authconfig: {} } as never)) as unknown as NodeJS.ReadableStream;
      await followed(this.docker, stream).catch((err: Error) => {
        throw new Error(`pushing ${image} to ${this.host}: ${err.message}`);
      });
    } finally {
      // Only the local name stays: the cache counts and evicts images by it.
      await this.docker
        .getImage(reference)
        .remove({ noprune: true })
        .catch(() => {});
    }
    log.info('registry.published', {
      image,
      registry: this.host,
      ms: Date.now() - started
    });
  }

  /** Deletes `image` from the registry (gone already is fine). */
  async remove(image: string): Promise<void> {
    const digest = await this.digest(image);
    if (!digest) return;
    const url = this.manifestUrl(image).replace(/[^/]+$/, digest);
    const response = await this.call('DELETE', url);
    if (response.status !== 202 && response.status !== 404)
      throw new Error(
        `the registry ${this.host} refused to delete ${image} (${response.status})`
      );
    log.info('registry.deleted', { image, registry: this.host });
  }
}

/** Pulls `image` onto `docker`'s engine. */
export async function pull(docker: Docker, image: string): Promise<void> {
  await followed(docker, await docker.pull(image)).catch((err: Error) => {
    throw new Error(`pulling ${image}: ${err.message}`);
  });
}
