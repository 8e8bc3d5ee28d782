import type Docker from 'dockerode';

/**
 * Follows a Docker build, push or pull stream to its end: resolves when it succeeded, rejects with
 * the engine's own message when it failed (an `error` in the stream counts, as the CLI counts it).
 */
export function followed(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onEvent?: (event: { stream?: string }) => void
): Promise<void> {
  return new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: Array<{ error?: string }>) => {
        const failure = err?.message ?? output.find(o => o.error)?.error;
        if (failure) reject(new Error(failure.trim()));
        else resolve();
      },
      onEvent
    )
  );
}
