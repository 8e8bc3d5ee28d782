import Docker from 'dockerode';

/** Output of a container or exec stream without Docker's 8-byte multiplexing headers. */
export function demultiplex(raw: Buffer): string {
  const parts: Buffer[] = [];
  for (let i = 0; i + 8 <= raw.length; i += 8 + raw.readUInt32BE(i + 4)) {
    parts.push(raw.subarray(i + 8, i + 8 + raw.readUInt32BE(i + 4)));
  }
  return Buffer.concat(parts).toString('utf8');
}

/** Runs `command` in a running container and returns its output (stdout and stderr). */
export async function exec(
  container: string,
  command: string[],
  docker = new Docker()
): Promise<string> {
  const run = await docker
    .getContainer(container)
    .exec({ Cmd: command, AttachStdout: true, AttachStderr: true });
  const stream = await run.start({});
  const chunks: Buffer[] = [];
  await new Promise(resolve => {
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', resolve);
  });
  return demultiplex(Buffer.concat(chunks));
}

/** Runs `command` in a running container as its user, in `workdir`: its output and exit code. */
export async function execStatus(
  container: string,
  command: string[],
  workdir?: string,
  docker = new Docker()
): Promise<{ output: string; exitCode: number }> {
  const run = await docker.getContainer(container).exec({
    Cmd: command,
    AttachStdout: true,
    AttachStderr: true,
    ...(workdir ? { WorkingDir: workdir } : {})
  });
  const stream = await run.start({});
  const chunks: Buffer[] = [];
  await new Promise(resolve => {
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', resolve);
  });
  const { ExitCode } = await run.inspect();
  return {
    output: demultiplex(Buffer.concat(chunks)),
    exitCode: ExitCode ?? -1
  };
}
