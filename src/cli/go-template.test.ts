import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoTemplate, TEMPLATE_TEXT } from './go-template.ts';
import { UsageError } from './usage-error.ts';
import { isJanusError } from '../core/errors.ts';

const run = (tpl: string, data: unknown): string => GoTemplate.parse(tpl).execute(data);

const image = {
  Id: 'sha256:abc',
  RepoTags: ['busybox:latest', 'busybox:1'],
  Size: 4261574,
  Config: { Env: ['PATH=/bin', 'A=b'], Cmd: ['sh'], Labels: { 'org.x': 'y' }, WorkingDir: '' },
  State: { Running: true, Pid: 0 },
  Empty: [],
  Nothing: null,
};

test('fields, nested fields, text around actions', () => {
  assert.equal(run('id={{.Id}} size={{.Size}}', image), 'id=sha256:abc size=4261574');
  assert.equal(run('{{.State.Running}}/{{.State.Pid}}', image), 'true/0');
  assert.equal(run('{{.Config.WorkingDir}}|', image), '|');
  assert.equal(run('plain text', image), 'plain text');
});

test('values print like Go: slices, maps, nil, missing keys', () => {
  assert.equal(run('{{.RepoTags}}', image), '[busybox:latest busybox:1]');
  assert.equal(run('{{.Config.Labels}}', image), 'map[org.x:y]');
  assert.equal(run('{{.Nothing}}', image), '<nil>');
  assert.equal(run('{{.Missing}}', image), '<no value>');
  assert.equal(run('{{.}}', 'x'), 'x');
});

test('json of dot, of a field, and through a pipe', () => {
  assert.equal(run('{{json .Config.Env}}', image), '["PATH=/bin","A=b"]');
  assert.equal(run('{{.Config.Cmd | json}}', image), '["sh"]');
  assert.deepEqual(JSON.parse(run('{{json .}}', image)), image);
  assert.equal(run('{{json .Missing}}', image), 'null');
  assert.equal(run('{{json "a<b"}}', null), '"a<b"', 'no HTML escaping, like docker');
});

test('range over slices and maps, with variables and else', () => {
  assert.equal(run('{{range .RepoTags}}[{{.}}]{{end}}', image), '[busybox:latest][busybox:1]');
  assert.equal(run('{{range $i, $t := .RepoTags}}{{$i}}={{$t}} {{end}}', image), '0=busybox:latest 1=busybox:1 ');
  assert.equal(run('{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}}{{end}}', image), 'org.x:y');
  assert.equal(run('{{range .Empty}}x{{else}}none{{end}}', image), 'none');
  assert.equal(run('{{range .Nothing}}x{{end}}.', image), '.');
  assert.equal(run('{{range .RepoTags}}{{if eq . "busybox:1"}}{{break}}{{end}}{{.}};{{end}}', image), 'busybox:latest;');
  assert.equal(run('{{range .RepoTags}}{{if eq . "busybox:latest"}}{{continue}}{{end}}{{.}};{{end}}', image), 'busybox:1;');
  assert.equal(run('{{range .RepoTags}}{{$.Id}} {{end}}', image), 'sha256:abc sha256:abc ');
});

test('if, else if, else, with; Go truthiness', () => {
  assert.equal(run('{{if .State.Running}}up{{else}}down{{end}}', image), 'up');
  assert.equal(run('{{if .State.Pid}}pid{{else if .Empty}}empty{{else}}neither{{end}}', image), 'neither');
  assert.equal(run('{{if .Config.WorkingDir}}w{{else if .RepoTags}}tags{{end}}', image), 'tags');
  assert.equal(run('{{with .Config}}{{.Cmd}}{{end}}', image), '[sh]');
  assert.equal(run('{{with .Nothing}}x{{else}}nil{{end}}', image), 'nil');
  assert.equal(run('{{if and .State.Running (not .Empty)}}yes{{end}}', image), 'yes');
  assert.equal(run('{{or .Config.WorkingDir "/"}}', image), '/');
  assert.equal(run('{{if and .Nothing .Nothing.X}}x{{else}}short-circuit{{end}}', image), 'short-circuit');
});

