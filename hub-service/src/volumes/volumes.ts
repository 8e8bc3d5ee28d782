import type Docker from 'dockerode';
import {
  environmentSchema,
  validateVolumeMembers,
  type Mount,
  type VolumeMembers,
  type VolumeView
} from '@envhub/schema';
import { hostOfUrl, type Credentials } from '../credentials/credentials.js';
import { EnvhubError } from '../errors.js';
import type { HubClient, HubUser } from '../hub/hubClient.js';
import { checkCollaborators } from '../launches/shares.js';
import { log } from '../log.js';
import { ALLOWED, authorize, type Operation } from '../policy/access.js';
import {
  courseVolumeName,
  homeVolumeName,
  sharedVolumeName,
  webdavVolumeName
} from '../naming.js';
import type { Store, VolumeRecord } from '../store/store.js';
import {
  checkWebdavUrl,
  credentialAdvice,
  probeWebdav,
  webdavAvailable,
  webdavVolumeOptions,
  type WebdavSettings
} from './webdav.js';
import { pull } from '../swarm/registry.js';

/** How a user may use a volume: its owner, a member who may write, a member who may only read. */
export type VolumeAccess = VolumeView['access'];

/** A mount as a start binds it, with what refuses it (see Volumes.effectiveMounts). */
export interface EffectiveMount extends Required<Mount> {
  /** The WebDAV folder behind the volume, or null. */
  webdav: string | null;
  problem: {
    code: 'no_such_volume' | 'volume_forbidden' | 'no_credential';
    message: string;
  } | null;
}

/**
 * A mount as DockerSpawner's `mounts` takes it (docker.types.Mount). `no_copy`: an empty volume is
 * not filled from the image, as Docker would otherwise do, so shared data never depends on an image.
 */
export interface DockerMount {
  type: 'volume';
  source: string;
  target: string;
  read_only: boolean;
  no_copy: true;
}

export interface VolumeSettings {
  namePrefix: string;
  /** Image of the short-lived container that hands a new volume's root to jovyan. */
  baseImage: string;
  /** How many volumes one user may own. */
  volumesPerUser: number;
  /** rclone's volume plugin for WebDAV volumes; null: this hub has none. */
  webdav: WebdavSettings | null;
  /** Users' credentials (stored ones, or their single sign-on token), for WebDAV volumes. */
  credentials: Pick<Credentials, 'find' | 'has'>;
}

const NAME = environmentSchema.properties.mounts.items.properties.source;
const NAME_PATTERN = new RegExp(NAME.pattern);
// Binder's user in every envhub image: jovyan (1000), group users (100).
const JOVYAN = '1000:100';

const MOUNT_PROBLEMS = [
  'volume_forbidden',
  'no_such_volume',
  'no_credential'
] as const satisfies readonly NonNullable<EffectiveMount['problem']>['code'][];

/** Why `owner`'s server cannot mount the WebDAV volume `name` at `url`, and what to do. */
const noCredential = (name: string, owner: string, url: string) =>
  `volume "${name}" is a WebDAV folder on ${hostOfUrl(url)}, and ${owner} has no credential for ${hostOfUrl(url)}: ${credentialAdvice(hostOfUrl(url))}`;

const noMembers = (): VolumeMembers => ({ users: [], groups: [] });

/** `given` as members, or a 400 naming each field that is wrong (the schema's volume-members). */
function parseMembers(given: unknown): VolumeMembers {
  const validation = validateVolumeMembers(given);
  if (!validation.ok)
    throw new EnvhubError(
      400,
      'invalid_members',
      validation.errors.map(e => `members.${e.message}`).join('; ')
    );
  return validation.members;
}

/**
 * Shared volumes: Docker volumes with an owner and members (users and groups, each read-write or
 * read-only), mounted into servers by their spec's `mounts`. Names are unique across the hub.
 */
