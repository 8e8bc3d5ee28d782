/** Output of a container or exec stream without Docker's 8-byte multiplexing headers. */
export function demultiplex(raw: Buffer): string {
  const parts: Buffer[] = [];
  for (let i = 0; i + 8 <= raw.length; i += 8 + raw.readUInt32BE(i + 4)) {
    parts.push(raw.subarray(i + 8, i + 8 + raw.readUInt32BE(i + 4)));
  }
  return Buffer.concat(parts).toString('utf8');
}
