// tasklet/http's rendezvous style: long-lived tasklets accept() requests
// from an Endpoint's queue and reply() to them.
import type * as http from 'node:http';
import { TaskletError, blockingInMain, checkNumber, checkOptions, invalidArgType } from './errors';
import { block, checkSuspendable, getCurrentTasklet, inTasklet, wake } from './scheduler';
import type { Tasklet } from './tasklet';
import { EMPTY_BODY, answerTooLarge, collect, hasBody, inCheckPhase, isBodyTooLarge } from './http-shared';

/** One request handed to a tasklet that accept()ed it. */
export interface Exchange {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /**
   * Sends the response: `status` an integer in 100..999, `body` a string or
   * Buffer, `headers` an object. Bad arguments throw before anything is
   * sent (the exchange stays open); a second call throws ERR_ALREADY_REPLIED.
   */
  reply(status: number, body?: string | Buffer, headers?: http.OutgoingHttpHeaders): void;
  /** Whether reply() was called (or the timeout answered 504). */
  readonly replied: boolean;
}

/** Options for {@link Endpoint}. */
export interface EndpointOptions {
  /** Requests that may wait beyond the acceptors waiting (an integer; default 1024); more are answered 503. */
  queueSize?: number;
  /** Ms an accepted-or-waiting request may go unanswered before a 504 (default 30,000; at most 2^31 - 1, setTimeout's limit). */
  timeout?: number;
  /** Request body limit in bytes (default 1 MiB; larger bodies get 413 with `Connection: close`). */
  bodyLimit?: number;
}

/**
 * One request handed over by an Endpoint: the Exchange, and its own 504
 * deadline entry (one object per request; the response is dropped once
 * answered, so an answered entry holds nothing).
 */
class PendingExchange implements Exchange {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** When it gets a 504 (performance.now() time). */
  readonly at: number;
  #res: http.ServerResponse | undefined;
  #onAnswered: () => void;

  constructor(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, at: number, onAnswered: () => void) {
    this.method = req.method ?? 'GET';
    this.url = req.url ?? '/';
    this.headers = req.headers;
    this.body = body;
    this.at = at;
    this.#res = res;
    this.#onAnswered = onAnswered;
  }

  reply(status: number, body?: string | Buffer, headers?: http.OutgoingHttpHeaders): void {
    const res = this.#res;
    if (res === undefined) throw new TaskletError('ERR_ALREADY_REPLIED', 'reply(): this request was already answered');
    checkNumber('status', status, 100, 999, true);
    if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      throw invalidArgType('body', 'of type string or an instance of Buffer', body);
    }
    if (headers !== undefined && (headers === null || typeof headers !== 'object')) {
      throw invalidArgType('headers', 'of type object', headers);
    }
    res.writeHead(status, headers); // throws (sending nothing) on a bad header name or value
    this.#answered();
    res.end(body);
  }

  get replied(): boolean {
    return this.#res === undefined;
  }

  /** Answers 504 unless already answered. */
  expire(): void {
    const res = this.#res;
    if (res === undefined) return;
    this.#answered();
    res.statusCode = 504;
    res.end('Gateway Timeout');
  }

  #answered(): void {
    this.#res = undefined;
    this.#onAnswered();
  }
}

/** An acceptor blocked in accept() (a tasklet) or waiting in acceptAsync() (a Promise). */
type Acceptor = { tasklet: Tasklet; woken: boolean } | { resolve: (ex: Exchange) => void };

/**
 * The rendezvous style: `endpoint.handler` only hands each request over;
 * long-lived tasklets call `accept()` and `reply()`.
 *
 * Requests wait in the endpoint's queue. One waiting acceptor is woken at a
 * time: it takes a request, and when it comes back to accept() while more
 * are queued it takes the next without a switch. Another acceptor is woken
 * only when the queue still holds requests once control is back on main —
 * that is, when the woken ones block in their handlers (I/O) — so a burst
 * of quick requests costs one handoff, and slow handlers still run side by
 * side.
 */
export class Endpoint {
  readonly #queue: Exchange[] = [];
  readonly #acceptors: Acceptor[] = [];
  readonly #queueSize: number;
  readonly #timeout: number;
  readonly #bodyLimit: number;
  /** Acceptors woken to take a request that have not run yet. */
  #woken = 0;
  #dispatchQueued = false;

  constructor(options?: EndpointOptions) {
    const known = ['queueSize', 'timeout', 'bodyLimit'];
    const { queueSize = 1024, timeout = 30_000, bodyLimit = 1024 * 1024 } = checkOptions('options', options, known);
    checkNumber('options.queueSize', queueSize, 0, Infinity, true);
    checkNumber('options.timeout', timeout, 0, 2 ** 31 - 1);
    checkNumber('options.bodyLimit', bodyLimit, 0);
    this.#queueSize = queueSize;
    this.#timeout = timeout;
    this.#bodyLimit = bodyLimit;
  }

