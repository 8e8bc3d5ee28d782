import { readFile } from 'node:fs/promises';
import type Docker from 'dockerode';
import { ASSETS } from '../assets.js';

/** envhub's seccomp profile (Docker's default without raw or packet sockets), as the repository ships it. */
export const SECCOMP_PROFILE = ASSETS.seccompProfile;

/**
 * Whether dockerd runs with envhub's seccomp profile: `docker info` names the profile file the
 * daemon loaded, which must hold what the repository ships. Returns null when it does, else why not.
 * The build API cannot drop NET_RAW, so this profile is what keeps raw sockets out of builds.
 */
export async function seccompProblem(docker: Docker): Promise<string | null> {
  const info = (await docker.info()) as { SecurityOptions?: string[] };
  const option = (info.SecurityOptions ?? []).find(o =>
    o.startsWith('name=seccomp')
  );
  const profile = option && /(?:^|,)profile=([^,]+)/.exec(option)?.[1];
  const fix = `start dockerd with --seccomp-profile ${SECCOMP_PROFILE} and --no-new-privileges (make up does; elsewhere "seccomp-profile" and "no-new-privileges" in /etc/docker/daemon.json)`;
  if (!profile || profile === 'default' || profile === 'builtin') {
    return `dockerd runs with ${profile ? "Docker's default seccomp profile" : 'no seccomp profile'}, so build steps running as root can open raw sockets: ${fix}`;
  }
  const [loaded, shipped] = await Promise.all([
    readFile(profile, 'utf8').catch(() => null),
    readFile(SECCOMP_PROFILE, 'utf8')
  ]);
  if (loaded !== shipped)
    return `dockerd runs with the seccomp profile ${profile}, which is not envhub's (${SECCOMP_PROFILE}): ${fix}`;
  return null;
}
