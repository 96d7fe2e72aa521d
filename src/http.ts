// tasklet/http: Node's http server with handlers that run in tasklets and
// may block (serve), and the rendezvous style where long-lived tasklets
// accept() requests and reply() (Endpoint, in http-endpoint.ts).
import * as http from 'node:http';
import { TaskletExit, checkFunction, checkNumber, invalidArgType } from './errors';
import { spawn, type Tasklet } from './tasklet';
import { answerTooLarge, inCheckPhase, isBodyTooLarge } from './http-shared';

export { readBody } from './http-shared';
export { Endpoint, type EndpointOptions, type Exchange } from './http-endpoint';

/** Options for {@link serve}. */
export interface ServeOptions extends http.ServerOptions {
  /** Requests handled at once; more wait in arrival order (default 1024). */
  concurrency?: number;
}

/** A request handler written in blocking style: it runs in its own tasklet. */
export type BlockingHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

function report(server: http.Server, error: unknown, req: http.IncomingMessage): void {
  if (server.listenerCount('handlerError') > 0) server.emit('handlerError', error, req);
  else process.emitWarning(error instanceof Error ? error : new Error(String(error)), 'TaskletHttpHandlerWarning');
}

/**
 * Creates an http.Server whose handler runs in a new tasklet per request.
 * An error escaping the handler becomes a 500 (or a destroyed socket when
 * headers were sent) and is reported on the server's 'handlerError' event
 * (a process warning when nobody listens); the server keeps serving. The
 * ERR_BODY_TOO_LARGE of {@link readBody} escaping it becomes a 413 instead,
 * not reported (the client's doing). A client that disconnects before the
 * response is finished kills its request's tasklet with TaskletExit.
 * `options` other than `concurrency` go to http.createServer.
 */
export function serve(handler: BlockingHandler, options: ServeOptions = {}): http.Server {
  checkFunction('handler', handler);
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArgType('options', 'of type object', options);
  }
  const { concurrency = 1024, ...serverOptions } = options;
  checkNumber('options.concurrency', concurrency, 1, Infinity, true);
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
        if (isBodyTooLarge(error, req) && !res.headersSent) {
          answerTooLarge(req, res);
          return;
        }
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
