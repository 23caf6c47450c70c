import type * as Http from 'node:http';

/**
 * node:http's `request`, taken from the CommonJS module rather than through
 * `import … from 'node:http'`: the ES module facade reads every export once,
 * and node:http's lazy `WebSocket`/`CloseEvent`/`MessageEvent` getters then
 * load undici — about 40 ms of every CLI start-up (measured on Node 24), for
 * a class the client never uses. Same function, same behaviour; may be
 * called at any time.
 */
export const httpRequest: typeof Http.request = (process.getBuiltinModule('node:http') as typeof Http).request;
