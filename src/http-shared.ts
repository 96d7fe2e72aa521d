// What serve() and Endpoint share: reading a request body within a limit,
// answering 413 without resetting the connection, and starting the requests
// of one turn of the event loop together.
import * as http from 'node:http';
import { Readable } from 'node:stream';
import { TaskletError, blockingInMain, checkNumber, invalidArgType } from './errors';
import { blockOn } from './block-on';
import { inTasklet } from './scheduler';

/**
 * Defers `fn(a, b)` calls to the check phase of the current turn of the
 * event loop, in arrival order. Requests arrive one socket read (one
 * callback) at a time; started together, their tasklets run back to back in
 * one pass of the scheduler (a new tasklet starts on the thread its
 * predecessor finished on) instead of a switch to a tasklet and back per
 * request. They still start in the same turn of the loop.
 */
export function inCheckPhase<Args extends unknown[]>(fn: (...args: Args) => void): (...args: Args) => void {
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

export const EMPTY_BODY = Buffer.alloc(0);

/** Whether a request carries a body (HTTP/1.1: a non-zero Content-Length or a Transfer-Encoding). */
export function hasBody(req: http.IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Requests whose body went over a limit: the rest of their body is being discarded. */
const overLimit = new WeakSet<Readable>();

/** Whether `error` is the ERR_BODY_TOO_LARGE that reading `req` raised. */
export function isBodyTooLarge(error: unknown, req: http.IncomingMessage): boolean {
  return error instanceof TaskletError && error.code === 'ERR_BODY_TOO_LARGE' && overLimit.has(req);
}

/**
 * The body of `req`, at most `limit` bytes. Over it (declared in
 * Content-Length or counted), nothing more is kept, the rest of the body is
 * read and dropped, and once it has all arrived the promise rejects with
 * ERR_BODY_TOO_LARGE. The request is not destroyed and nothing of it is
 * left in flight: whatever answer follows reaches the client (a socket
 * closed while request data is still arriving is reset, and the reset can
 * take the answer with it).
 */
export function collect(req: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    const tooLarge = (): void => {
      over = true;
      chunks.length = 0;
      req.off('data', onData);
      overLimit.add(req);
      req.resume(); // flowing with no 'data' listener: the rest is dropped
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) tooLarge();
      else chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (over) reject(new TaskletError('ERR_BODY_TOO_LARGE', `the request body is larger than ${limit} bytes`));
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
    const declared = Number((req as Partial<http.IncomingMessage>).headers?.['content-length']);
    if (declared > limit) tooLarge();
  });
}

/**
 * Answers 413 with `Connection: close`, once the rest of the body has
 * arrived (see collect()), so the server's close after the answer is a
 * clean one. A client that never finishes its body is ended by the
 * server's requestTimeout, as any slow request.
 */
export function answerTooLarge(req: http.IncomingMessage, res: http.ServerResponse): void {
  const answer = (): void => {
    if (res.headersSent || res.writableEnded) return;
    res.writeHead(413, { connection: 'close', 'content-type': 'text/plain' });
    res.end('Payload Too Large');
  };
  if (req.complete) answer();
  else {
    req.once('end', answer);
    req.resume();
  }
}

/**
 * *Blocks* (in a tasklet): the whole request body, at most `limit` bytes
 * (default 1 MiB). A larger body is read to its end and dropped, then
 * TaskletError ERR_BODY_TOO_LARGE is thrown; if it escapes a {@link serve}
 * handler the client gets 413, and a handler that catches it can answer
 * itself (nothing is left in flight to reset the connection).
 */
export function readBody(req: http.IncomingMessage, limit = 1024 * 1024): Buffer {
  if (!(req instanceof Readable)) throw invalidArgType('req', 'an instance of http.IncomingMessage', req);
  checkNumber('limit', limit, 0);
  if (!inTasklet()) throw blockingInMain('readBody()', 'call it in a tasklet (a serve() handler runs in one)');
  return blockOn(collect(req, limit));
}
