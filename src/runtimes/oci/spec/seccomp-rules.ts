import { invalidArgument } from '../../../core/errors.ts';
import type { OciSeccomp, OciSeccompSyscall } from '../../../core/oci-runtime-spec.ts';

/**
 * When a conditional seccomp rule applies, in the terms of Docker's profile
 * format: capabilities the container must hold (all of them), architectures
 * (libseccomp spellings: `amd64`, `x86`, `x32`, `arm64`, `arm`, …) and a
 * minimum kernel (`"4.8"`).
 */
export interface SeccompCondition {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

/** One syscall rule of a Docker-format profile: an OCI rule plus conditions. */
export interface SeccompRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: NonNullable<OciSeccompSyscall['args']>;
  /** The rule is kept only when every listed condition holds. */
  includes?: SeccompCondition;
  /** The rule is dropped when any listed condition holds. */
  excludes?: SeccompCondition;
}

/** A profile in Docker's format, before it is fitted to one container. */
export interface SeccompProfileTemplate {
  defaultAction: string;
  defaultErrnoRet?: number;
  /** Used as is when given (and then `archMap` must be absent). */
  architectures?: string[];
  /** Native architecture → the SCMP_ARCH_ list (itself first) the filter covers. */
  archMap?: Array<{ architecture: string; subArchitectures: string[] }>;
  flags?: string[];
  rules: SeccompRule[];
}

/** What a profile is fitted to. */
export interface SeccompTarget {
  /** The container's bounding capabilities, `CAP_` spelling. */
  capabilities: readonly string[];
  /** The image's architecture, GOARCH spelling (`amd64`, `arm64`, `386`, …). */
  arch: string;
  /** The host kernel's release (`os.release()`); absent: every `minKernel` is taken as met. */
  kernelRelease?: string;
}

// GOARCH → libseccomp's native name, the spelling of a rule's `arches`.
const NATIVE_ARCH: Readonly<Record<string, string>> = {
  '386': 'x86',
  amd64: 'amd64',
  arm: 'arm',
  arm64: 'arm64',
  loong64: 'loongarch64',
  mips64: 'mips64',
  mips64le: 'mipsel64',
  mipsle: 'mipsel',
  ppc64: 'ppc64',
  ppc64le: 'ppc64le',
  riscv64: 'riscv64',
  s390x: 's390x',
};

// libseccomp's native name → SCMP_ARCH_ constant, to pick the archMap entry.
const SCMP_ARCH: Readonly<Record<string, string>> = {
  x86: 'SCMP_ARCH_X86',
  amd64: 'SCMP_ARCH_X86_64',
  arm: 'SCMP_ARCH_ARM',
  arm64: 'SCMP_ARCH_AARCH64',
  loongarch64: 'SCMP_ARCH_LOONGARCH64',
  mips64: 'SCMP_ARCH_MIPS64',
  mipsel64: 'SCMP_ARCH_MIPSEL64',
  mipsel: 'SCMP_ARCH_MIPSEL',
  ppc64: 'SCMP_ARCH_PPC64',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  riscv64: 'SCMP_ARCH_RISCV64',
  s390x: 'SCMP_ARCH_S390X',
};

/** The libseccomp spelling of a GOARCH (`386` → `x86`); unknown ones pass through. */
export function nativeSeccompArch(goarch: string): string {
  return NATIVE_ARCH[goarch] ?? goarch;
}

function parseKernel(release: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function kernelAtLeast(target: SeccompTarget, min: string): boolean {
  if (target.kernelRelease === undefined) return true;
  const have = parseKernel(target.kernelRelease);
  const want = parseKernel(min);
  if (!have || !want) return true;
  return have[0] > want[0] || (have[0] === want[0] && have[1] >= want[1]);
}

function included(rule: SeccompRule, target: SeccompTarget, arch: string): boolean {
  const ex = rule.excludes;
  if (ex) {
    if (ex.arches?.length && ex.arches.includes(arch)) return false;
    if (ex.caps?.length && ex.caps.some((c) => target.capabilities.includes(c))) return false;
    if (ex.minKernel && kernelAtLeast(target, ex.minKernel)) return false;
  }
  const inc = rule.includes;
  if (inc) {
    if (inc.arches?.length && !inc.arches.includes(arch)) return false;
    if (inc.caps?.length && !inc.caps.every((c) => target.capabilities.includes(c))) return false;
    if (inc.minKernel && !kernelAtLeast(target, inc.minKernel)) return false;
  }
  return true;
}

/**
 * Fits a Docker-format profile to one container: keeps the rules whose
 * conditions hold for its capabilities, architecture and kernel (Docker's
 * semantics: every `includes` condition must hold, any `excludes` condition
 * drops the rule) and expands `archMap` to the architectures of the image.
 * Pure; InvalidArgument when the profile gives both `architectures` and
 * `archMap`.
 */
export function resolveSeccompProfile(profile: SeccompProfileTemplate, target: SeccompTarget): OciSeccomp {
  if (profile.architectures?.length && profile.archMap?.length) {
    throw invalidArgument("seccomp profile gives both 'architectures' and 'archMap'; use one of them");
  }
  const arch = nativeSeccompArch(target.arch);
  const out: OciSeccomp = { defaultAction: profile.defaultAction };
  if (profile.defaultErrnoRet !== undefined) out.defaultErrnoRet = profile.defaultErrnoRet;
  if (profile.architectures?.length) {
    out.architectures = [...profile.architectures];
  } else if (profile.archMap?.length) {
    const entry = profile.archMap.find((a) => a.architecture === SCMP_ARCH[arch]);
    if (entry) out.architectures = [entry.architecture, ...entry.subArchitectures];
  }
  if (profile.flags?.length) out.flags = [...profile.flags];
  const syscalls: OciSeccompSyscall[] = [];
  for (const rule of profile.rules) {
    if (!included(rule, target, arch)) continue;
    const s: OciSeccompSyscall = { names: [...rule.names], action: rule.action };
    if (rule.errnoRet !== undefined) s.errnoRet = rule.errnoRet;
    if (rule.args?.length) s.args = rule.args.map((a) => ({ ...a }));
    syscalls.push(s);
  }
  out.syscalls = syscalls;
  return out;
}
