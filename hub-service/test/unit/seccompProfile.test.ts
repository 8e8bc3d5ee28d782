import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import {
  SECCOMP_PROFILE,
  seccompProblem
} from '../../src/images/daemonSecurity.js';

type Rule = {
  names: string[];
  action: string;
  args: Array<{
    index: number;
    value: number;
    valueTwo?: number;
    op: string;
  }> | null;
};
const profile = JSON.parse(readFileSync(SECCOMP_PROFILE, 'utf8')) as {
  defaultAction: string;
  syscalls: Rule[];
};

describe("envhub's seccomp profile (deploy/docker/seccomp.json)", () => {
  const socketRules = profile.syscalls.filter(rule =>
    rule.names.includes('socket')
  );

  test('refuses by default, and never allows socket(), socketcall(SYS_SOCKET) or io_uring unconditionally', () => {
    expect(profile.defaultAction).toBe('SCMP_ACT_ERRNO');
    const unconditional = profile.syscalls
      .filter(rule => rule.action === 'SCMP_ACT_ALLOW' && !rule.args?.length)
      .flatMap(rule => rule.names);
    for (const name of [
      'socket',
      'socketcall',
      'io_uring_setup',
      'io_uring_enter',
      'io_uring_register'
    ])
      expect(unconditional).not.toContain(name);
    expect(
      profile.syscalls.filter(rule => rule.names.includes('socketcall'))
    ).toEqual([
      expect.objectContaining({
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 1, op: 'SCMP_CMP_NE' }]
      })
    ]);
    expect(unconditional).toEqual(
      expect.arrayContaining([
        'connect',
        'bind',
        'sendto',
        'socketpair',
        'clone',
        'execve'
      ])
    );
  });

  test('allows AF_UNIX and AF_NETLINK, and AF_INET/AF_INET6 only as stream, datagram or seqpacket sockets', () => {
    const allowed = socketRules.map(rule => {
      expect(rule.action).toBe('SCMP_ACT_ALLOW');
      const family = rule.args!.find(a => a.index === 0)!;
      const type = rule.args!.find(a => a.index === 1);
      expect(family.op).toBe('SCMP_CMP_EQ');
      if (type)
        expect(type).toMatchObject({ op: 'SCMP_CMP_MASKED_EQ', value: 0xf });
      return `${family.value}:${type ? type.valueTwo : 'any'}`;
    });
    // AF_UNIX=1, AF_NETLINK=16, AF_INET=2, AF_INET6=10; SOCK_STREAM=1, SOCK_DGRAM=2, SOCK_SEQPACKET=5
    expect(allowed.sort()).toEqual(
      ['1:any', '16:any', '2:1', '2:2', '2:5', '10:1', '10:2', '10:5'].sort()
    );
  });
});

describe('checking that dockerd runs with it', () => {
  const daemon = (securityOptions: string[]) =>
    ({
      info: async () => ({ SecurityOptions: securityOptions })
    }) as unknown as Docker;

  test("Docker's default profile, or none, is reported with the fix", async () => {
    expect(
      await seccompProblem(
        daemon(['name=seccomp,profile=default', 'name=cgroupns'])
      )
    ).toMatch(
      new RegExp(
        `default seccomp profile.*--seccomp-profile ${SECCOMP_PROFILE} and --no-new-privileges`
      )
    );
    expect(await seccompProblem(daemon([]))).toMatch(/no seccomp profile/);
  });

  test("a profile file with envhub's content passes; another file does not", async () => {
    expect(
      await seccompProblem(daemon([`name=seccomp,profile=${SECCOMP_PROFILE}`]))
    ).toBeNull();
    const other = fileURLToPath(new URL('../../package.json', import.meta.url));
    expect(
      await seccompProblem(daemon([`name=seccomp,profile=${other}`]))
    ).toMatch(/is not envhub's/);
  });
});
