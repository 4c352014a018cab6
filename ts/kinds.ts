// The object kinds (assembly/kinds.ts holds the same numbers) and how ipcs shows each one's
// state words.

export const Kind = {
  shm: 1,
  atomic: 2,
  atomic64: 3,
  spinlock: 4,
  ticketlock: 5,
  peterson: 6,
  mutex: 7,
  semaphore: 8,
  condvar: 9,
  monitor: 10,
  barrier: 11,
  rwlock: 12,
  snapshot: 13,
  once: 14,
  latch: 15,
  channel: 16,
  pipe: 17,
  mqueue: 18,
  port: 19,
  event: 20,
  framepool: 21,
  topic: 22,
} as const;
export type KindName = keyof typeof Kind;

const names: Record<number, KindName> = Object.fromEntries(
  Object.entries(Kind).map(([k, v]) => [v, k as KindName]),
);

export function kindName(kind: number): string {
  return names[kind] ?? `kind#${kind}`;
}

/** The meaning of each kind's four ipcs words (assembly: kindSummary). */
const stateWords: Record<number, readonly string[]> = {
  [Kind.shm]: ['bytes'],
  [Kind.atomic]: ['value'],
  [Kind.atomic64]: ['low', 'high'],
  [Kind.spinlock]: ['owner'],
  [Kind.ticketlock]: ['owner', 'waiting', 'serving'],
  [Kind.peterson]: ['interested0', 'interested1', 'turn'],
  [Kind.mutex]: ['owner', 'contended', 'robust'],
  [Kind.semaphore]: ['value', 'max', 'waiters', 'fair'],
  [Kind.condvar]: ['waiters', 'sequence'],
  [Kind.monitor]: ['owner', 'contended', 'robust', 'waiters'],
  [Kind.barrier]: ['parties', 'arrived', 'generation'],
  [Kind.rwlock]: ['readers', 'writer', 'readersWaiting', 'writersWaiting'],
  [Kind.snapshot]: ['version', 'bytes', 'retired', 'epoch'],
  [Kind.once]: ['done', 'runner'],
  [Kind.latch]: ['count'],
  [Kind.channel]: ['depth', 'capacity', 'receiversWaiting', 'sendersWaiting'],
  [Kind.pipe]: ['chunks', 'writers', 'readers', 'broken'],
  [Kind.mqueue]: ['messages', 'maxMessages', 'receiversWaiting', 'maxMessageSize'],
  [Kind.port]: ['messages', 'backlog', 'owner', 'ownerDied'],
  [Kind.event]: ['set', 'manual', 'waiters'],
  [Kind.framepool]: ['slots', 'frameSize', 'free', 'ready'],
  [Kind.topic]: ['published', 'subscribers', 'capacity', 'overwrite'],
};

export function describeState(kind: number, words: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  (stateWords[kind] ?? []).forEach((key, i) => { out[key] = words[i]!; });
  return out;
}