export class Volumes {
  constructor(
    private readonly docker: Docker,
    private readonly store: Store,
    private readonly hub: Pick<
      HubClient,
      'groupMembers' | 'userExists' | 'groupExists'
    >,
    private readonly settings: VolumeSettings
  ) {}

  /**
   * How `user` may use `volume`, or null: the widest of their own and their groups' grants.
   * `groups` keeps the Hub's answers about group members for one request.
   */
  async access(
    user: string,
    volume: VolumeRecord,
    groups = new Map<string, Promise<string[]>>()
  ): Promise<VolumeAccess> {
    if (volume.owner === user) return 'owner';
    const grants = volume.members.users.filter(m => m.name === user);
    for (const group of volume.members.groups) {
      if (!groups.has(group.name))
        groups.set(group.name, this.hub.groupMembers(group.name));
      if ((await groups.get(group.name)!).includes(user)) grants.push(group);
    }
    if (grants.length === 0) return null;
    return grants.some(g => !g.readOnly) ? 'write' : 'read';
  }

  /** The volumes `user` owns or is a member of. */
  async list(user: HubUser): Promise<VolumeView[]> {
    const groups = new Map<string, Promise<string[]>>();
    const servers = this.store.listServers(user.name);
    const views = await Promise.all(
      this.store
        .allVolumes()
        .map(volume => this.view(user, volume, groups, servers))
    );
    return views.filter(view => view.access !== null);
  }

  /** The volume called `name`, if `user` may see it (an owner, member or admin); 404 otherwise. */
  async get(user: HubUser, name: string): Promise<VolumeView> {
    return (await this.authorized(user, name, 'volume.read')).view;
  }

  /** The volume called `name` with `user`'s view of it, if the access policy lets them do `operation`. */
  private async authorized(
    user: HubUser,
    name: string,
    operation: Operation
  ): Promise<{ volume: VolumeRecord; view: VolumeView }> {
    const volume = this.store.getVolume(name);
    const view = volume && (await this.view(user, volume));
    const relation = !view
      ? 'none'
      : view.access === 'owner'
        ? 'owner'
        : user.admin
          ? 'admin'
          : view.access
            ? 'member'
            : 'none';
    authorize(operation, relation, `volume "${name}"`, volume?.owner ?? '');
    return { volume: volume!, view: view! };
  }

