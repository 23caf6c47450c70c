import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { unavailable } from '../../core/errors.ts';

/** One `deb` source: a mirror URI and the suites it serves. */
export interface AptSource {
  uri: string;
  suites: string[];
}

/**
 * The `deb` (binary) sources of one apt configuration file: the one-line
 * format (`deb [opts] URI SUITE COMPONENTS…`, `.list`) or deb822
 * (`Types:`/`URIs:`/`Suites:` paragraphs, `.sources`; `Enabled: no`
 * skipped). Pure; malformed lines are ignored as apt would warn about them.
 */
export function parseAptSources(text: string, format: 'list' | 'sources'): AptSource[] {
  const out: AptSource[] = [];
  if (format === 'list') {
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*$/, '').replace(/\[[^\]]*\]/, ' ').trim();
      const words = line.split(/\s+/);
      if (words[0] !== 'deb' || words.length < 3) continue;
      out.push({ uri: words[1], suites: [words[2]] });
    }
    return out;
  }
  for (const paragraph of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last = '';
    for (const raw of paragraph.split('\n')) {
      if (raw.startsWith('#')) continue;
      if (/^\s/.test(raw) && last) {
        fields.set(last, `${fields.get(last)} ${raw.trim()}`);
        continue;
      }
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(raw);
      if (!m) continue;
      last = m[1].toLowerCase();
      fields.set(last, m[2].trim());
    }
    const words = (k: string) => (fields.get(k) ?? '').split(/\s+/).filter((w) => w !== '');
    if (!words('types').includes('deb') || fields.get('enabled')?.toLowerCase() === 'no') continue;
    for (const uri of words('uris')) out.push({ uri, suites: words('suites') });
  }
  return out;
}

/**
 * The mirror this machine's apt uses for Debian `suite`: the first `deb`
 * source serving exactly that suite in `aptDir`/sources.list and then
 * sources.list.d/*.list and *.sources (sorted). Unavailable naming the suite
 * when none does.
 */
export async function configuredDebianMirror(suite: string, options: { aptDir?: string } = {}): Promise<string> {
  const dir = options.aptDir ?? '/etc/apt';
  const files: Array<[string, 'list' | 'sources']> = [[join(dir, 'sources.list'), 'list']];
  const listD = await readdir(join(dir, 'sources.list.d')).catch(() => [] as string[]);
  for (const name of listD.sort()) {
    if (name.endsWith('.list')) files.push([join(dir, 'sources.list.d', name), 'list']);
    else if (name.endsWith('.sources')) files.push([join(dir, 'sources.list.d', name), 'sources']);
  }
  for (const [file, format] of files) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const hit = parseAptSources(text, format).find((s) => s.suites.includes(suite));
    if (hit) return hit.uri;
  }
  throw unavailable(`no Debian mirror for ${suite} is configured in ${dir}/sources.list or ${dir}/sources.list.d; pass a mirror explicitly`);
}
