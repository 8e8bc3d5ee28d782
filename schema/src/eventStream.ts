/**
 * Reads a `text/event-stream` body chunk by chunk into the JSON values of its events, as the
 * service reads the Hub's spawn progress and clients read envhub's BinderHub-compatible launch
 * stream: the `data:` lines of a block are joined, comments (`:keepalive`) and other fields are
 * skipped, and so is data that is not JSON.
 */
export class EventStreamParser {
  private buffer = '';
  private data: string[] = [];

  /** Adds a chunk of text; returns the events it completed. */
  push(chunk: string): unknown[] {
    this.buffer += chunk;
    const events: unknown[] = [];
    // A block ends at an empty line; a trailing lone \r may still become \r\n.
    const lines = this.buffer.split(/\r\n|\n|\r(?!$)/);
    this.buffer = lines.pop() ?? '';
    for (const line of lines) this.line(line, events);
    return events;
  }

  /** The stream ended: returns the event of a last block that had no empty line after it. */
  end(): unknown[] {
    const events: unknown[] = [];
    if (this.buffer) this.line(this.buffer.replace(/\r$/, ''), events);
    this.buffer = '';
    this.line('', events);
    return events;
  }

  private line(line: string, into: unknown[]): void {
    if (line === '') {
      if (this.data.length > 0) {
        try {
          into.push(JSON.parse(this.data.join('\n')));
        } catch {
          // Not JSON: not an event of ours.
        }
      }
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    if (field === 'data')
      this.data.push(colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, ''));
  }

  /** Every event of a whole stream's text. */
  static parse(text: string): unknown[] {
    const parser = new EventStreamParser();
    return [...parser.push(text), ...parser.end()];
  }
}
