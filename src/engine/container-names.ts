import { randomInt } from 'node:crypto';

// Our own short lists (docker's names are adjective_surname; any such pair reads the same to users).
const ADJECTIVES = [
  'agile', 'bold', 'brave', 'bright', 'calm', 'clever', 'cool', 'crisp', 'eager', 'fair', 'fast', 'gentle', 'happy',
  'keen', 'kind', 'lively', 'lucid', 'merry', 'modest', 'neat', 'nimble', 'patient', 'proud', 'quick', 'quiet',
  'rapid', 'serene', 'sharp', 'shy', 'silent', 'steady', 'sturdy', 'swift', 'tender', 'tidy', 'vivid', 'warm', 'wise',
  'witty', 'zealous',
];
const SURNAMES = [
  'agnesi', 'babbage', 'bohr', 'cerf', 'curie', 'darwin', 'dijkstra', 'einstein', 'euler', 'faraday', 'fermat',
  'feynman', 'gauss', 'goldberg', 'hamilton', 'hopper', 'hypatia', 'kepler', 'knuth', 'lamarr', 'lamport', 'liskov',
  'lovelace', 'maxwell', 'meitner', 'mirzakhani', 'newton', 'noether', 'pascal', 'ritchie', 'shannon', 'sinoussi',
  'thompson', 'torvalds', 'turing', 'volhard', 'wozniak', 'yalow', 'yonath', 'zuse',
];

/** A docker-style random name (`adjective_surname`); after `attempt` 0 a digit is appended, as docker does on collisions. */
export function randomContainerName(attempt = 0): string {
  const base = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${SURNAMES[randomInt(SURNAMES.length)]}`;
  return attempt > 0 ? `${base}${randomInt(10)}` : base;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** True for a name docker accepts (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`, optionally with one leading `/`). */
export function isValidContainerName(name: string): boolean {
  return NAME.test(name.startsWith('/') ? name.slice(1) : name);
}
