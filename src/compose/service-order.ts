import { invalidArgument } from '../core/errors.ts';
import type { ComposeProject } from './model.ts';

/**
 * The services to act on, dependencies first: `requested` (every enabled
 * service when empty) plus, with `withDeps`, everything they depend on
 * (required dependencies only when missing ones are not to be ignored).
 * A dependency on a service the project does not have is InvalidArgument
 * when required, skipped otherwise; a cycle is InvalidArgument naming it.
 * Pure.
 */
export function serviceOrder(project: ComposeProject, requested: readonly string[], withDeps: boolean): string[] {
  const all = { ...project.disabledServices, ...project.services };
  for (const name of requested) {
    if (!Object.hasOwn(all, name)) throw invalidArgument(`no such service: ${name}`);
  }
  const roots = requested.length > 0 ? [...requested] : Object.keys(project.services);
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') throw invalidArgument(`dependency cycle detected: ${[...path.slice(path.indexOf(name)), name].join(' -> ')}`);
    state.set(name, 'visiting');
    const svc = all[name]!;
    if (withDeps) {
      for (const [dep, d] of Object.entries(svc.dependsOn)) {
        if (!Object.hasOwn(all, dep)) {
          if (d.required) throw invalidArgument(`service ${JSON.stringify(name)} depends on undefined service ${JSON.stringify(dep)}`);
          continue;
        }
        visit(dep, [...path, name]);
      }
    }
    state.set(name, 'done');
    order.push(name);
  };
  for (const r of roots) visit(r, []);
  return order;
}

/** The services that depend on `name` directly (with their depends_on entry's `restart`). Pure. */
export function dependentsOf(project: ComposeProject, name: string): Array<{ service: string; restart: boolean }> {
  return Object.values(project.services)
    .filter((s) => Object.hasOwn(s.dependsOn, name))
    .map((s) => ({ service: s.name, restart: s.dependsOn[name]!.restart }));
}
