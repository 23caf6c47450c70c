import { invalidArgument, notImplemented } from '../../core/errors.ts';

/** True for the values Go leaves out or sends as "nothing": null, false, 0, '', [], {}. */
export function isZeroValue(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/**
 * One JSON object of a docker request body, read field by field with its
 * path (`HostConfig.Memory`) in every error: a value of the wrong type is
 * InvalidArgument naming the field and what it wants. `null` reads as
 * absent, as Go's decoder treats it, and a field name matches whatever its
 * case, as Go's decoder matches it. Fields read are remembered, so
 * `rejectUnknown` can refuse what nobody looked at. Valid while the
 * request is parsed.
 */
export class WireObject {
  readonly path: string;
  readonly #o: Record<string, unknown>;
  readonly #seen = new Set<string>();

  private constructor(o: Record<string, unknown>, path: string) {
    this.#o = o;
    this.path = path;
  }

  /** Wraps `value`, which must be a JSON object (undefined and null give undefined). */
  static from(value: unknown, path: string): WireObject | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw invalidArgument(`invalid ${path}: want a JSON object, got ${typeName(value)}`);
    return new WireObject(value as Record<string, unknown>, path);
  }

  /** The dotted path of `key` for messages. */
  field(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  /**
   * The body's key for field `key`: itself, else one that differs only in
   * case — Go's decoder matches field names so, and clients rely on it
   * (docker-py sends exec's `detachKeys`).
   */
  #actual(key: string): string {
    if (Object.hasOwn(this.#o, key)) return key;
    const lower = key.toLowerCase();
    return Object.keys(this.#o).find((k) => k.toLowerCase() === lower) ?? key;
  }

  /** The raw value (undefined for null), marking the field read. */
  raw(key: string): unknown {
    const k = this.#actual(key);
    this.#seen.add(k);
    const v = this.#o[k];
    return v === null ? undefined : v;
  }

  /** Every key present (null-valued ones included); reading them is up to the caller. */
  keys(): string[] {
    return Object.keys(this.#o);
  }

  /** Whether `key` is present and not null. */
  has(key: string): boolean {
    const v = this.#o[this.#actual(key)];
    return v !== undefined && v !== null;
  }

  #want(key: string, what: string, v: unknown): never {
    throw invalidArgument(`invalid ${this.field(key)}: want ${what}, got ${typeName(v)} ${JSON.stringify(v)}`);
  }

  string(key: string): string | undefined {
    const v = this.raw(key);
    if (v === undefined || typeof v === 'string') return v;
    return this.#want(key, 'a string', v);
  }

  bool(key: string): boolean | undefined {
    const v = this.raw(key);
    if (v === undefined || typeof v === 'boolean') return v;
    return this.#want(key, 'true or false', v);
  }

  /** A whole number within the safe integer range (and at least `min`). */
  int(key: string, options: { min?: number } = {}): number | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) return this.#want(key, 'an integer', v);
    if (options.min !== undefined && v < options.min) throw invalidArgument(`invalid ${this.field(key)}: ${v} is below the minimum ${options.min}`);
    return v;
  }

  /** An array of strings. */
  strings(key: string): string[] | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) return this.#want(key, 'a list of strings', v);
    return v as string[];
  }

  /** Docker's StrSlice: a list of strings, or one string standing for a list of one. */
  strSlice(key: string): string[] | undefined {
    const v = this.raw(key);
    if (typeof v === 'string') return [v];
    return this.strings(key);
  }

  /** An object whose values are all strings. */
  stringMap(key: string): Record<string, string> | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || Array.isArray(v) || Object.values(v as object).some((s) => typeof s !== 'string')) {
      return this.#want(key, 'an object of strings', v);
    }
    return v as Record<string, string>;
  }

  /** A nested object. */
  object(key: string): WireObject | undefined {
    const v = this.raw(key);
    return WireObject.from(v, this.field(key));
  }

  /** An object used as a set (docker's `{"/path": {}}`): its keys, values unread; {} when absent. */
  keyed(key: string): Record<string, unknown> {
    const v = this.raw(key);
    if (v === undefined) return {};
    if (typeof v !== 'object' || Array.isArray(v)) return this.#want(key, 'an object', v);
    return v as Record<string, unknown>;
  }

  /** A list. */
  array(key: string): unknown[] | undefined {
    const v = this.raw(key);
    if (v === undefined || Array.isArray(v)) return v;
    return this.#want(key, 'a list', v);
  }

  /**
   * Marks `key` as understood and refuses it (NotImplemented naming the
   * field and `why`) unless it holds a zero value — for docker fields Janus
   * does not offer, which must not be ignored silently.
   */
  unsupported(key: string, why: string): void {
    const v = this.raw(key);
    if (!isZeroValue(v)) throw notImplemented(`${this.field(key)} is not supported: ${why}`);
  }

  /** Marks fields as read without looking at them (informational fields Janus accepts and ignores). */
  ignore(...keys: string[]): void {
    for (const k of keys) this.#seen.add(this.#actual(k));
  }

  /**
   * Refuses every field nobody read that carries a value: a misspelt or
   * unknown field is InvalidArgument rather than silently dropped. Zero
   * values pass, because older and newer clients send fields (set to
   * nothing) that other API versions do not know.
   */
  rejectUnknown(): void {
    for (const [k, v] of Object.entries(this.#o)) {
      if (!this.#seen.has(k) && !isZeroValue(v)) throw invalidArgument(`unknown field ${this.field(k)}`);
    }
  }
}