test('index, len, join, split, lower, upper, title, printf, println', () => {
  assert.equal(run('{{index .Config.Labels "org.x"}}', image), 'y');
  assert.equal(run('{{index .RepoTags 1}}', image), 'busybox:1');
  assert.equal(run('{{len .RepoTags}} {{len .Config.Labels}} {{len "abc"}}', image), '2 1 3');
  assert.equal(run('{{join .RepoTags ", "}}', image), 'busybox:latest, busybox:1');
  assert.equal(run('{{index (split .Id ":") 1}}', image), 'abc');
  assert.equal(run('{{lower "ABC"}} {{upper "abc"}} {{title "hello big world"}}', null), 'abc ABC Hello Big World');
  assert.equal(run('{{printf "%-6s|%5d|%q" "ab" 42 "x"}}', null), 'ab    |   42|"x"');
  assert.equal(run('{{println "a" "b"}}', null), 'a b\n');
  assert.equal(run('{{.Id | printf "%s!"}}', image), 'sha256:abc!');
  assert.equal(run('{{truncate .Id 6}}', image), 'sha256');
});

test('string escapes, raw strings, comments, whitespace trimming', () => {
  assert.equal(run('{{.Id}}{{"\\t"}}{{.Size}}', image), 'sha256:abc\t4261574');
  assert.equal(run('{{`a\\tb`}}', null), 'a\\tb');
  assert.equal(run('a {{/* note */}} b', null), 'a  b');
  assert.equal(run('a  {{- /* note */ -}}  b', null), 'ab');
  assert.equal(run('x \n {{- .Id -}} \n y', image), 'xsha256:abcy');
  assert.equal(run('{{- .Id}}  ', image), 'sha256:abc  ');
});

test('variables: declare, assign, use in pipelines and parenthesised chains', () => {
  assert.equal(run('{{$x := .Size}}{{$x}}', image), '4261574');
  assert.equal(run('{{$x := 1}}{{$x = 2}}{{$x}}', null), '2');
  assert.equal(run('{{(.Config).Cmd}}', image), '[sh]');
  assert.equal(run('{{$c := .Config}}{{$c.WorkingDir}}|{{index $c.Env 0}}', image), '|PATH=/bin');
});

test('comparison functions', () => {
  assert.equal(run('{{eq .Size 4261574}} {{ne .Id "x"}} {{lt 1 2}} {{ge 2 2}} {{eq "a" "b" "a"}}', image), 'true true true true true');
});

test('table headers: objects carrying TEMPLATE_TEXT print as that text', () => {
  const header = new Proxy({}, { get: (_t, p) => (typeof p === 'string' ? { [TEMPLATE_TEXT]: p.toUpperCase() } : undefined), has: () => true });
  assert.equal(run('{{.Repository}}\t{{.Tag}}', header), 'REPOSITORY\tTAG');
});

test('parse errors are usage errors naming the position', () => {
  const cases: Array<[string, RegExp]> = [
    ['{{.Id', /:1:1: unclosed action/],
    ['ab\n{{if .X}}', /:2:1: unexpected EOF/],
    ['{{end}}', /unexpected \{\{end\}\}/],
    ['{{nosuch .X}}', /:1:3: function "nosuch" not defined/],
    ['{{$y}}', /undefined variable "\$y"/],
    ['{{"abc}}', /unterminated quoted string/],
    ['{{.X | }}', /missing value/],
    ['{{template "x"}}', /not supported/],
    ['{{(.X}}', /unclosed left paren/],
    ['{{.X)}}', /unexpected right paren/],
    ['{{}}', /missing value/],
  ];
  for (const [tpl, re] of cases) {
    assert.throws(() => GoTemplate.parse(tpl), (err: unknown) => {
      assert.ok(err instanceof UsageError, `${tpl}: a UsageError`);
      assert.match((err as Error).message, re, tpl);
      assert.match((err as Error).message, /^template parsing error: template: :\d+:\d+: /);
      return true;
    });
  }
});

test('execution errors name the action and are InvalidArgument, not usage errors', () => {
  assert.throws(() => run('{{.Nothing.X}}', image), (err: unknown) => {
    assert.ok(isJanusError(err, 'InvalidArgument'));
    assert.ok(!(err instanceof UsageError));
    assert.match((err as Error).message, /:1:3: executing "" at <\.Nothing\.X>: nil pointer evaluating interface \{\}\.X/);
    return true;
  });
  assert.throws(() => run('{{.Id.X}}', image), /can't evaluate field X in type string/);
  assert.throws(() => run('{{index .RepoTags 5}}', image), /error calling index: index out of range: 5/);
  assert.throws(() => run('{{.Id 1}}', image), /can't give argument to non-function/);
});

test('function-valued fields are methods: called with the arguments given, or none', () => {
  const row = { Names: 'web', Label: (k: unknown) => ({ tier: 'front' } as Record<string, string>)[String(k)] ?? '', Upper: () => 'UP' };
  assert.equal(GoTemplate.parse('{{.Names}} {{.Label "tier"}} [{{.Label "none"}}] {{.Upper}} {{"tier" | .Label}}').execute(row), 'web front [] UP front');
});
