import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildQemuArgs, guestCmdline, hostTscKhz, type VmLaunchSpec } from './qemu-args.ts';

const base: VmLaunchSpec = {
  name: 'janus-0123456789ab', accel: 'tcg', cpus: 2, memoryMiB: 256, kernel: '/boot/vmlinuz', initrd: '/c/initrd.cpio', cmdline: 'console=ttyS0',
  rootDisk: '/t/root.qcow2', agentSocket: '/s/a', qmpSocket: '/s/q', consoleLog: '/t/console.log', pidFile: '/t/qemu.pid', shares: [],
};

const valueOf = (args: string[], flag: string): string[] => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));

test('a microVM: machine, accelerator, sizes, kernel and the agent port', () => {
  const args = buildQemuArgs(base);
  assert.deepEqual(valueOf(args, '-machine'), ['microvm,x-option-roms=off,rtc=on,isa-serial=on']);
  assert.deepEqual(valueOf(args, '-accel'), ['tcg,tb-size=64']);
  assert.deepEqual(valueOf(args, '-smp'), ['2']);
  assert.deepEqual(valueOf(args, '-m'), ['256M']);
  assert.deepEqual(valueOf(args, '-kernel'), ['/boot/vmlinuz']);
  assert.ok(valueOf(args, '-chardev').includes('socket,id=agent,path=/s/a,server=on,wait=off'));
  assert.ok(valueOf(args, '-device').includes('virtserialport,chardev=agent,name=org.janus.agent.0'));
  assert.ok(valueOf(args, '-drive')[0].startsWith('id=root,file=/t/root.qcow2,format=qcow2'));
  assert.deepEqual(valueOf(args, '-qmp'), ['unix:/s/q,server=on,wait=off']);
  assert.ok(!args.includes('-daemonize') && args.includes('-no-reboot'));
  assert.equal(valueOf(args, '-sandbox')[0], 'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny');
  assert.equal(args.filter((a) => a === '-netdev').length, 0);
});

test('KVM uses the host CPU; NICs and 9p shares are added, read-only where asked', () => {
  const args = buildQemuArgs({ ...base, accel: 'kvm', nic: { tap: 'jtap0', mac: '02:42:ac:11:00:02' }, shares: [{ tag: 'j0', path: '/v/data', readOnly: false }, { tag: 'j1', path: '/etc/x', readOnly: true }] });
  assert.deepEqual(valueOf(args, '-accel'), ['kvm']);
  assert.deepEqual(valueOf(args, '-cpu'), ['host']);
  assert.deepEqual(valueOf(args, '-netdev'), ['tap,id=net0,ifname=jtap0,script=no,downscript=no']);
  assert.ok(valueOf(args, '-device').includes('virtio-net-device,netdev=net0,mac=02:42:ac:11:00:02'));
  assert.deepEqual(valueOf(args, '-fsdev'), ['local,id=fs0,path=/v/data,security_model=passthrough', 'local,id=fs1,path=/etc/x,security_model=passthrough,readonly=on']);
  assert.ok(valueOf(args, '-device').includes('virtio-9p-device,fsdev=fs1,mount_tag=j1'));
});

test('a probe guest has no disk', () => {
  const { rootDisk: _, ...probe } = base;
  assert.equal(buildQemuArgs(probe).includes('-drive'), false);
});

test('the kernel command line ends VMs on reboot and stays quiet unless debugging', () => {
  const c = guestCmdline();
  for (const w of ['console=ttyS0', 'reboot=t', 'panic=-1', 'quiet', 'initcall_blacklist=init_kprobe_trace,crypto_kdf108_init']) assert.ok(c.split(' ').includes(w), w);
  assert.ok(guestCmdline({ debug: true }).split(' ').includes('janus.debug=1'));
});

test('the guest is told the host\'s TSC rate instead of calibrating against the PIT', () => {
  assert.ok(guestCmdline({ tscKhz: 2096015 }).split(' ').includes('tsc_early_khz=2096015'));
  assert.equal(guestCmdline().includes('tsc_early_khz'), false);
  const cpuinfo = 'processor\t: 0\ncpu MHz\t\t: 2096.015\nflags\t\t: fpu tsc constant_tsc nonstop_tsc\n';
  assert.equal(hostTscKhz(cpuinfo), 2096015);
  assert.equal(hostTscKhz(cpuinfo, '2095999\n'), 2095999);
  assert.equal(hostTscKhz(cpuinfo.replace(' constant_tsc', '')), undefined);
});

test('RAM in a file: shared for a VM booting into a template, private (copy-on-write) for one restored from it', () => {
  assert.equal(valueOf(buildQemuArgs(base), '-object').length, 0);
  const booting = buildQemuArgs({ ...base, memoryFile: { path: '/t/k.ram.tmp', shared: true } });
  assert.deepEqual(valueOf(booting, '-object'), ['memory-backend-file,id=ram,size=256M,mem-path=/t/k.ram.tmp,share=on']);
  assert.ok(valueOf(booting, '-machine')[0].endsWith(',memory-backend=ram'));
  const restored = buildQemuArgs({ ...base, memoryFile: { path: '/t/k.ram', shared: false }, incoming: 'defer' });
  assert.deepEqual(valueOf(restored, '-object'), ['memory-backend-file,id=ram,size=256M,mem-path=/t/k.ram,share=off']);
  assert.deepEqual(valueOf(restored, '-incoming'), ['defer']);
});
