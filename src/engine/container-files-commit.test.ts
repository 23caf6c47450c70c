import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isJanusError } from '../core/errors.ts';
import { commitDefaults } from './container-files-commit.ts';
import type { ContainerRecord } from './container-record.ts';

function container(over: { config?: Partial<ContainerRecord['config']>; run?: Partial<ContainerRecord['request']['run']>; healthcheck?: ContainerRecord['request']['healthcheck'] } = {}): Pick<ContainerRecord, 'config' | 'request'> {
  return {
    config: {
      hostname: 'abc', domainname: '', user: '', env: ['PATH=/bin', 'HOSTNAME=abc', 'A=1'], cmd: ['sh'], entrypoint: null, workingDir: '',
      labels: {}, tty: false, openStdin: false, stdinOnce: false, attachStdin: false, attachStdout: true, attachStderr: true,
      stopSignal: 'SIGTERM', exposedPorts: [], volumes: [], ...over.config,
    },
    request: { image: 'busybox', run: { env: ['A=1'], ...over.run }, ...(over.healthcheck ? { healthcheck: over.healthcheck } : {}) },
  };
}

describe('commitDefaults', () => {
  it("records the container's command and environment as given, not what the runtime adds", () => {
    const out = commitDefaults(container(), { Env: ['PATH=/bin', 'A=0'], Cmd: ['sh'], Shell: ['/bin/ash', '-c'] }, []);
    assert.deepEqual(out.Env, ['A=1', 'PATH=/bin'], 'the run env over the image env, no HOSTNAME');
    assert.deepEqual(out.Cmd, ['sh']);
    assert.equal(out.Entrypoint, null);
    assert.equal(out.StopSignal, undefined, 'SIGTERM was only the default');
    assert.deepEqual(out.Shell, ['/bin/ash', '-c']);
  });

  it('keeps user, workdir, labels, ports, volumes, stop signal and healthcheck', () => {
    const out = commitDefaults(container({
      config: { user: 'app', workingDir: '/srv', labels: { a: 'b' }, exposedPorts: ['80/tcp', '53/udp', '8080'], volumes: ['/data'], entrypoint: ['/init'], cmd: [] },
      run: { stopSignal: 'SIGINT' },
      healthcheck: { Test: ['CMD', 'true'] },
    }), {}, []);
    assert.equal(out.User, 'app');
    assert.equal(out.WorkingDir, '/srv');
    assert.deepEqual(out.Labels, { a: 'b' });
    assert.deepEqual(Object.keys(out.ExposedPorts!), ['53/udp', '80/tcp', '8080/tcp']);
    assert.deepEqual(Object.keys(out.Volumes!), ['/data']);
    assert.deepEqual(out.Entrypoint, ['/init']);
    assert.equal(out.Cmd, null);
    assert.equal(out.StopSignal, 'SIGINT');
    assert.deepEqual(out.Healthcheck, { Test: ['CMD', 'true'] });
  });

  it('applies --change instructions last, and refuses bad ones', () => {
    const out = commitDefaults(container(), {}, ['ENV FOO=bar', 'CMD ["/bin/app", "--serve"]', 'EXPOSE 9000', 'LABEL v=2']);
    assert.ok(out.Env!.includes('FOO=bar'));
    assert.deepEqual(out.Cmd, ['/bin/app', '--serve']);
    assert.deepEqual(Object.keys(out.ExposedPorts!), ['9000/tcp']);
    assert.deepEqual(out.Labels, { v: '2' });
    assert.throws(() => commitDefaults(container(), {}, ['RUN echo hi']), (err) => isJanusError(err, 'InvalidArgument'));
  });
});