  /**
   * Creates a volume owned by `user`: an empty one writable by jovyan, or, with `webdav`, the
   * WebDAV folder at that URL (nothing is created on the WebDAV server).
   */
  async create(
    user: HubUser,
    name: unknown,
    webdavGiven?: unknown
  ): Promise<VolumeView> {
    if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
      throw new EnvhubError(
        400,
        'invalid_name',
        `name ${JSON.stringify(name ?? null)} does not have the expected form (${NAME.description})`
      );
    }
    const owned = this.store
      .allVolumes()
      .filter(v => v.owner === user.name).length;
    if (owned >= this.settings.volumesPerUser) {
      throw new EnvhubError(
        409,
        'too_many_volumes',
        `you own ${owned} volumes and this hub allows ${this.settings.volumesPerUser}; delete one first`
      );
    }
    const webdav =
      webdavGiven === undefined || webdavGiven === null
        ? null
        : await this.checkWebdav(webdavGiven);
    const record: VolumeRecord = {
      name,
      owner: user.name,
      members: noMembers(),
      createdAt: new Date().toISOString(),
      webdav
    };
    // The row claims the name first, so two concurrent creations cannot both make the volume.
    if (!this.store.addVolume(record)) {
      throw new EnvhubError(
        409,
        'volume_exists',
        `a volume named "${name}" already exists on this hub; choose another name`
      );
    }
    try {
      // A WebDAV volume's Docker volumes are made per user, at each start (see startMounts).
      if (!webdav) await this.makeDockerVolume(name, user.name);
    } catch (err) {
      this.store.deleteVolume(name);
      await this.removeDockerVolume(name).catch(() => undefined);
      log.error('volume.create_failed', {
        name,
        error: (err as Error).message
      });
      throw new EnvhubError(
        500,
        'volume_create_failed',
        `could not create volume "${name}": ${(err as Error).message}`
      );
    }
    log.info('volume.created', { name, owner: user.name, webdav: !!webdav });
    return this.view(user, record);
  }

  /** A WebDAV folder URL a new volume may use, where this hub has rclone's volume plugin. */
  private async checkWebdav(given: unknown): Promise<string> {
    const settings = this.settings.webdav;
    if (!settings || !webdavAvailable(settings))
      throw new EnvhubError(
        503,
        'webdav_unavailable',
        `this hub cannot mount WebDAV folders: rclone's volume plugin (${settings?.driver ?? 'rclone serve docker'}) is not running; ask an admin (README, WebDAV volumes)`
      );
    return checkWebdavUrl(given, settings.allowedHosts);
  }

  /** Replaces a volume's members; only its owner or an admin may. Applies at each server's next start. */
  async setMembers(
    user: HubUser,
    name: string,
    given: unknown
  ): Promise<VolumeView> {
    const { volume } = await this.authorized(user, name, 'volume.manage');
    const members = parseMembers(given);
    await checkCollaborators(this.hub, volume.owner, {
      users: members.users.map(m => m.name),
      groups: members.groups.map(m => m.name)
    });
    const users = members.users.filter(m => m.name !== volume.owner);
    this.store.setVolumeMembers(name, { ...members, users });
    log.info('volume.members', {
      name,
      users: users.length,
      groups: members.groups.length
    });
    return this.view(user, { ...volume, members: { ...members, users } });
  }

  /** Deletes a volume and its files; refused while a running server mounts it. */
  async remove(user: HubUser, name: string): Promise<void> {
    const { volume } = await this.authorized(user, name, 'volume.delete');
    try {
      if (volume.webdav) await this.removeWebdavVolumes(name);
      else await this.removeDockerVolume(name);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 409) {
        throw new EnvhubError(
          409,
          'volume_in_use',
          `volume "${name}" is mounted by a running server; stop the servers that mount it first`
        );
      }
      throw err;
    }
    this.store.deleteVolume(name);
    log.info('volume.deleted', { name });
  }

  /**
   * `owner`'s mounts as their next start binds them: read-only where the mount or the owner's access
   * says so, and what refuses each mount that cannot be bound (a missing or closed volume).
   */
  async effectiveMounts(
    owner: string,
    mounts: Mount[]
  ): Promise<EffectiveMount[]> {
    const groups = new Map<string, Promise<string[]>>();
    return Promise.all(
      mounts.map(async (mount): Promise<EffectiveMount> => {
        const volume = this.store.getVolume(mount.source);
        const access = volume ? await this.access(owner, volume, groups) : null;
        const webdav = volume?.webdav ?? null;
        const problem: EffectiveMount['problem'] = !volume
          ? {
              code: 'no_such_volume',
              message: `there is no volume "${mount.source}" (create it first)`
            }
          : !access
            ? {
                code: 'volume_forbidden',
                message: `${owner} may not mount volume "${mount.source}" (ask its owner, ${volume.owner}, to add them as a member)`
              }
            : webdav && !this.settings.credentials.has(owner, hostOfUrl(webdav))
              ? {
                  code: 'no_credential',
                  message: noCredential(mount.source, owner, webdav)
                }
              : null;
        return {
          source: mount.source,
          target: mount.target,
          readOnly: Boolean(mount.readOnly) || access === 'read',
          webdav,
          problem
        };
      })
    );
  }

  /**
   * Checks `owner`'s mounts (see effectiveMounts), refusing naming each bad mount: 403 when a volume
   * is closed to `owner`, else 422 (one does not exist, or `owner` has no credential for a WebDAV
   * volume). Returns them as they would be bound.
   */
  async checkMounts(owner: string, mounts: Mount[]): Promise<EffectiveMount[]> {
    const effective = await this.effectiveMounts(owner, mounts);
    const problems = effective.flatMap((mount, i) =>
      mount.problem
        ? [
            {
              code: mount.problem.code,
              message: `mounts.${i}.source: ${mount.problem.message}`
            }
          ]
        : []
    );
    if (problems.length > 0) {
      // The weightiest problem names the refusal: a closed volume, then a missing one.
      const code = MOUNT_PROBLEMS.find(c => problems.some(p => p.code === c))!;
      throw new EnvhubError(
        code === 'volume_forbidden' ? 403 : 422,
        code,
        problems.map(p => p.message).join('; ')
      );
    }
    return effective;
  }

  /**
   * The Docker mounts with which a server of `owner`'s starts (see checkMounts), never copying the
   * image's files into a volume. A WebDAV volume is bound through a Docker volume of `owner`'s made
   * afresh with their current credential; `forVisitors` leaves WebDAV volumes out, since their files
   * are reached with the owner's credential, which a visitor must never use.
   */
  async dockerMounts(
    owner: string,
    mounts: Mount[],
    forVisitors = false
  ): Promise<DockerMount[]> {
    const effective = await this.checkMounts(
      owner,
      forVisitors
        ? mounts.filter(m => !this.store.getVolume(m.source)?.webdav)
        : mounts
    );
    return Promise.all(
      effective.map(mount =>
        mount.webdav
          ? this.startWebdav(owner, mount)
          : {
              type: 'volume' as const,
              source: sharedVolumeName(this.settings.namePrefix, mount.source),
              target: mount.target,
              read_only: mount.readOnly,
              no_copy: true as const
            }
      )
    );
  }

  /**
   * The Docker volume through which `owner`'s server reaches a WebDAV volume, made afresh with their
   * current credential after checking that the WebDAV server takes it: read-only where the mount,
   * their membership or their WebDAV account says so.
   */
  private async startWebdav(
    owner: string,
    mount: EffectiveMount
  ): Promise<DockerMount> {
    const url = await this.checkWebdav(mount.webdav);
    const host = hostOfUrl(url);
    const credential = await this.settings.credentials.find(owner, host);
    if (!credential)
      throw new EnvhubError(
        422,
        'no_credential',
        noCredential(mount.source, owner, url)
      );
    const { writable } = await probeWebdav(
      url,
      credential,
      `volume "${mount.source}"`
    );
    const readOnly = mount.readOnly || !writable;
    const name = webdavVolumeName(
      this.settings.namePrefix,
      mount.source,
      owner
    );
    let inUse = false;
    try {
      await this.removeDockerVolumeNamed(name);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 409) throw err;
      // Another of the owner's servers mounts it now: it keeps the credential it was made with.
      inUse = true;
    }
    if (!inUse)
      await this.docker.createVolume({
        Name: name,
        Driver: this.settings.webdav!.driver,
        DriverOpts: webdavVolumeOptions(url, credential, readOnly),
        Labels: { 'org.envhub.webdav': mount.source, 'org.envhub.user': owner }
      });
    log.info('volume.webdav_mounted', {
      volume: mount.source,
      user: owner,
      readOnly,
      reused: inUse
    });
    return {
      type: 'volume',
      source: name,
      target: mount.target,
      read_only: readOnly,
      no_copy: true
    };
  }

  /** Removes every user's Docker volume of the WebDAV volume `name`; 409 while a server mounts one. */
  private async removeWebdavVolumes(name: string): Promise<void> {
    const { Volumes: found } = await this.docker.listVolumes({
      filters: JSON.stringify({ label: [`org.envhub.webdav=${name}`] })
    });
    for (const volume of found ?? [])
      await this.removeDockerVolumeNamed(volume.Name);
  }

  private async view(
    user: HubUser,
    volume: VolumeRecord,
    groups?: Map<string, Promise<string[]>>,
    servers = this.store.listServers(user.name)
  ): Promise<VolumeView> {
    return {
      name: volume.name,
      owner: volume.owner,
      createdAt: volume.createdAt,
      webdav: volume.webdav ?? null,
      members: volume.members,
      access: await this.access(user.name, volume, groups),
      canManage: ALLOWED['volume.manage'].includes(
        volume.owner === user.name ? 'owner' : user.admin ? 'admin' : 'none'
      ),
      mountedBy: servers
        .filter(server =>
          (server.spec.mounts ?? []).some(m => m.source === volume.name)
        )
        .map(server => server.name)
    };
  }

  private async makeDockerVolume(name: string, owner: string): Promise<void> {
    await this.makeJovyanVolume(
      sharedVolumeName(this.settings.namePrefix, name),
      { 'org.envhub.volume': name, 'org.envhub.owner': owner }
    );
  }

  /** Creates class `id`'s course directory volume, writable by jovyan. */
  async createCourseVolume(id: string): Promise<void> {
    await this.makeJovyanVolume(
      courseVolumeName(this.settings.namePrefix, id),
      {
        'org.envhub.class': id
      }
    );
  }

  /** Removes class `id`'s course directory; 409 while a server mounts it. */
  async removeCourseVolume(id: string): Promise<void> {
    try {
      await this.removeDockerVolumeNamed(
        courseVolumeName(this.settings.namePrefix, id)
      );
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 409)
        throw new EnvhubError(
          409,
          'volume_in_use',
          `the course directory of class ${id} is mounted by a running server; stop its instructors' servers first`
        );
      throw err;
    }
  }

  /** Class `id`'s course directory mounted read-write at `target`. */
  courseMount(id: string, target: string): DockerMount {
    return {
      type: 'volume',
      source: courseVolumeName(this.settings.namePrefix, id),
      target,
      read_only: false,
      no_copy: true
    };
  }

  private async makeJovyanVolume(
    volumeName: string,
    labels: Record<string, string>
  ): Promise<void> {
    await this.docker.createVolume({ Name: volumeName, Labels: labels });
    // A new volume's root belongs to root; jovyan must be able to write to it.
    const chown = {
      Image: this.settings.baseImage,
      User: 'root',
      Cmd: ['chown', JOVYAN, '/volume'],
      NetworkDisabled: true,
      HostConfig: { Binds: [`${volumeName}:/volume`] }
    };
    const container = await this.docker
      .createContainer(chown)
      .catch(async (err: { statusCode?: number }) => {
        if (err.statusCode !== 404) throw err;
        // On a swarm the volumes' engine (the manager's) gets the base image from the registry.
        await pull(this.docker, this.settings.baseImage);
        return this.docker.createContainer(chown);
      });
    try {
      await container.start();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      if (StatusCode !== 0) throw new Error(`chown exited with ${StatusCode}`);
    } finally {
      await container.remove({ force: true });
    }
  }

  /**
   * Removes a server's home. Still "in use" (409) is waited out for a while: the Hub reports a
   * server stopped while Docker is still removing its container.
   */
  async removeHome(owner: string, server: string): Promise<void> {
    await this.removeDockerVolumeNamed(
      homeVolumeName(this.settings.namePrefix, owner, server),
      20
    );
  }

  private async removeDockerVolume(name: string): Promise<void> {
    await this.removeDockerVolumeNamed(
      sharedVolumeName(this.settings.namePrefix, name)
    );
  }

  /** Removes a Docker volume; gone already is fine; "in use" (409) is tried `attempts` times, 0.5 s apart. */
  private async removeDockerVolumeNamed(
    volumeName: string,
    attempts = 1
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.docker.getVolume(volumeName).remove();
        return;
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode;
        if (status === 404) return;
        if (status !== 409 || attempt >= attempts) throw err;
        await new Promise(resolve => setTimeout(resolve, 500));
      }
    }
  }
}
