/**
 * An incremental decoder for `text/event-stream` bodies as upstream vendors send them: events
 * separated by a blank line, `data:` lines joined with "\n", `event:`/`id:` fields, comments
 * ignored, and any of \n, \r\n or \r as line ends — split across network chunks at any byte.
 */
export interface ServerSentEvent {
  /** The `event:` field; undefined when the event had none (the spec's "message"). */
  event: string | undefined;
  data: string;
  id: string | undefined;
}

export class SseDecoder {
  readonly #text = new TextDecoder("utf-8");
  #buffer = "";
  #event: string | undefined;
  #data: string[] = [];
  #id: string | undefined;
  /** A chunk ended in \r: a \n opening the next chunk belongs to the same line end. */
  #pendingCarriageReturn = false;

  /** Feeds bytes; returns the events they completed. */
  push(chunk: Uint8Array | string): ServerSentEvent[] {
    let text = typeof chunk === "string" ? chunk : this.#text.decode(chunk, { stream: true });
    if (this.#pendingCarriageReturn && text.startsWith("\n")) text = text.slice(1);
    this.#pendingCarriageReturn = false;
    this.#buffer += text;
    const events: ServerSentEvent[] = [];
    let start = 0;
    for (;;) {
      let end = -1;
      let next = -1;
      for (let index = start; index < this.#buffer.length; index++) {
        const code = this.#buffer.charCodeAt(index);
        if (code === 10) {
          end = index;
          next = index + 1;
          break;
        }
        if (code === 13) {
          end = index;
          if (index + 1 < this.#buffer.length) next = this.#buffer.charCodeAt(index + 1) === 10 ? index + 2 : index + 1;
          else {
            next = index + 1;
            this.#pendingCarriageReturn = true;
          }
          break;
        }
      }
      if (end === -1) break;
      this.#line(this.#buffer.slice(start, end), events);
      start = next;
    }
    this.#buffer = this.#buffer.slice(start);
    return events;
  }

  /** Call at end of input: an event not closed by a blank line is dropped, as the spec says. */
  end(): ServerSentEvent[] {
    const events = this.push(new Uint8Array(0));
    this.#buffer = "";
    this.#data = [];
    this.#event = undefined;
    return events;
  }

  /** True when bytes of an unfinished event are buffered (the stream was cut mid-event). */
  get hasPartialEvent(): boolean {
    return this.#buffer.length > 0 || this.#data.length > 0;
  }

  #line(line: string, events: ServerSentEvent[]): void {
    if (line === "") {
      if (this.#data.length > 0) events.push({ event: this.#event, data: this.#data.join("\n"), id: this.#id });
      this.#data = [];
      this.#event = undefined;
      return;
    }
    if (line.charCodeAt(0) === 58) return; // ":" comment / keep-alive
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === "data") this.#data.push(value);
    else if (field === "event") this.#event = value;
    else if (field === "id") this.#id = value;
  }
}
