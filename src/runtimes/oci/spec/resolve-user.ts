import { invalidArgument } from '../../../core/errors.ts';
import type { OciUser } from '../../../core/oci-runtime-spec.ts';

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

function lines(text: string | undefined): string[][] {
  return (text ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(':'));
}

const num = (s: string | undefined): number => {
  const n = Number.parseInt(s ?? '', 10);
  return Number.isNaN(n) ? 0 : n;
};

/**
 * Resolves `--user` (or the image's User) against the container's
 * /etc/passwd and /etc/group text the way runc and Docker do: an empty spec
 * is uid 0; numeric ids need no entry; a name must have one (InvalidArgument
 * "unable to find user NAME: no matching entries in passwd file"); without
 * an explicit group the primary gid is the passwd entry's and the
 * supplementary groups are those listing the user as a member. `home` is the
 * entry's home directory ("/" without one), for HOME.
 */
export function resolveUser(spec: string | undefined, files: { passwd?: string; group?: string }): { user: OciUser; home: string } {
  const [userArg = '', groupArg = ''] = (spec ?? '').split(':');
  const isUid = /^\d+$/.test(userArg);
  const isGid = /^\d+$/.test(groupArg);
  const users: PasswdEntry[] = lines(files.passwd).map((p) => ({ name: p[0], uid: num(p[2]), gid: num(p[3]), home: p[5] ?? '' }));
  const groups: GroupEntry[] = lines(files.group).map((g) => ({ name: g[0], gid: num(g[2]), members: g[3] ? g[3].split(',') : [] }));

  let uid = 0;
  let gid = 0;
  let home = '/';
  const match = users.find((u) => (userArg === '' ? u.uid === 0 : isUid ? u.uid === Number(userArg) : u.name === userArg));
  if (match) {
    uid = match.uid;
    gid = match.gid;
    home = match.home || '/';
  } else if (userArg !== '') {
    if (!isUid) throw invalidArgument(`unable to find user ${userArg}: no matching entries in passwd file`);
    uid = Number(userArg);
  }
  let sgids: number[] = [];
  if (groupArg !== '') {
    const g = groups.find((e) => (isGid ? e.gid === Number(groupArg) : e.name === groupArg));
    if (g) gid = g.gid;
    else if (isGid) gid = Number(groupArg);
    else throw invalidArgument(`unable to find group ${groupArg}: no matching entries in group file`);
  } else if (match) {
    sgids = groups.filter((g) => g.members.includes(match.name)).map((g) => g.gid);
  }
  // Docker lists the primary group first among the additional ones.
  const user: OciUser = { uid, gid, additionalGids: [...new Set([gid, ...sgids])] };
  return { user, home };
}