  // Requests whose bodies completed in one turn of the loop are handed over
  // together (see inCheckPhase).
  readonly #arrive = inCheckPhase((req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) =>
    this.#handOver(req, res, body),
  );

  /** The request listener for http.createServer(). */
  readonly handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (!hasBody(req)) {
      this.#arrive(req, res, EMPTY_BODY);
      return;
    }
    collect(req, this.#bodyLimit).then(
      (body) => this.#arrive(req, res, body),
      (error: unknown) => {
        // Otherwise the request failed (its client left): nobody to answer.
        if (isBodyTooLarge(error, req)) answerTooLarge(req, res);
      },
    );
  };

  #handOver(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
    // Room: the queue's size, plus the acceptors waiting. A woken acceptor
    // is still in #acceptors until it runs and takes its request from the
    // queue, so the request meant for it is counted once, with it.
    if (this.#queue.length >= this.#queueSize + this.#acceptors.length) {
      res.statusCode = 503;
      res.end('Service Unavailable');
      return;
    }
    const exchange = new PendingExchange(req, res, body, performance.now() + this.#timeout, this.#answered);
    this.#queue.push(exchange);
    this.#watch(exchange);
    this.#dispatch();
  }

  // The 504 deadlines: every exchange gets the same timeout, so deadlines
  // come in arrival order and one timer (for the oldest) serves them all,
  // instead of a setTimeout/clearTimeout pair per request. An answered
  // entry keeps nothing alive; answered entries are dropped from the front
  // as they come, and the list is compacted when they are most of it (one
  // slow request at the front does not make it grow without bound).
  readonly #deadlines: PendingExchange[] = [];
  #unanswered = 0;
  #deadlineTimer: NodeJS.Timeout | undefined;
  readonly #answered = (): void => {
    this.#unanswered--;
  };

  #watch(exchange: PendingExchange): void {
    const d = this.#deadlines;
    while (d.length > 0 && d[0].replied) d.shift();
    if (d.length > 1024 && d.length > 2 * this.#unanswered) {
      const live = d.filter((x) => !x.replied);
      d.length = 0;
      for (const x of live) d.push(x);
    }
    d.push(exchange);
    this.#unanswered++;
    if (this.#deadlineTimer === undefined) this.#armDeadline();
  }

  #armDeadline(): void {
    const d = this.#deadlines;
    while (d.length > 0 && d[0].replied) d.shift();
    if (d.length === 0) {
      this.#deadlineTimer = undefined;
      return;
    }
    this.#deadlineTimer = setTimeout(() => {
      const now = performance.now();
      while (d.length > 0 && (d[0].replied || d[0].at <= now)) d.shift()!.expire();
      this.#armDeadline();
    }, Math.max(0, d[0].at - performance.now()));
    // An open request keeps the loop alive through its socket; the timer
    // must not keep it alive after the last reply.
    this.#deadlineTimer.unref();
  }

  /** The next request not answered yet (a timed-out one was answered 504). */
  #take(): Exchange | undefined {
    for (let ex = this.#queue.shift(); ex !== undefined; ex = this.#queue.shift()) {
      if (!ex.replied) return ex;
    }
    return undefined;
  }

  /** Wakes one acceptor if requests are queued and none is on its way. */
  #dispatch(): void {
    while (this.#woken === 0 && this.#queue.length > 0) {
      const i = this.#acceptors.findIndex((a) => !('tasklet' in a) || !a.woken);
      if (i < 0) return;
      const a = this.#acceptors[i];
      if ('resolve' in a) {
        const ex = this.#take();
        if (ex === undefined) return;
        this.#acceptors.splice(i, 1);
        a.resolve(ex);
        continue;
      }
      a.woken = true;
      this.#woken++;
      wake(a.tasklet);
    }
  }

  /** Dispatches again once control is back on main, if requests remain. */
  #dispatchLater(): void {
    if (this.#dispatchQueued || this.#queue.length === 0) return;
    this.#dispatchQueued = true;
    queueMicrotask(() => {
      this.#dispatchQueued = false;
      this.#dispatch();
    });
  }

  /** In a tasklet: blocks until a request arrives and returns it. */
  accept(): Exchange {
    if (!inTasklet()) throw blockingInMain('Endpoint#accept()', 'use acceptAsync()');
    checkSuspendable();
    for (;;) {
      const ready = this.#take();
      if (ready !== undefined) {
        this.#dispatchLater();
        return ready;
      }
      const me: Acceptor = { tasklet: getCurrentTasklet(), woken: false };
      this.#acceptors.push(me);
      block(() => {
        // Killed while waiting: leave, and let another acceptor take over.
        const i = this.#acceptors.indexOf(me);
        if (i >= 0) this.#acceptors.splice(i, 1);
        if (me.woken) {
          this.#woken--;
          this.#dispatch();
        }
      });
      const i = this.#acceptors.indexOf(me);
      if (i >= 0) this.#acceptors.splice(i, 1);
      if (me.woken) this.#woken--;
    }
  }

  /** Anywhere: a Promise of the next request. */
  acceptAsync(): Promise<Exchange> {
    const ready = this.#take();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise<Exchange>((resolve) => this.#acceptors.push({ resolve }));
  }

  /** Requests waiting for an accept(). */
  get waiting(): number {
    return this.#queue.length;
  }
}
