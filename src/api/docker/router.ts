import { invalidArgument } from '../../core/errors.ts';
import type { ApiRequest } from './api-request.ts';

/** Handles one matched request; throws JanusErrors for the server to map. */
export type Handler = (request: ApiRequest) => Promise<void>;

interface Route {
  method: string;
  pattern: string;
  regex: RegExp;
  names: string[];
  handler: Handler;
}

/** A matched route: its handler and decoded captures. */
export interface RouteMatch {
  handler: Handler;
  params: Record<string, string>;
}

/**
 * Method + path routing for the Docker API. Patterns are paths with
 * captures: `{id}` matches one segment, `{name...}` one or more segments, so
 * image names with slashes and colons (`127.0.0.1:5000/a/b:t`) route by the
 * fixed suffix after them (`/images/{name...}/json`). Routes are tried in
 * the order added: add fixed paths (`/images/json`) before greedy ones.
 */
export class Router {
  readonly #routes: Route[] = [];

  /** Adds a route. Call before serving. */
  add(method: string, pattern: string, handler: Handler): this {
    const names: string[] = [];
    const source = pattern
      .split(/(\{[a-zA-Z]+(?:\.\.\.)?\})/)
      .map((part) => {
        const m = /^\{([a-zA-Z]+)(\.\.\.)?\}$/.exec(part);
        if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(m[1]);
        return m[2] ? '(.+)' : '([^/]+)';
      })
      .join('');
    this.#routes.push({ method, pattern, regex: new RegExp(`^${source}$`), names, handler });
    return this;
  }

  /**
   * The first route matching `method` and the raw (still percent-encoded)
   * `path`, or undefined. Captures are percent-decoded; a malformed escape
   * is InvalidArgument.
   */
  match(method: string, path: string): RouteMatch | undefined {
    for (const r of this.#routes) {
      if (r.method !== method) continue;
      const m = r.regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      r.names.forEach((name, i) => {
        try {
          params[name] = decodeURIComponent(m[i + 1]);
        } catch {
          throw invalidArgument(`malformed percent-encoding in ${name} of path ${path}`);
        }
      });
      return { handler: r.handler, params };
    }
    return undefined;
  }
}
