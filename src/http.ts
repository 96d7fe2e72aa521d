// tasklet/http: Node's http server with handlers that run in tasklets and
// may block (serve), and the rendezvous style where long-lived tasklets
// accept() requests and reply() (Endpoint).
import * as http from 'node:http';
import { TaskletError, TaskletExit, checkFunction, checkNumber } from './errors';
import { blockOn } from './block-on';
import { Channel } from './channel';
import { select } from './select';
import { spawn, type Tasklet } from './tasklet';

/** Options for {@link serve}. */
export interface ServeOptions extends http.ServerOptions {
  /** Requests handled at once; more wait in arrival order (default 1024). */
  concurrency?: number;
}

/** A request handler written in blocking style: it runs in its own tasklet. */
export type BlockingHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/**
 * Defers `fn(a, b)` calls to the check phase of the current turn of the
 * event loop, in arrival order. Requests arrive one socket read (one
 * callback) at a time; started together, their tasklets run back to back in
 * one pass of the scheduler (a new tasklet starts on the thread its
 * predecessor finished on) instead of a switch to a tasklet and back per
 * request. They still start in the same turn of the loop.
 */
function inCheckPhase<Args extends unknown[]>(fn: (...args: Args) => void): (...args: Args) => void {
  let arrived: Args[] = [];
  const flush = (): void => {
    const batch = arrived;
    arrived = [];
    for (const args of batch) fn(...args);
  };
  return (...args: Args): void => {
    if (arrived.push(args) === 1) setImmediate(flush);
  };
}

function report(server: http.Server, error: unknown, req: http.IncomingMessage): void {
  if (server.listenerCount('handlerError') > 0) server.emit('handlerError', error, req);
  else process.emitWarning(error instanceof Error ? error : new Error(String(error)), 'TaskletHttpHandlerWarning');
}

/**
 * Creates an http.Server whose handler runs in a new tasklet per request.
 * An error escaping the handler becomes a 500 (or a destroyed socket when
 * headers were sent) and is reported on the server's 'handlerError' event
 * (a process warning when nobody listens); the server keeps serving. A
 * client that disconnects before the response is finished kills its
 * request's tasklet with TaskletExit.
 */
export function serve(handler: BlockingHandler, options: ServeOptions = {}): http.Server {
  checkFunction('handler', handler);
  const { concurrency = 1024, ...serverOptions } = options;
  checkNumber('options.concurrency', concurrency, 1);
  let active = 0;
  const waiting: Array<[http.IncomingMessage, http.ServerResponse]> = [];
  const server = http.createServer(serverOptions);

  const start = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    active++;
    let t: Tasklet | undefined;
    const onClose = (): void => {
      if (!res.writableFinished && t !== undefined && t.alive) t.kill();
    };
    res.once('close', onClose);
    t = spawn(() => {
      try {
        handler(req, res);
      } catch (error) {
        if (error instanceof TaskletExit) throw error;
        report(server, error, req);
        if (!res.headersSent) {
          res.statusCode = 500;
          res.end('Internal Server Error');
        } else {
          res.destroy();
        }
      }
    });
    t.result.then(
      () => finish(),
      () => finish(),
    );
  };
  const finish = (): void => {
    active--;
    // Requests whose client left while they waited are dropped.
    for (let next = waiting.shift(); next !== undefined; next = waiting.shift()) {
      if (!next[0].socket.destroyed) {
        start(next[0], next[1]);
        break;
      }
    }
  };
  const arrive = inCheckPhase((req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.socket.destroyed) return; // its client left before it started
    if (active < concurrency) start(req, res);
    else waiting.push([req, res]);
  });
  server.on('request', arrive);
  return server;
}

/** In a tasklet: reads the whole request body (at most `limit` bytes, default 1 MiB). */
export function readBody(req: http.IncomingMessage, limit = 1024 * 1024): Buffer {
  checkNumber('limit', limit, 0);
  return blockOn(collect(req, limit));
}

function collect(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new TaskletError('ERR_BODY_TOO_LARGE', `the request body is larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** One request handed to a tasklet that accept()ed it. */
export interface Exchange {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Sends the response; a second call throws ERR_ALREADY_REPLIED. */
  reply(status: number, body?: string | Buffer, headers?: http.OutgoingHttpHeaders): void;
  /** Whether reply() was called (or the timeout answered 504). */
  readonly replied: boolean;
}

/** Options for {@link Endpoint}. */
export interface EndpointOptions {
  /** Requests waiting for an accept() at most; beyond it the answer is 503 (default 1024). */
  queueSize?: number;
  /** Ms an accepted-or-waiting request may go unanswered before a 504 (default 30,000). */
  timeout?: number;
  /** Request body limit in bytes (default 1 MiB; larger bodies get 413). */
  bodyLimit?: number;
}

/**
 * The rendezvous style: `endpoint.handler` only hands each request over;
 * long-lived tasklets call `accept()` and `reply()`.
 */
export class Endpoint {
  readonly #queue: Channel<Exchange>;
  readonly #timeout: number;
  readonly #bodyLimit: number;

  constructor(options: EndpointOptions = {}) {
    const { queueSize = 1024, timeout = 30_000, bodyLimit = 1024 * 1024 } = options;
    checkNumber('options.queueSize', queueSize, 0);
    checkNumber('options.timeout', timeout, 0);
    checkNumber('options.bodyLimit', bodyLimit, 0);
    this.#queue = new Channel<Exchange>({ capacity: queueSize });
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
    collect(req, this.#bodyLimit).then(
      (body) => this.#arrive(req, res, body),
      () => {
        if (!res.headersSent) {
          res.statusCode = 413;
          res.end('Payload Too Large');
        }
      },
    );
  };

  #handOver(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
    let replied = false;
    const timer = setTimeout(() => {
      if (replied) return;
      replied = true;
      res.statusCode = 504;
      res.end('Gateway Timeout');
    }, this.#timeout);
    const exchange: Exchange = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      body,
      reply(status: number, payload?: string | Buffer, headers?: http.OutgoingHttpHeaders): void {
        if (replied) throw new TaskletError('ERR_ALREADY_REPLIED', 'reply(): this request was already answered');
        checkNumber('status', status, 100, 999);
        replied = true;
        clearTimeout(timer);
        res.writeHead(status, headers);
        res.end(payload);
      },
      get replied() {
        return replied;
      },
    };
    const r = select([{ send: this.#queue, value: exchange }, { default: true }]);
    if (r.index === 1) {
      replied = true;
      clearTimeout(timer);
      res.statusCode = 503;
      res.end('Service Unavailable');
    }
  }

  /** In a tasklet: blocks until a request arrives and returns it. */
  accept(): Exchange {
    return this.#queue.receive();
  }

  /** Anywhere: a Promise of the next request. */
  acceptAsync(): Promise<Exchange> {
    return this.#queue.receiveAsync();
  }

  /** Requests waiting for an accept(). */
  get waiting(): number {
    return Math.max(0, this.#queue.buffered);
  }
}
